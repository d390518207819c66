"""A bad ArchiveCluster or CrawlRegion is refused by the CRD's own schema and CEL rules.

Each manifest is judged as the API server would judge it on apply (tests/crd_judge.py:
defaults, openAPIV3Schema with jsonschema, x-kubernetes-validations with cel-python).
The good ones are the examples of the design document.
"""

from __future__ import annotations

from typing import Any

import pytest
from crd_judge import judge
from design_examples import CLUSTER, EXTERNAL_CLUSTER, REGION, changed


@pytest.mark.parametrize(
    "manifest",
    [CLUSTER, REGION, EXTERNAL_CLUSTER],
    ids=["design-cluster", "design-region", "external-services"],
)
def test_the_design_examples_are_accepted(manifest: dict[str, Any]) -> None:
    assert judge(manifest) == []


def test_a_minimal_region_is_accepted_and_defaulted() -> None:
    minimal = changed(changed(REGION, "spec.workers", ...), "spec.storage", ...)
    assert judge(minimal) == []


BAD = [
    (CLUSTER, "spec.version", ..., "'version' is a required property"),
    (CLUSTER, "spec.database", ..., "'database' is a required property"),
    (REGION, "spec.clusterRef", ..., "'clusterRef' is a required property"),
    (REGION, "spec.region", ..., "'region' is a required property"),
    (CLUSTER, "spec.deletionPolicy", "Orphan", "is not one of ['Retain', 'Delete']"),
    (REGION, "spec.workers.autoscaler", "vpa", "is not one of ['auto', 'keda', 'hpa']"),
    (REGION, "spec.workers.min", 30, "workers.min must not be greater than workers.max"),
    (
        CLUSTER,
        "spec.database.external",
        {"urlSecretRef": {"name": "db", "key": "url"}},
        "set exactly one of database.managed and database.external",
    ),
    (CLUSTER, "spec.database", {}, "set exactly one of database.managed and database.external"),
    (
        CLUSTER,
        "spec.search.external",
        {"url": "https://search.example.org"},
        "set exactly one of search.managed and search.external",
    ),
    (REGION, "spec.region", "US_East_1", "does not match"),
    (REGION, "spec.region", "-us-east-1", "does not match"),
    (REGION, "spec.region", "x" * 64, "is too long"),
    (REGION, "spec.workers.replicas", -1, "is less than the minimum of 0"),
    (REGION, "spec.workers.min", 0, "is less than the minimum of 1"),
    (CLUSTER, "spec.api.replicas", -2, "is less than the minimum of 1"),
    (CLUSTER, "spec.database.managed.replicas", 2, "is less than the minimum of 3"),
    (CLUSTER, "spec.database.managed.storage", "100", "does not match"),
    (CLUSTER, "spec.search.managed.storage", "lots", "does not match"),
    (CLUSTER, "spec.database.managed.storage", "-5Gi", "does not match"),
    (CLUSTER, "spec.api.resources", {"requests": {"cpu": "half"}}, "does not match"),
    (CLUSTER, "spec.crawler.politenessDelay", "1 second", "does not match"),
    (CLUSTER, "spec.crawler.maxDepth", "20", "is not of type 'integer'"),
    (CLUSTER, "spec.storage.s3.endpoint", "s3.amazonaws.com", "does not match"),
    (CLUSTER, "spec.database.managed.replicaCount", 3, "'replicaCount' was unexpected"),
    (REGION, "spec.storage.s3.bucket", "Not_A_Bucket", "does not match"),
    (REGION, "metadata.name", "Us East", "is not a DNS subdomain"),
    (CLUSTER, "metadata.name", "a" * 31, "name is at most 30 characters"),
    (CLUSTER, "metadata.name", "1main", "must be a DNS-1035 label"),
    (CLUSTER, "metadata.name", "a.b", "must be a DNS-1035 label"),
    (CLUSTER, "metadata.name", "main-", "is not a DNS subdomain"),
    (REGION, "metadata.name", "1east", "must be a DNS-1035 label"),
    (REGION, "metadata.name", "us.east", "must be a DNS-1035 label"),
    (REGION, "metadata.name", "r" * 25, "name is at most 24 characters"),
    (
        EXTERNAL_CLUSTER,
        "spec.search.external.url",
        "http://search.example.org",
        "search.external.url must be https:// when credentials are sent to it",
    ),
]


@pytest.mark.parametrize(
    ("manifest", "path", "value", "reason"),
    BAD,
    ids=[f"{m['kind']}:{p}={v!r}"[:60] for m, p, v, _ in BAD],
)
def test_a_bad_manifest_is_refused_with_its_reason(
    manifest: dict[str, Any], path: str, value: Any, reason: str
) -> None:
    errors = judge(changed(manifest, path, value))
    assert errors, f"{path}={value!r} was accepted"
    assert any(reason in error for error in errors), errors


def test_region_name_cannot_change_on_update() -> None:
    moved = changed(REGION, "spec.region", "us-west-2")
    assert judge(moved) == [], "a new object may name any region"
    errors = judge(moved, old=REGION)
    assert errors == [
        "spec.region: region is immutable; create another CrawlRegion (rule: self == oldSelf)"
    ]
    assert judge(changed(REGION, "spec.workers.max", 40), old=REGION) == []


def test_an_unknown_kind_is_refused() -> None:
    assert judge({**REGION, "kind": "CrawlZone"}) == [
        "no CRD in crds/ serves archivestream.io/v1alpha1 CrawlZone"
    ]


def test_a_database_cannot_switch_between_managed_and_external_on_update() -> None:
    errors = judge(EXTERNAL_CLUSTER, old=CLUSTER)
    assert len(errors) == 1
    assert errors[0].startswith(
        "spec.database: a database cannot switch between managed and external"
    )
    assert judge(changed(CLUSTER, "spec.database.managed.replicas", 5), old=CLUSTER) == []


def test_plain_http_search_without_credentials_is_accepted() -> None:
    anonymous = changed(
        EXTERNAL_CLUSTER, "spec.search.external", {"url": "http://search.internal:9200"}
    )
    assert judge(anonymous) == []


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("spec.database.managed.storage", "200Gi", "database.managed.storage cannot change"),
        ("spec.search.managed.storage", "1Ti", "search.managed.storage cannot change"),
        (
            "spec.database.managed.storageClassName",
            "fast",
            "database.managed.storageClassName cannot change",
        ),
        ("spec.database.managed.replicas", 3, "cannot be lowered by the operator"),
    ],
)
def test_what_a_statefulset_cannot_follow_is_refused_on_update(
    path: str, value: Any, reason: str
) -> None:
    five_nodes = changed(CLUSTER, "spec.database.managed.replicas", 5)
    updated = changed(five_nodes, path, value)
    assert judge(updated) == [], "a new object may say anything valid"
    errors = judge(updated, old=five_nodes)
    assert len(errors) == 1 and reason in errors[0], errors


def test_more_database_nodes_are_accepted_on_update() -> None:
    more = changed(CLUSTER, "spec.database.managed.replicas", 5)
    assert judge(more, old=CLUSTER) == []


def test_names_at_the_length_bounds_are_accepted() -> None:
    assert judge(changed(CLUSTER, "metadata.name", "a" + "-b" * 14 + "c")) == []
    assert judge(changed(REGION, "metadata.name", "northamerica-northeast-1")) == []
