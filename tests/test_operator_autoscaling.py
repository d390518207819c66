"""While autoscaling is on, the operator never writes the crawler Deployment's replicas; with
workers.replicas set (by hand or through the scale subresource) there is no autoscaler and the
region runs exactly that many workers."""

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

HPAS = "autoscaling/v2/horizontalpodautoscalers"
DEPLOYMENTS = "apps/v1/deployments"


def region_child(op, kind: str) -> dict | None:
    found = op.children(REGIONS, NS, "us-east-1", kind)
    return found[0] if found else None


async def test_autoscaled_replicas_are_never_written() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await op.kubectl.create(region_manifest())
        await converge(op, CLUSTERS, "main")
        await converge(op, REGIONS, "us-east-1")
        hpa = region_child(op, "HorizontalPodAutoscaler")
        deployment = region_child(op, "Deployment")
        name = deployment["metadata"]["name"]
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert op.status(REGIONS, NS, "us-east-1")["autoscaler"] == "hpa"

        # The HPA scales the workers up, then the spec changes something else in them.
        await op.kubectl.patch(DEPLOYMENTS, NS, name, {"spec": {"replicas": 7}}, sub="scale")
        await op.kubectl.patch(REGIONS, NS, "us-east-1", {"spec": {"workers": {"concurrency": 8}}})

        def rolled() -> bool:
            live = op.server.live(DEPLOYMENTS, NS, name)
            env = live["spec"]["template"]["spec"]["containers"][0].get("env", [])
            return any(e.get("value") == "8" for e in env)

        await op.eventually(rolled, "the new concurrency in the workers' template")
        await op.quiet(1.0)
        assert op.server.live(DEPLOYMENTS, NS, name)["spec"]["replicas"] == 7
        patches = [
            r.data
            for r in op.server.operator_writes()
            if r.method == "PATCH" and r.url.path.endswith(f"/deployments/{name}")
        ]
        assert patches, "the template change should have been patched"
        assert all("replicas" not in (patch.get("spec") or {}) for patch in patches)


async def test_fixed_workers_through_the_scale_subresource() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await op.kubectl.create(region_manifest())
        await converge(op, CLUSTERS, "main")
        await converge(op, REGIONS, "us-east-1")
        name = region_child(op, "Deployment")["metadata"]["name"]

        # `kubectl scale crawlregion us-east-1 --replicas=4`
        await op.kubectl.patch(REGIONS, NS, "us-east-1", {"spec": {"replicas": 4}}, sub="scale")
        assert op.server.live(REGIONS, NS, "us-east-1")["spec"]["workers"]["replicas"] == 4

        await op.eventually(
            lambda: op.server.live(DEPLOYMENTS, NS, name)["spec"].get("replicas") == 4,
            "four workers",
        )
        await op.eventually(lambda: region_child(op, "HorizontalPodAutoscaler") is None, "no HPA")
        assert op.server.names(HPAS, NS) == set()
        status = await converge(op, REGIONS, "us-east-1")
        assert status["workers"]["desired"] == 4
        assert status["workers"]["current"] == 4
        assert status["autoscaler"] == "none"
        selector = status["workers"]["selector"]
        assert "app.kubernetes.io/component=crawler" in selector
        assert "archivestream.io/region=us-east-1" in selector


async def test_keda_scaled_object_when_keda_is_installed() -> None:
    async with running_operator(with_keda=True) as op:
        await op.kubectl.create(cluster_manifest())
        await op.kubectl.create(region_manifest())
        await converge(op, CLUSTERS, "main")
        scaled = await op.eventually(
            lambda: region_child(op, "ScaledObject"), "a KEDA ScaledObject"
        )
        assert region_child(op, "HorizontalPodAutoscaler") is None
        name = scaled["metadata"]["name"]

        # Play KEDA: its ScaledObject is Ready and it drives an HPA of its own.
        await op.kubectl.patch(
            "keda.sh/v1alpha1/scaledobjects", NS, name,
            {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, sub="status",
        )  # fmt: skip
        hpa_name = scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["name"]
        await op.kubectl.create(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": hpa_name, "namespace": NS},
                "spec": {"minReplicas": 2, "maxReplicas": 20},
            }
        )
        await op.kubectl.patch(
            HPAS, NS, hpa_name,
            {"status": {"currentReplicas": 3, "desiredReplicas": 4, "currentMetrics": [
                {"type": "External", "external": {"current": {"averageValue": "20k"}}}]}},
            sub="status",
        )  # fmt: skip
        status = await converge(op, REGIONS, "us-east-1")
        await op.eventually(
            lambda: op.status(REGIONS, NS, "us-east-1").get("frontierDepth") == 60000,
            "the frontier depth KEDA's HPA saw",
        )
        status = op.status(REGIONS, NS, "us-east-1")
        assert status["autoscaler"] == "keda"
        assert status["workers"]["desired"] == 4 and status["workers"]["current"] == 3
