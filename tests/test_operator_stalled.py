"""Errors waiting will not fix give Stalled=True with a reason and a Warning Event, and heal by
themselves once fixed: a missing Secret, a CrawlRegion naming an absent ArchiveCluster."""

from __future__ import annotations

from kube_emulator import (
    CLUSTERS,
    NS,
    REGIONS,
    cluster_manifest,
    converge,
    region_manifest,
    running_operator,
    secret_manifest,
)


def warnings(op, name: str) -> list[dict]:
    return [
        obj.raw
        for (resource, ns, _), obj in list(op.server.objects.items())
        if resource.plural == "events"
        and ns == NS
        and not obj.deleted
        and obj.raw.get("type") == "Warning"
        and obj.raw.get("involvedObject", {}).get("name") == name
    ]


async def test_missing_secret_stalls_until_it_appears() -> None:
    async with running_operator() as op:
        await op.kubectl.create(
            cluster_manifest(storage={"s3": {"credentialsSecretRef": {"name": "s3-creds"}}})
        )

        condition = await op.condition_true(CLUSTERS, NS, "main", "Stalled")
        assert condition["reason"] == "SecretMissing"
        assert "s3-creds" in condition["message"]
        assert op.condition(CLUSTERS, NS, "main", "Ready")["status"] == "False"
        assert op.condition(CLUSTERS, NS, "main", "Reconciling")["status"] == "False"
        event = (await op.eventually(lambda: warnings(op, "main"), "a Warning Event"))[0]
        assert event["reason"] == "SecretMissing" and "s3-creds" in event["message"]
        # Nothing is built on a spec that cannot be served.
        assert op.children(CLUSTERS, NS, "main") == []

        await op.kubectl.create(
            secret_manifest("s3-creds", AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b")
        )
        status = await converge(op, CLUSTERS, "main")
        stalled_now = [c for c in status["conditions"] if c["type"] == "Stalled"][0]
        assert stalled_now["status"] == "False"


async def test_secret_without_the_key_stalls() -> None:
    async with running_operator() as op:
        await op.kubectl.create(secret_manifest("db", password="x"))
        await op.kubectl.create(
            cluster_manifest(database={"external": {"urlSecretRef": {"name": "db", "key": "url"}}})
        )

        condition = await op.condition_true(CLUSTERS, NS, "main", "Stalled")
        assert "'url'" in condition["message"]


async def test_region_of_an_absent_cluster_stalls_until_it_exists() -> None:
    async with running_operator() as op:
        await op.kubectl.create(region_manifest(cluster="later"))

        condition = await op.condition_true(REGIONS, NS, "us-east-1", "Stalled")
        assert condition["reason"] == "ClusterNotFound"
        assert "'later'" in condition["message"]
        await op.eventually(lambda: warnings(op, "us-east-1"), "a Warning Event")

        await op.kubectl.create(cluster_manifest(name="later"))
        await converge(op, CLUSTERS, "later")
        status = await converge(op, REGIONS, "us-east-1")
        assert status["workers"]["desired"] == 2


async def test_region_without_a_bucket_stalls_until_one_is_named() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await op.kubectl.create(region_manifest(storage={"s3": {}}))

        condition = await op.condition_true(REGIONS, NS, "us-east-1", "Stalled")
        assert condition["reason"] == "InvalidSpec"
        assert "bucket" in condition["message"]

        await op.kubectl.patch(
            REGIONS, NS, "us-east-1", {"spec": {"storage": {"s3": {"bucket": "warc"}}}}
        )
        await converge(op, CLUSTERS, "main")
        status = await converge(op, REGIONS, "us-east-1")
        assert status["observedGeneration"] == 2
