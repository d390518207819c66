"""A spec change is rolled out: a new generation reaches the children, the conditions go back
to Reconciling at that generation until the children converge again; a changed Secret the
pods read changes their template, which rolls them."""

from __future__ import annotations

from kube_emulator import (
    CLUSTERS,
    NS,
    cluster_manifest,
    converge,
    running_operator,
    secret_manifest,
)

CONFIG_HASH = "archivestream.io/config-hash"


def api_deployment(op) -> dict:
    deployments = op.children(CLUSTERS, NS, "main", "Deployment")
    if not deployments:
        raise AssertionError("no API Deployment")
    return deployments[0]


async def test_spec_change_is_rolled_out() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await converge(op, CLUSTERS, "main")
        before = api_deployment(op)

        await op.kubectl.patch(
            CLUSTERS, NS, "main", {"spec": {"version": "1.1.0", "api": {"replicas": 3}}}
        )
        generation = op.server.live(CLUSTERS, NS, "main")["metadata"]["generation"]
        assert generation == 2

        def rolling() -> bool:
            reconciling = op.condition(CLUSTERS, NS, "main", "Reconciling")
            return reconciling.get("status") == "True" and reconciling["observedGeneration"] == 2

        await op.eventually(rolling, "Reconciling=True at generation 2")
        assert op.status(CLUSTERS, NS, "main")["observedGeneration"] == 2
        assert op.condition(CLUSTERS, NS, "main", "Ready")["status"] == "False"
        # The API waits for the new version's migrations Job before it rolls.
        assert api_deployment(op)["spec"]["template"] == before["spec"]["template"]

        status = await converge(op, CLUSTERS, "main")
        after = api_deployment(op)
        assert after["spec"]["replicas"] == 3
        image = after["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.endswith(":1.1.0")
        assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1
        assert status["observedGeneration"] == 2
        assert status["api"] == {"ready": 3, "total": 3}


async def test_changed_secret_rolls_the_pods() -> None:
    async with running_operator() as op:
        await op.kubectl.create(
            secret_manifest("s3", AWS_ACCESS_KEY_ID="old", AWS_SECRET_ACCESS_KEY="old")
        )
        await op.kubectl.create(
            cluster_manifest(storage={"s3": {"credentialsSecretRef": {"name": "s3"}}})
        )
        await converge(op, CLUSTERS, "main")
        before = api_deployment(op)["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH]

        await op.kubectl.patch(
            "v1/secrets",
            NS,
            "s3",
            secret_manifest("s3", AWS_ACCESS_KEY_ID="new", AWS_SECRET_ACCESS_KEY="new"),
        )

        def rolled() -> str | None:
            template = api_deployment(op)["spec"]["template"]
            value = template["metadata"]["annotations"][CONFIG_HASH]
            return value if value != before else None

        assert await op.eventually(rolled, "a new config hash in the pod template")
        await converge(op, CLUSTERS, "main")
