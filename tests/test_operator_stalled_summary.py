"""A Stalled ArchiveCluster still reports what runs: when a Secret it names is deleted, the
children keep serving, and status.database, .search and .api keep counting their pods."""

from __future__ import annotations

from kube_emulator import (
    CLUSTERS,
    NS,
    cluster_manifest,
    converge,
    running_operator,
    secret_manifest,
)


async def test_stalled_cluster_keeps_the_summary_of_its_running_children() -> None:
    async with running_operator() as op:
        await op.kubectl.create(
            secret_manifest("s3-creds", AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b")
        )
        await op.kubectl.create(
            cluster_manifest(storage={"s3": {"credentialsSecretRef": {"name": "s3-creds"}}})
        )
        before = await converge(op, CLUSTERS, "main")
        assert before["database"] == {"ready": 3, "total": 3}
        assert before["api"] == {"ready": 2, "total": 2}

        await op.kubectl.delete("v1/secrets", NS, "s3-creds")
        condition = await op.condition_true(CLUSTERS, NS, "main", "Stalled")
        assert condition["reason"] == "SecretMissing"
        await op.quiet()
        status = op.status(CLUSTERS, NS, "main")
        assert status["database"] == {"ready": 3, "total": 3}
        assert status["search"] == {"ready": 1, "total": 1}
        assert status["api"] == {"ready": 2, "total": 2}
