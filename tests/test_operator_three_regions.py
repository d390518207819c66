"""The three-region example of the production checklist (examples/multi-region: us-east-1,
eu-west-1, ap-south-1, one bucket each) converges against the emulator with truthful status."""

from __future__ import annotations

from pathlib import Path

import yaml
from kube_emulator import CLUSTERS, NS, REGIONS, converge, running_operator

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "multi-region"
REGION_NAMES = ("us-east-1", "eu-west-1", "ap-south-1")


def example_manifests() -> list[dict]:
    """The example's objects in kustomization order, in its namespace (as `apply -k` does)."""
    kustomization = yaml.safe_load((EXAMPLE / "kustomization.yaml").read_text())
    manifests = []
    for resource in kustomization["resources"]:
        for manifest in yaml.safe_load_all((EXAMPLE / resource).read_text()):
            if manifest and manifest["kind"] != "Namespace":
                manifest["metadata"]["namespace"] = kustomization.get("namespace", NS)
                manifests.append(manifest)
    return manifests


async def test_three_region_example_converges() -> None:
    async with running_operator() as op:
        for manifest in example_manifests():
            await op.kubectl.create(manifest)

        await converge(op, CLUSTERS, "main")
        buckets = set()
        for name in REGION_NAMES:
            status = await converge(op, REGIONS, name)
            assert status["workers"]["desired"] == 10  # workers.min of the example
            assert status["autoscaler"] == "hpa"
            region = op.server.live(REGIONS, NS, name)
            (deployment,) = [
                c
                for c in op.children_of(NS, region["metadata"]["uid"])
                if c["kind"] == "Deployment"
            ]
            env = {
                e["name"]: e.get("value")
                for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
            }
            assert env["REGION"] == name
            buckets.add(env["S3_BUCKET"])
        assert buckets == {f"archivestream-warc-{name}" for name in REGION_NAMES}

        def all_counted() -> bool:
            return op.status(CLUSTERS, NS, "main").get("regions") == {"ready": 3, "total": 3}

        await op.eventually(all_counted, "three regions ready in the cluster's status")
        status = op.status(CLUSTERS, NS, "main")
        assert status["database"] == {"ready": 3, "total": 3}
        assert status["search"] == {"ready": 3, "total": 3}
        assert status["api"] == {"ready": 2, "total": 2}
        ready = [c for c in status["conditions"] if c["type"] == "Ready"][0]
        assert ready["status"] == "True"
