"""The three-region example of the production checklist (examples/multi-region: us-east-1,
eu-west-1, ap-south-1, one bucket each) converges against the emulator with truthful status."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml
from kube_emulator import CLUSTERS, NS, REGIONS, converge, running_operator

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "multi-region"
REGION_NAMES = ("us-east-1", "eu-west-1", "ap-south-1")


CRDS = Path(__file__).resolve().parent.parent / "crds"


def status_schema(kind: str) -> dict:
    crd = yaml.safe_load((CRDS / f"{kind.lower()}.yaml").read_text())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]


def unpruned(value: object, schema: dict, path: str = "status") -> list[str]:
    """Fields an API server would prune from `value`: those its structural schema lacks."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    if isinstance(value, dict):
        properties = schema.get("properties")
        if properties is None:
            extra = schema.get("additionalProperties")
            return [] if extra else [path]
        missing = [f"{path}.{key}" for key in value if key not in properties]
        for key, item in value.items():
            if key in properties:
                missing += unpruned(item, properties[key], f"{path}.{key}")
        return missing
    if isinstance(value, list):
        return [m for item in value for m in unpruned(item, schema.get("items", {}), path + "[]")]
    return []


def assert_schema_keeps(kind: str, status: dict) -> None:
    """The status the operator wrote survives the CRD's schema whole, and is valid."""
    schema = status_schema(kind)
    assert unpruned(status, schema) == []
    jsonschema.validate(status, schema)


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
        assert_schema_keeps("ArchiveCluster", status)
        for name in REGION_NAMES:
            assert_schema_keeps("CrawlRegion", op.status(REGIONS, NS, name))
