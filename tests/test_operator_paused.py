"""The annotation archivestream.io/paused: "true" stops reconciling: drift stays, spec changes
wait, nothing is written; removing it resumes."""

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

PAUSED = "archivestream.io/paused"


def api_name(op) -> str:
    (name,) = [c["metadata"]["name"] for c in op.children(CLUSTERS, NS, "main", "Deployment")]
    return name


async def test_paused_resource_is_left_alone_until_resumed() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await converge(op, CLUSTERS, "main")
        name = api_name(op)

        await op.kubectl.patch(
            CLUSTERS, NS, "main", {"metadata": {"annotations": {PAUSED: "true"}}}
        )
        await op.quiet(0.5)
        mark = len(list(op.server._requests))
        await op.kubectl.delete("apps/v1/deployments", NS, name)
        await op.kubectl.patch(CLUSTERS, NS, "main", {"spec": {"api": {"replicas": 5}}})
        await op.quiet(1.5)  # several resyncs and child events

        assert op.server.live("apps/v1/deployments", NS, name) is None
        assert op.server.operator_writes(since=mark) == []
        assert op.status(CLUSTERS, NS, "main")["observedGeneration"] == 1

        await op.kubectl.patch(CLUSTERS, NS, "main", {"metadata": {"annotations": {PAUSED: None}}})
        restored = await op.eventually(
            lambda: op.server.live("apps/v1/deployments", NS, name), "the Deployment restored"
        )
        assert restored["spec"]["replicas"] == 5


async def test_paused_region_keeps_a_hand_edit() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await op.kubectl.create(region_manifest())
        await converge(op, CLUSTERS, "main")
        await converge(op, REGIONS, "us-east-1")
        (name,) = [
            c["metadata"]["name"] for c in op.children(REGIONS, NS, "us-east-1", "Deployment")
        ]

        await op.kubectl.patch(
            REGIONS, NS, "us-east-1", {"metadata": {"annotations": {PAUSED: "true"}}}
        )
        await op.quiet(0.5)
        mark = len(list(op.server._requests))
        await op.kubectl.patch(
            "apps/v1/deployments",
            NS,
            name,
            {"metadata": {"labels": {"app.kubernetes.io/name": "x"}}},
        )
        await op.quiet(1.0)
        assert op.server.operator_writes(since=mark) == []
        labels = op.server.live("apps/v1/deployments", NS, name)["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "x"
