"""The API Deployment and Service: port 3001, probes on /health and /ready."""

from __future__ import annotations

from typing import Any

from design_examples import CLUSTER, archive, changed

from archivestream.operator.builders import api, rollout


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_deployment_serves_on_3001_with_health_and_ready_probes() -> None:
    deployment = api.deployment(archive(), secrets={})
    container = _container(deployment)
    assert deployment["spec"]["replicas"] == 2
    assert container["args"] == ["api", "--host", "0.0.0.0", "--port", "3001"]
    assert container["ports"] == [{"name": "http", "containerPort": 3001, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}


def test_service_selects_the_api_pods() -> None:
    service = api.service(archive())
    deployment = api.deployment(archive(), secrets={})
    assert service["spec"]["ports"][0]["port"] == 3001
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_environment_names_database_search_and_s3() -> None:
    env = {item["name"]: item for item in _container(api.deployment(archive(), {}))["env"]}
    assert {"DATABASE_URL", "OPENSEARCH_URL", "S3_ENDPOINT", "AWS_ACCESS_KEY_ID"} <= env.keys()
    assert env["S3_ENDPOINT"]["value"] == "https://s3.us-east-1.amazonaws.com"
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"]["name"] == "s3"
    assert env["ARCHIVESTREAM_POLITENESS_DELAY"]["value"] == "1"


def test_api_keys_come_from_their_secret() -> None:
    cluster = archive(changed(CLUSTER, "spec.api.apiKeysSecretRef", {"name": "k", "key": "keys"}))
    env = {item["name"]: item for item in _container(api.deployment(cluster, {}))["env"]}
    assert env["API_KEYS"]["valueFrom"] == {"secretKeyRef": {"name": "k", "key": "keys"}}


def test_a_changed_secret_rolls_the_pods_and_an_unused_one_does_not() -> None:
    def config_hash(secrets: rollout.SecretData) -> str:
        template = api.deployment(archive(), secrets)["spec"]["template"]
        return template["metadata"]["annotations"][rollout.CONFIG_HASH]

    base = {"s3": {"AWS_ACCESS_KEY_ID": "YQ=="}}
    assert config_hash(base) == config_hash({**base, "unrelated": {"x": "eQ=="}})
    assert config_hash(base) != config_hash({"s3": {"AWS_ACCESS_KEY_ID": "Yg=="}})
    assert config_hash(base) != config_hash(
        {**base, "main-opensearch-admin": {"password": "cA=="}}
    )


def test_resources_default_and_override() -> None:
    assert _container(api.deployment(archive(), {}))["resources"]["requests"]["cpu"] == "250m"
    cluster = archive(changed(CLUSTER, "spec.api.resources", {"requests": {"cpu": "2"}}))
    resources = _container(api.deployment(cluster, {}))["resources"]
    assert resources["requests"] == {"cpu": "2"}
    assert resources["limits"] == {"memory": "1Gi"}
