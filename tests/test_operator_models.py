"""The operator's models parse what kopf hands over, with the CRD's own defaults."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from crd_judge import schemas, with_defaults
from design_examples import CLUSTER, EXTERNAL_CLUSTER, REGION, changed

from archivestream.operator import models
from archivestream.operator.models import ArchiveCluster, CrawlRegion, SpecError


def test_cluster_from_body_reads_identity_and_spec() -> None:
    body = changed(changed(CLUSTER, "metadata.uid", "u-1"), "metadata.generation", 4)
    cluster = ArchiveCluster.from_body(body)

    assert (cluster.name, cluster.namespace, cluster.uid, cluster.generation) == (
        "main",
        "archive",
        "u-1",
        4,
    )
    assert cluster.spec.database.managed is not None
    assert cluster.spec.database.managed.storage == "100Gi"
    assert cluster.spec.database.external is None
    assert cluster.spec.storage.s3.credentials_secret_ref is not None
    assert cluster.spec.storage.s3.credentials_secret_ref.name == "s3"
    assert cluster.spec.crawler.politeness_delay_seconds == 1.0
    assert cluster.spec.deletion_policy == "Retain"
    assert cluster.paused is False


def test_external_services_are_read() -> None:
    cluster = ArchiveCluster.from_body(EXTERNAL_CLUSTER)
    assert cluster.spec.database.external is not None
    assert cluster.spec.database.external.url_secret_ref.key == "url"
    assert cluster.spec.search.external is not None
    assert cluster.spec.search.external.credentials_secret_ref is not None
    assert cluster.spec.search.external.credentials_secret_ref.password_key == "password"


def test_region_from_body_fills_the_defaults() -> None:
    region = CrawlRegion.from_body(changed(REGION, "spec.workers", ...))
    assert region.spec.workers.min == 1
    assert region.spec.workers.max == 10
    assert region.spec.workers.autoscaler == "auto"
    assert region.spec.workers.replicas is None
    assert region.spec.workers.autoscaling is True


@pytest.mark.parametrize(
    ("manifest", "model"),
    [
        (changed(CLUSTER, "spec.api", ...), models.ArchiveClusterSpec),
        (changed(REGION, "spec.workers", {}), models.CrawlRegionSpec),
        (changed(REGION, "spec.storage", ...), models.CrawlRegionSpec),
    ],
)
def test_model_defaults_are_the_crd_defaults(manifest: dict[str, Any], model: Any) -> None:
    """What the API server fills in and what the operator assumes must be the same."""
    schema = schemas()[(manifest["apiVersion"], manifest["kind"])]
    defaulted = with_defaults(schema, copy.deepcopy(manifest))["spec"]
    assert model.model_validate(manifest["spec"]).to_body() == defaulted


def test_kubectl_scale_turns_autoscaling_off() -> None:
    region = CrawlRegion.from_body(changed(REGION, "spec.workers.replicas", 5))
    assert region.spec.workers.replicas == 5
    assert region.spec.workers.autoscaling is False


def test_paused_annotation() -> None:
    body = changed(REGION, "metadata.annotations", {"archivestream.io/paused": "true"})
    assert CrawlRegion.from_body(body).paused is True
    body = changed(REGION, "metadata.annotations", {"archivestream.io/paused": "false"})
    assert CrawlRegion.from_body(body).paused is False


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            changed(REGION, "spec.workers.min", 30),
            "CrawlRegion spec.workers: workers.min must not be greater than workers.max",
        ),
        (
            changed(CLUSTER, "spec.database", {}),
            "ArchiveCluster spec.database: set exactly one of database.managed and "
            "database.external",
        ),
        (changed(CLUSTER, "spec.version", ...), "ArchiveCluster spec.version: Field required"),
        (changed(REGION, "spec.region", "US"), "CrawlRegion spec.region: String should match"),
        (
            changed(EXTERNAL_CLUSTER, "spec.search.external.url", "http://search.example.org"),
            "ArchiveCluster spec.search.external: search.external.url must be https://",
        ),
        (
            changed(CLUSTER, "spec.deletionPolicy", "Orphan"),
            "ArchiveCluster spec.deletionPolicy: Input should be 'Retain' or 'Delete'",
        ),
    ],
)
def test_a_bad_spec_raises_spec_error_naming_the_field(
    manifest: dict[str, Any], message: str
) -> None:
    model = ArchiveCluster if manifest["kind"] == "ArchiveCluster" else CrawlRegion
    with pytest.raises(SpecError) as caught:
        model.from_body(manifest)
    assert str(caught.value).startswith(message)


def test_a_body_without_spec_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="spec.clusterRef: Field required"):
        CrawlRegion.from_body({"metadata": {"name": "x", "namespace": "n"}})


@pytest.mark.parametrize(
    ("text", "seconds"), [("1s", 1.0), ("250ms", 0.25), ("1m30s", 90.0), ("0s", 0.0)]
)
def test_duration_seconds(text: str, seconds: float) -> None:
    assert models.duration_seconds(text) == seconds


def test_a_bad_duration_says_what_is_expected() -> None:
    with pytest.raises(SpecError, match='not a duration like "1s"'):
        models.duration_seconds("soon")


def test_unknown_fields_from_a_newer_crd_are_ignored() -> None:
    region = CrawlRegion.from_body(changed(REGION, "spec.workers.futureKnob", 1))
    assert region.spec.workers.max == 20
