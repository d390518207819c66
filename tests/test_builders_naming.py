"""Child names stay within Kubernetes' limits, however long the resource names are."""

from __future__ import annotations

import re

from design_examples import CLUSTER, REGION, archive, changed, region

from archivestream.operator import builders, models
from archivestream.operator.builders import naming

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def test_short_names_are_kept_as_they_are() -> None:
    assert naming.fit("main-api") == "main-api"
    assert naming.crawler("main", "us-east-1") == "main-crawler-us-east-1"


def test_long_names_are_cut_with_a_stable_digest() -> None:
    long = "a" * 80
    first, second = naming.fit(long), naming.fit(long)
    assert first == second and len(first) == 63
    assert naming.fit(long + "b") != first, "two long names that share a prefix stay apart"
    assert len(naming.cockroachdb("c" * 60)) == naming.STATEFULSET_LIMIT


def test_every_child_of_long_named_resources_has_a_valid_name() -> None:
    cluster_name = "archive-of-the-national-library-of-somewhere-far-away-1"
    cluster = archive(
        changed(changed(CLUSTER, "metadata.name", cluster_name), "spec.storage.s3.bucket", "warcs")
    )
    crawl_region = region(
        changed(
            changed(REGION, "metadata.name", "asia-pacific-south-east-secondary-" + "x" * 40),
            "spec.clusterRef.name",
            cluster_name,
        )
    )
    children = (
        builders.cluster_children(cluster, secrets={})
        + builders.region_children(crawl_region, cluster, secrets={}, keda_available=False)
        + builders.generated_secrets(cluster, existing={})
    )
    for child in children:
        name = child["metadata"]["name"]
        limit = naming.STATEFULSET_LIMIT if child["kind"] == "StatefulSet" else 63
        assert len(name) <= limit and DNS_LABEL.match(name), (child["kind"], name)
        for value in child["metadata"]["labels"].values():
            assert len(value) <= 63, (child["kind"], value)


def test_names_at_the_schemas_bounds_give_children_named_in_full() -> None:
    """The CRDs' name bounds are such that no child name has to be shortened."""
    cluster_name = "c" * models.CLUSTER_NAME_MAX
    region_name = "r" * models.REGION_NAME_MAX
    cluster = archive(
        changed(changed(CLUSTER, "metadata.name", cluster_name), "spec.storage.s3.bucket", "warcs")
    )
    crawl_region = region(
        changed(
            changed(REGION, "metadata.name", region_name), "spec.clusterRef.name", cluster_name
        )
    )
    children = (
        builders.cluster_children(cluster, secrets={})
        + builders.region_children(crawl_region, cluster, secrets={}, keda_available=False)
        + builders.generated_secrets(cluster, existing={})
    )
    longest = max(len(child["metadata"]["name"]) for child in children)
    assert longest == 63, "the bounds are as long as they can be"
    for child in children:
        name = child["metadata"]["name"]
        limit = naming.STATEFULSET_LIMIT if child["kind"] == "StatefulSet" else 63
        assert naming.fit(name, limit) == name, (child["kind"], name)
        assert name.startswith(cluster_name + "-"), name
    assert naming.crawler(cluster_name, region_name).endswith(region_name)
