"""The builders' entry points: the whole desired set of children, owned, labelled and
staged; the Secrets a resource needs and what is wrong with them."""

from __future__ import annotations

from typing import Any

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
from archivestream.operator.builders import migrations


def _names(children: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(child["kind"], child["metadata"]["name"]) for child in children]


def test_a_managed_cluster_has_every_child_of_the_design() -> None:
    assert _names(builders.cluster_children(archive(), secrets={})) == [
        ("Service", "main-cockroachdb"),
        ("Service", "main-cockroachdb-public"),
        ("PodDisruptionBudget", "main-cockroachdb"),
        ("StatefulSet", "main-cockroachdb"),
        ("Job", "main-cockroachdb-init"),
        ("Service", "main-opensearch-headless"),
        ("Service", "main-opensearch"),
        ("PodDisruptionBudget", "main-opensearch"),
        ("StatefulSet", "main-opensearch"),
        ("Job", migrations.job_name(archive())),
        ("Service", "main-api"),
        ("Deployment", "main-api"),
    ]


def test_an_external_cluster_runs_only_migrations_and_the_api() -> None:
    cluster = archive(EXTERNAL_CLUSTER)
    assert [kind for kind, _ in _names(builders.cluster_children(cluster, secrets={}))] == [
        "Job",
        "Service",
        "Deployment",
    ]


def test_staging_holds_back_what_needs_the_database_or_the_schema() -> None:
    job = ("Job", migrations.job_name(archive()))
    api = ("Deployment", "main-api")
    waiting_for_database = _names(
        builders.cluster_children(archive(), secrets={}, database_ready=False, schema_ready=False)
    )
    waiting_for_schema = _names(
        builders.cluster_children(archive(), secrets={}, schema_ready=False)
    )
    assert job not in waiting_for_database and api not in waiting_for_database
    assert ("StatefulSet", "main-cockroachdb") in waiting_for_database
    assert job in waiting_for_schema and api not in waiting_for_schema


def test_every_child_is_owned_by_its_resource() -> None:
    for child in builders.cluster_children(archive(), secrets={}):
        assert child["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "archivestream.io/v1alpha1",
                "kind": "ArchiveCluster",
                "name": "main",
                "uid": "uid-cluster",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    for child in builders.region_children(region(), archive(), secrets={}, keda_available=True):
        (owner,) = child["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"], owner["uid"]) == (
            "CrawlRegion",
            "us-east-1",
            "uid-region",
        )


def test_the_resources_own_labels_are_not_copied_onto_children() -> None:
    tracked = {"argocd.argoproj.io/instance": "archive", "team": "web"}
    cluster = archive(changed(CLUSTER, "metadata.labels", tracked))
    crawl_region = region(changed(REGION, "metadata.labels", tracked))
    children = builders.cluster_children(cluster, secrets={}) + builders.region_children(
        crawl_region, cluster, secrets={}, keda_available=False
    )
    for child in children:
        assert not set(tracked) & set(child["metadata"]["labels"]), child["metadata"]["name"]
        assert child["metadata"]["labels"]["archivestream.io/cluster"] == "main"
        assert child["metadata"]["labels"]["app.kubernetes.io/managed-by"] == (
            "archivestream-operator"
        )
    for child in children[-2:]:
        assert child["metadata"]["labels"]["archivestream.io/region"] == "us-east-1"


def test_region_children_follow_the_autoscaling_mode() -> None:
    autoscaled = builders.region_children(region(), archive(), secrets={}, keda_available=False)
    with_keda = builders.region_children(region(), archive(), secrets={}, keda_available=True)
    fixed = builders.region_children(
        region(FIXED_REGION), archive(), secrets={}, keda_available=True
    )
    assert _names(autoscaled) == [
        ("Deployment", "main-crawler-us-east-1"),
        ("HorizontalPodAutoscaler", "main-crawler-us-east-1"),
    ]
    assert _names(with_keda)[1] == ("ScaledObject", "main-crawler-us-east-1")
    assert _names(fixed) == [("Deployment", "main-crawler-us-east-1")]


def test_region_selector_matches_the_worker_pods() -> None:
    selector = builders.region_selector(region(), archive())
    assert selector == (
        "app.kubernetes.io/component=crawler,app.kubernetes.io/instance=main,"
        "app.kubernetes.io/name=archivestream,archivestream.io/region=us-east-1"
    )
    (deployment,) = builders.region_children(
        region(FIXED_REGION), archive(), secrets={}, keda_available=False
    )
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert all(pod_labels[k] == v for k, v in (p.split("=") for p in selector.split(",")))


def test_generated_secrets_are_kept_with_the_volumes_unless_deleting() -> None:
    kept = builders.generated_secrets(archive(), existing={})
    assert [s["metadata"]["name"] for s in kept] == builders.generated_secret_names(archive())
    assert all("ownerReferences" not in s["metadata"] for s in kept)

    deleting = archive(changed(CLUSTER, "spec.deletionPolicy", "Delete"))
    existing = {s["metadata"]["name"]: s["data"] for s in kept[:4]}
    (admin,) = builders.generated_secrets(deleting, existing=existing)
    assert admin["metadata"]["ownerReferences"][0]["kind"] == "ArchiveCluster"


def test_required_secrets_name_the_users_secrets_and_keys() -> None:
    needs = builders.required_secrets(archive(EXTERNAL_CLUSTER))
    assert [(need.name, need.keys) for need in needs] == [
        ("db", ("url",)),
        ("os", ("username", "password")),
        ("s3", ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")),
    ]
    assert builders.secrets_to_read(archive(EXTERNAL_CLUSTER)) == ["db", "os", "s3"]
    managed = builders.secrets_to_read(archive())
    assert managed[:5] == builders.generated_secret_names(archive())
    assert managed[5:] == ["s3"]


def test_a_regions_own_credentials_are_required_for_it() -> None:
    own = region(changed(REGION, "spec.storage.s3.credentialsSecretRef", {"name": "eu-keys"}))
    needs = builders.required_secrets(archive(), own)
    assert [need.name for need in needs] == ["eu-keys"]


def test_secret_problems_say_what_is_missing_and_who_named_it() -> None:
    needs = builders.required_secrets(archive(EXTERNAL_CLUSTER))
    secrets = {"db": {"url": "cG9zdGdyZXNxbDovLw=="}, "os": {"username": "YQ=="}}
    assert builders.secret_problems(needs, secrets) == [
        "Secret os (named by spec.search.external.credentialsSecretRef) has no key 'password'",
        "Secret s3 (named by spec.storage.s3.credentialsSecretRef) does not exist",
    ]
    complete = {
        **secrets,
        "os": {"username": "YQ==", "password": "Yg=="},
        "s3": {"AWS_ACCESS_KEY_ID": "YQ==", "AWS_SECRET_ACCESS_KEY": "Yg=="},
    }
    assert builders.secret_problems(needs, complete) == []
