"""The crawlers run the version whose migrations have completed: an upgrade rolls them only
once the new migrations Job is complete, and a new cluster's crawlers wait for its schema
(Reconciling=True, reason SchemaNotReady) instead of crash-looping before it exists."""

from __future__ import annotations

from kube_emulator import (
    CLUSTERS,
    NS,
    REGIONS,
    cluster_manifest,
    converge,
    region_manifest,
    running_operator,
)

COMPONENT = "app.kubernetes.io/component"


def crawler_image(op) -> str | None:
    deployments = op.children(REGIONS, NS, "us-east-1", "Deployment")
    return (
        deployments[0]["spec"]["template"]["spec"]["containers"][0]["image"]
        if deployments
        else None
    )


def migration_jobs(op) -> list[dict]:
    return [
        job
        for job in op.children(CLUSTERS, NS, "main", "Job")
        if job["metadata"]["labels"].get(COMPONENT) == "migrations"
    ]


async def test_crawlers_roll_only_after_the_new_migrations_completed() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await op.kubectl.create(region_manifest())
        await converge(op, CLUSTERS, "main")
        await converge(op, REGIONS, "us-east-1")
        assert crawler_image(op).endswith(":1.0.0")
        old_job = migration_jobs(op)[0]["metadata"]["name"]

        await op.kubectl.patch(CLUSTERS, NS, "main", {"spec": {"version": "1.1.0"}})
        new_jobs = await op.eventually(
            lambda: [j for j in migration_jobs(op) if j["metadata"]["name"] != old_job],
            "the migrations Job of 1.1.0",
        )
        # Several resyncs of the region while the new migrations have not run.
        await op.quiet()
        assert crawler_image(op).endswith(":1.0.0")
        assert op.status(CLUSTERS, NS, "main")["version"] == "1.0.0"

        await op.kubectl.patch(
            "batch/v1/jobs",
            NS,
            new_jobs[0]["metadata"]["name"],
            {"status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}},
            sub="status",
        )
        await op.eventually(lambda: crawler_image(op).endswith(":1.1.0"), "crawlers on 1.1.0")
        assert op.status(CLUSTERS, NS, "main")["version"] == "1.1.0"
        deployment = op.children(REGIONS, NS, "us-east-1", "Deployment")[0]
        assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == "1.1.0"


async def test_a_new_clusters_crawlers_wait_for_its_schema() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await op.kubectl.create(region_manifest())

        condition = await op.condition_true(REGIONS, NS, "us-east-1", "Reconciling")
        assert condition["reason"] == "SchemaNotReady"
        assert "'main'" in condition["message"]
        assert op.condition(REGIONS, NS, "us-east-1", "Stalled")["status"] == "False"
        await op.quiet()
        assert op.children(REGIONS, NS, "us-east-1") == [], "no crawler before the schema"

        await converge(op, CLUSTERS, "main")
        status = await converge(op, REGIONS, "us-east-1")
        assert crawler_image(op).endswith(":1.0.0")
        assert status["workers"]["desired"] == 2
