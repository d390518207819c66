"""The Argo CD health check (Lua) and the Flux healthCheckExprs (CEL) shipped in
operator/health/ judge the statuses the operator itself wrote, in each state it reaches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import celpy
import lupa
import yaml
from kube_emulator import (
    CLUSTERS,
    NS,
    REGIONS,
    cluster_manifest,
    converge,
    region_manifest,
    running_operator,
)

HEALTH = Path(__file__).resolve().parent.parent / "operator" / "health"


def argocd(obj: dict[str, Any]) -> tuple[str, str]:
    """What Argo CD would show: the Lua script run with `obj` as its global."""
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute((HEALTH / "argocd.lua").read_text())
    return result["status"], result["message"]


def flux(obj: dict[str, Any]) -> str:
    """What Flux would conclude: inProgress, then failed, then current, else in progress."""
    snippet = yaml.safe_load((HEALTH / "flux-healthcheck.yaml").read_text())
    (check,) = [c for c in snippet["healthCheckExprs"] if c["kind"] == obj["kind"]]
    env = celpy.Environment()
    activation = {
        key: celpy.json_to_cel(obj.get(key) or {}) for key in ("metadata", "spec", "status")
    }
    for verdict in ("inProgress", "failed", "current"):
        program = env.program(env.compile(check[verdict]))
        if bool(program.evaluate(activation)):
            return verdict
    return "inProgress"


async def test_health_checks_follow_the_operators_status() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await op.eventually(lambda: op.status(CLUSTERS, NS, "main"), "a first status")
        progressing = op.server.live(CLUSTERS, NS, "main")
        assert argocd(progressing)[0] == "Progressing"
        assert flux(progressing) == "inProgress"

        await converge(op, CLUSTERS, "main")
        ready = op.server.live(CLUSTERS, NS, "main")
        assert argocd(ready)[0] == "Healthy"
        assert flux(ready) == "current"

        await op.kubectl.create(region_manifest(cluster="absent"))
        await op.condition_true(REGIONS, NS, "us-east-1", "Stalled")
        broken = op.server.live(REGIONS, NS, "us-east-1")
        status, message = argocd(broken)
        assert status == "Degraded" and "ClusterNotFound" in message and "absent" in message
        assert flux(broken) == "failed"

        await op.kubectl.patch(
            CLUSTERS,
            NS,
            "main",
            {"metadata": {"annotations": {"archivestream.io/paused": "true"}}},
        )
        await op.kubectl.patch(CLUSTERS, NS, "main", {"spec": {"api": {"replicas": 3}}})
        await op.quiet(0.5)
        unobserved = op.server.live(CLUSTERS, NS, "main")
        assert unobserved["status"]["observedGeneration"] < unobserved["metadata"]["generation"]
        assert argocd(unobserved)[0] == "Suspended"
        assert flux(unobserved) == "inProgress"


def test_flux_waits_for_a_resource_without_status() -> None:
    fresh = {"kind": "CrawlRegion", "metadata": {"name": "x", "generation": 1}, "spec": {}}
    assert flux(fresh) == "inProgress"
    assert argocd(fresh)[0] == "Progressing"
