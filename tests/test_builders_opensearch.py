"""The managed OpenSearch and its generated admin password; an external one's settings."""

from __future__ import annotations

import base64
import re
from typing import Any

from design_examples import CLUSTER, EXTERNAL_CLUSTER, archive, changed

from archivestream.operator import builders
from archivestream.operator.builders import opensearch, workload


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def test_generated_password_is_strong_and_url_safe() -> None:
    passwords = {opensearch.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) == 24
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]+", password)
        assert re.search(r"[a-z]", password) and re.search(r"[A-Z]", password)
        assert re.search(r"[0-9]", password) and re.search(r"[-_]", password)


def test_admin_secret_is_basic_auth() -> None:
    secret = opensearch.admin_secret(archive(), "S3cret-pass")
    assert secret["type"] == "kubernetes.io/basic-auth"
    assert secret["metadata"]["name"] == "main-opensearch-admin"
    assert base64.b64decode(secret["data"]["password"]) == b"S3cret-pass"
    assert base64.b64decode(secret["data"]["username"]) == b"admin"


def test_the_admin_password_is_generated_only_when_absent() -> None:
    cluster = archive(EXTERNAL_CLUSTER)
    managed_search = archive(changed(EXTERNAL_CLUSTER, "spec.search", {"managed": {}}))
    assert builders.generated_secrets(cluster, existing={}) == []
    (secret,) = builders.generated_secrets(managed_search, existing={})
    assert secret["metadata"]["name"] == "main-opensearch-admin"
    present = {"main-opensearch-admin": secret["data"]}
    assert builders.generated_secrets(managed_search, existing=present) == []


def test_statefulset_forms_a_cluster_with_the_generated_password() -> None:
    statefulset = opensearch.statefulset(archive(), secrets={})
    env = _env(statefulset["spec"]["template"]["spec"]["containers"][0])
    assert statefulset["spec"]["replicas"] == 3
    assert statefulset["spec"]["serviceName"] == "main-opensearch-headless"
    assert env["cluster.initial_cluster_manager_nodes"] == (
        "main-opensearch-0,main-opensearch-1,main-opensearch-2"
    )
    assert env["discovery.seed_hosts"] == "main-opensearch-headless"
    assert env["OPENSEARCH_INITIAL_ADMIN_PASSWORD"] == {
        "secretKeyRef": {"name": "main-opensearch-admin", "key": "password"}
    }
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "500Gi"


def test_one_node_is_a_single_node_cluster() -> None:
    cluster = archive(changed(CLUSTER, "spec.search.managed.replicas", 1))
    env = _env(
        opensearch.statefulset(cluster, secrets={})["spec"]["template"]["spec"]["containers"][0]
    )
    assert env["discovery.type"] == "single-node"
    assert "cluster.initial_cluster_manager_nodes" not in env


def test_services_and_disruption_budget() -> None:
    kinds = [(c["kind"], c["metadata"]["name"]) for c in opensearch.children(archive(), {})]
    assert kinds == [
        ("Service", "main-opensearch-headless"),
        ("Service", "main-opensearch"),
        ("PodDisruptionBudget", "main-opensearch"),
        ("StatefulSet", "main-opensearch"),
    ]
    assert opensearch.pod_disruption_budget(archive())["spec"]["maxUnavailable"] == 1


def test_workloads_reach_managed_search_with_the_admin_credentials() -> None:
    env = workload.search_env(archive())
    assert [item["name"] for item in env] == [
        "OPENSEARCH_USERNAME",
        "OPENSEARCH_PASSWORD",
        "OPENSEARCH_URL",
    ]
    assert env[2]["value"] == (
        "http://$(OPENSEARCH_USERNAME):$(OPENSEARCH_PASSWORD)"
        "@main-opensearch.archive.svc.cluster.local:9200"
    )


def test_workloads_reach_external_search_with_its_secret() -> None:
    env = workload.search_env(archive(EXTERNAL_CLUSTER))
    assert env[0]["valueFrom"] == {"secretKeyRef": {"name": "os", "key": "username"}}
    assert env[2]["value"] == (
        "https://$(OPENSEARCH_USERNAME):$(OPENSEARCH_PASSWORD)@search.example.org"
    )

    anonymous = archive(
        changed(EXTERNAL_CLUSTER, "spec.search.external", {"url": "https://os.internal:9200"})
    )
    assert workload.search_env(anonymous) == [
        {"name": "OPENSEARCH_URL", "value": "https://os.internal:9200"}
    ]
