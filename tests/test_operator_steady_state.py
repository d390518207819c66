"""In a steady state the operator writes nothing: no patch, no create, no event, however many
resyncs and child events go by."""

from __future__ import annotations

from kube_emulator import (
    CLUSTERS,
    REGIONS,
    cluster_manifest,
    converge,
    region_manifest,
    running_operator,
)


async def test_steady_state_makes_no_writes() -> None:
    async with running_operator(resync_interval=0.2) as op:
        await op.kubectl.create(cluster_manifest())
        await op.kubectl.create(region_manifest())
        await converge(op, CLUSTERS, "main")
        await converge(op, REGIONS, "us-east-1")
        await op.eventually(
            lambda: op.status(CLUSTERS, "archive", "main").get("regions", {}).get("ready") == 1,
            "the region counted ready",
        )
        await op.quiet(1.0)  # let triggered reconciles and events settle

        reconciles = op.reconciler.reconciles
        mark = len(list(op.server._requests))
        await op.quiet(2.0)  # ten resync periods

        assert op.reconciler.reconciles >= reconciles + 4, "the timers should have run"
        assert op.server.writes(since=mark) == []
