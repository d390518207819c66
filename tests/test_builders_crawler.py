"""The crawler Deployment of a region: its environment, graceful stop and replicas."""

from __future__ import annotations

from typing import Any

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

from archivestream.operator.builders import crawler, rollout
from archivestream.operator.models import SpecError


def _env(deployment: dict[str, Any]) -> dict[str, Any]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def test_workers_run_archivestream_crawler_in_their_region() -> None:
    deployment = crawler.deployment(region(), archive(), secrets={})
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = _env(deployment)

    assert deployment["metadata"]["name"] == "main-crawler-us-east-1"
    assert container["args"] == ["crawler"]
    assert env["REGION"] == "us-east-1"
    assert env["S3_BUCKET"] == "archivestream-warc-us-east-1"
    assert env["S3_ENDPOINT"] == "https://s3.us-east-1.amazonaws.com"
    assert env["AWS_SECRET_ACCESS_KEY"] == {
        "secretKeyRef": {"name": "s3", "key": "AWS_SECRET_ACCESS_KEY"}
    }
    assert env["ARCHIVESTREAM_CONCURRENCY"] == "64"
    assert env["ARCHIVESTREAM_USER_AGENT"] == "ArchiveStream/1.0 (+https://...)"
    assert env["OPENSEARCH_URL"].endswith("@main-opensearch.archive.svc.cluster.local:9200")
    assert env["DATABASE_URL"].startswith("postgresql://archivestream@main-cockroachdb-public")


def test_external_database_url_comes_from_its_secret() -> None:
    env = _env(crawler.deployment(region(), archive(EXTERNAL_CLUSTER), secrets={}))
    assert env["DATABASE_URL"] == {"secretKeyRef": {"name": "db", "key": "url"}}


def test_a_region_overrides_the_clusters_s3_settings_field_by_field() -> None:
    own = changed(
        REGION,
        "spec.storage.s3",
        {"endpoint": "https://minio.example.org", "bucket": "eu-warcs"},
    )
    env = _env(crawler.deployment(region(own), archive(), secrets={}))
    assert env["S3_ENDPOINT"] == "https://minio.example.org"
    assert env["S3_BUCKET"] == "eu-warcs"
    assert env["AWS_ACCESS_KEY_ID"]["secretKeyRef"]["name"] == "s3", "credentials inherited"


def test_a_bucket_named_by_the_cluster_serves_a_region_without_one() -> None:
    cluster = archive(changed(CLUSTER, "spec.storage.s3.bucket", "shared-warcs"))
    env = _env(crawler.deployment(region(changed(REGION, "spec.storage", ...)), cluster, {}))
    assert env["S3_BUCKET"] == "shared-warcs"


def test_no_bucket_anywhere_is_a_spec_error_saying_where_to_set_one() -> None:
    with pytest.raises(SpecError) as caught:
        crawler.deployment(region(changed(REGION, "spec.storage", ...)), archive(), {})
    assert str(caught.value) == (
        "CrawlRegion us-east-1 has no S3 bucket: set spec.storage.s3.bucket on it "
        "or on its ArchiveCluster"
    )


def test_autoscaled_deployment_carries_no_replicas() -> None:
    deployment = crawler.deployment(region(), archive(), secrets={})
    assert "replicas" not in deployment["spec"]


def test_fixed_workers_set_the_replicas() -> None:
    assert crawler.deployment(region(FIXED_REGION), archive(), {})["spec"]["replicas"] == 4
    stopped = region(changed(REGION, "spec.workers.replicas", 0))
    assert crawler.deployment(stopped, archive(), {})["spec"]["replicas"] == 0


def test_workers_get_time_to_release_their_leases() -> None:
    pod = crawler.deployment(region(), archive(), secrets={})["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] >= 180
    assert "lifecycle" not in pod["containers"][0], "SIGTERM is the cue; no preStop sleep"


def test_selector_is_by_cluster_component_and_region() -> None:
    deployment = crawler.deployment(region(), archive(), secrets={})
    assert deployment["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "archivestream",
        "app.kubernetes.io/instance": "main",
        "app.kubernetes.io/component": "crawler",
        "archivestream.io/region": "us-east-1",
    }


def test_changed_s3_credentials_roll_the_workers() -> None:
    def config_hash(secrets: rollout.SecretData) -> str:
        template = crawler.deployment(region(), archive(), secrets)["spec"]["template"]
        return template["metadata"]["annotations"][rollout.CONFIG_HASH]

    assert config_hash({"s3": {"k": "YQ=="}}) != config_hash({"s3": {"k": "Yg=="}})
    assert config_hash({"s3": {"k": "YQ=="}}) == config_hash({"s3": {"k": "YQ=="}, "x": {}})
