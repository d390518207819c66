"""Every manifest the builders produce is one Kubernetes accepts (`kubernetes-validate
--strict`, schemas of Kubernetes 1.31), across the shapes a spec can take.

kubernetes-validate knows only built-in kinds: KEDA's ScaledObject is checked here for
the structure KEDA's CRD requires (scaleTargetRef.name, triggers with type and metadata,
replica counts), not against KEDA's own schema, which is not available offline.
"""

from __future__ import annotations

import functools
from typing import Any

import kubernetes_validate
import pytest
from design_examples import (
    CLUSTER,
    EXTERNAL_CLUSTER,
    FIXED_REGION,
    REGION,
    archive,
    changed,
    region,
)

from archivestream.operator import builders

KUBERNETES_VERSION = "1.31.0"

CLUSTERS = {
    "managed": CLUSTER,
    "external": EXTERNAL_CLUSTER,
    "managed-delete": changed(CLUSTER, "spec.deletionPolicy", "Delete"),
    "single-search-node": changed(CLUSTER, "spec.search.managed.replicas", 1),
    "api-keys-and-resources": changed(
        changed(CLUSTER, "spec.api.apiKeysSecretRef", {"name": "keys", "key": "keys"}),
        "spec.api.resources",
        {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
    ),
}
REGIONS = {
    "autoscaled": REGION,
    "fixed": FIXED_REGION,
    "hpa-forced": changed(REGION, "spec.workers.autoscaler", "hpa"),
    "own-endpoint-and-keys": changed(
        REGION,
        "spec.storage.s3",
        {
            "endpoint": "https://minio.example.org",
            "bucket": "warc-eu",
            "credentialsSecretRef": {"name": "minio"},
        },
    ),
}


@functools.cache
def _generated(kind: str) -> tuple[dict[str, Any], ...]:
    return tuple(builders.generated_secrets(archive(CLUSTERS[kind]), existing={}))


def _secret_data(kind: str) -> dict[str, dict[str, str]]:
    return {secret["metadata"]["name"]: secret["data"] for secret in _generated(kind)}


def _validate(manifest: dict[str, Any]) -> None:
    if manifest["kind"] == "ScaledObject":
        _validate_scaled_object(manifest)
        return
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        pytest.fail(f"{manifest['kind']} {manifest['metadata']['name']}: {where}: {error.message}")


def _validate_scaled_object(manifest: dict[str, Any]) -> None:
    assert manifest["apiVersion"] == "keda.sh/v1alpha1"
    assert manifest["metadata"]["name"]
    spec = manifest["spec"]
    assert set(spec) <= {
        "scaleTargetRef",
        "minReplicaCount",
        "maxReplicaCount",
        "pollingInterval",
        "cooldownPeriod",
        "advanced",
        "triggers",
    }
    assert spec["scaleTargetRef"]["name"]
    assert 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    for trigger in spec["triggers"]:
        assert trigger["type"] == "prometheus"
        assert all(isinstance(value, str) for value in trigger["metadata"].values())
        assert {"serverAddress", "query", "threshold"} <= trigger["metadata"].keys()


@pytest.mark.parametrize("kind", CLUSTERS)
def test_cluster_children_are_valid(kind: str) -> None:
    cluster = archive(CLUSTERS[kind])
    children = builders.cluster_children(cluster, secrets=_secret_data(kind))
    assert children
    for manifest in children:
        _validate(manifest)


@pytest.mark.parametrize("kind", ["managed", "managed-delete"])
def test_generated_secrets_are_valid(kind: str) -> None:
    generated = _generated(kind)
    assert [secret["type"] for secret in generated] == ["kubernetes.io/tls"] * 4 + [
        "kubernetes.io/basic-auth"
    ]
    for manifest in generated:
        _validate(manifest)


@pytest.mark.parametrize("cluster_kind", ["managed", "external"])
@pytest.mark.parametrize("region_kind", REGIONS)
@pytest.mark.parametrize("keda_available", [False, True], ids=["no-keda", "keda"])
def test_region_children_are_valid(
    cluster_kind: str, region_kind: str, keda_available: bool
) -> None:
    children = builders.region_children(
        region(REGIONS[region_kind]),
        archive(CLUSTERS[cluster_kind]),
        secrets=_secret_data(cluster_kind),
        keda_available=keda_available,
    )
    assert children[0]["kind"] == "Deployment"
    for manifest in children:
        _validate(manifest)


def test_the_validator_refuses_a_broken_manifest() -> None:
    """The check above can fail: a misspelt field is refused."""
    children = builders.cluster_children(archive(EXTERNAL_CLUSTER), secrets={})
    deployment = next(child for child in children if child["kind"] == "Deployment")
    broken = changed(deployment, "spec.replica", 2)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
