"""The managed OpenSearch: a StatefulSet, its Services and PodDisruptionBudget, and the
Secret with its generated admin password.

The security plugin stays on, so every request needs the admin password, which the
operator generates once into a `kubernetes.io/basic-auth` Secret and hands to OpenSearch
as its initial admin password. Inside the cluster, HTTP runs without TLS (the nodes'
transport layer keeps the image's own certificates); who needs search traffic encrypted
on the wire uses `search.external`. mmap is turned off so that no privileged init
container has to raise `vm.max_map_count` on the node.
"""

from __future__ import annotations

import base64
import secrets as random_source
import string
from typing import Any

from archivestream.operator.builders import (
    labels,
    naming,
    placement,
    rollout,
    services,
    volumes,
    workload,
)
from archivestream.operator.models import ArchiveCluster, ManagedSearch

COMPONENT = "search"
APP = "opensearch"
HTTP_PORT = 9200
TRANSPORT_PORT = 9300
OPENSEARCH_UID = 1000
ADMIN_USER = "admin"
DEFAULT_RESOURCES = {
    "requests": {"cpu": "500m", "memory": "2Gi"},
    "limits": {"memory": "2Gi"},
}


def _managed(cluster: ArchiveCluster) -> ManagedSearch:
    managed = cluster.spec.search.managed
    if managed is None:
        raise ValueError(f"ArchiveCluster {cluster.name} has an external search engine")
    return managed


def _labels(cluster: ArchiveCluster) -> dict[str, str]:
    return labels.labels(cluster.name, COMPONENT, app=APP)


def _selector(cluster: ArchiveCluster) -> dict[str, str]:
    return labels.selector(cluster.name, COMPONENT, app=APP)


def _metadata(cluster: ArchiveCluster, name: str) -> dict[str, Any]:
    return {"name": name, "namespace": cluster.namespace, "labels": _labels(cluster)}


# --- the admin password ------------------------------------------------------------------


def generate_password(length: int = 24) -> str:
    """A random password OpenSearch calls strong, with only URL-safe characters.

    It starts with a letter and holds upper and lower case, digits and `-`/`_`, so it can
    sit in OPENSEARCH_URL's authority and on a command line unquoted.
    """
    alphabet = string.ascii_letters + string.digits + "-_"
    while True:
        body = "".join(random_source.choice(alphabet) for _ in range(length - 1))
        password = random_source.choice(string.ascii_letters) + body
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(c in "-_" for c in password)
        ):
            return password


def admin_secret(cluster: ArchiveCluster, password: str) -> dict[str, Any]:
    """The Secret holding the admin user name and password."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/basic-auth",
        "metadata": _metadata(cluster, naming.opensearch_admin(cluster.name)),
        "data": {
            "username": base64.b64encode(ADMIN_USER.encode()).decode(),
            "password": base64.b64encode(password.encode()).decode(),
        },
    }


def secret_names(cluster: ArchiveCluster) -> list[str]:
    """The generated Secrets of the managed OpenSearch (none for an external one)."""
    return [naming.opensearch_admin(cluster.name)] if cluster.spec.search.managed else []


# --- the objects ---------------------------------------------------------------------------


def headless_service(cluster: ArchiveCluster) -> dict[str, Any]:
    """Stable DNS names for the nodes, used for discovery."""
    metadata = _metadata(cluster, naming.opensearch_headless(cluster.name))
    ports = [("http", HTTP_PORT), ("transport", TRANSPORT_PORT)]
    return services.service(metadata, _selector(cluster), ports, headless=True)


def client_service(cluster: ArchiveCluster) -> dict[str, Any]:
    """The Service OPENSEARCH_URL names."""
    metadata = _metadata(cluster, naming.opensearch(cluster.name))
    return services.service(metadata, _selector(cluster), [("http", HTTP_PORT)], headless=False)


def pod_disruption_budget(cluster: ArchiveCluster) -> dict[str, Any]:
    metadata = _metadata(cluster, naming.opensearch(cluster.name))
    return services.pod_disruption_budget(metadata, _selector(cluster))


def _discovery_env(cluster: ArchiveCluster, managed: ManagedSearch) -> list[dict[str, Any]]:
    name = naming.opensearch(cluster.name)
    if managed.replicas == 1:
        return [{"name": "discovery.type", "value": "single-node"}]
    managers = ",".join(f"{name}-{i}" for i in range(min(3, managed.replicas)))
    return [
        {"name": "discovery.seed_hosts", "value": naming.opensearch_headless(cluster.name)},
        {"name": "cluster.initial_cluster_manager_nodes", "value": managers},
    ]


def statefulset(cluster: ArchiveCluster, secrets: rollout.SecretData) -> dict[str, Any]:
    """The OpenSearch nodes, spread across zones, one per host where possible."""
    managed = _managed(cluster)
    name = naming.opensearch(cluster.name)
    admin = naming.opensearch_admin(cluster.name)
    selector = _selector(cluster)

    env = [
        {"name": "cluster.name", "value": name},
        {"name": "node.name", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "network.host", "value": "0.0.0.0"},
        *_discovery_env(cluster, managed),
        {"name": "node.store.allow_mmap", "value": "false"},
        {"name": "bootstrap.memory_lock", "value": "false"},
        {"name": "plugins.security.ssl.http.enabled", "value": "false"},
        {"name": "OPENSEARCH_JAVA_OPTS", "value": "-Xms1g -Xmx1g"},
        {
            "name": "OPENSEARCH_INITIAL_ADMIN_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": admin, "key": "password"}},
        },
    ]
    container = {
        "name": "opensearch",
        "image": managed.image,
        "imagePullPolicy": "IfNotPresent",
        "env": env,
        "ports": [
            {"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
            {"name": "transport", "containerPort": TRANSPORT_PORT, "protocol": "TCP"},
        ],
        "readinessProbe": {
            "tcpSocket": {"port": "http"},
            "initialDelaySeconds": 20,
            "periodSeconds": 10,
        },
        "livenessProbe": {
            "tcpSocket": {"port": "transport"},
            "initialDelaySeconds": 60,
            "periodSeconds": 20,
        },
        "resources": workload.resources(managed.resources, DEFAULT_RESOURCES),
        "volumeMounts": [{"name": "data", "mountPath": "/usr/share/opensearch/data"}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _metadata(cluster, name),
        "spec": {
            "serviceName": naming.opensearch_headless(cluster.name),
            "replicas": managed.replicas,
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": selector},
            "persistentVolumeClaimRetentionPolicy": volumes.retention(cluster),
            "template": {
                "metadata": {
                    "labels": _labels(cluster),
                    "annotations": {rollout.CONFIG_HASH: rollout.config_hash(secrets, [admin])},
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": OPENSEARCH_UID,
                        "runAsGroup": OPENSEARCH_UID,
                        "fsGroup": OPENSEARCH_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "terminationGracePeriodSeconds": 120,
                    "topologySpreadConstraints": placement.spread_across_zones(selector),
                    "affinity": placement.one_per_host(selector),
                    "containers": [container],
                },
            },
            "volumeClaimTemplates": [
                volumes.claim_template(
                    "data", _labels(cluster), managed.storage, managed.storage_class_name
                )
            ],
        },
    }


def children(cluster: ArchiveCluster, secrets: rollout.SecretData) -> list[dict[str, Any]]:
    """Every object of the managed OpenSearch (its admin Secret aside)."""
    return [
        headless_service(cluster),
        client_service(cluster),
        pod_disruption_budget(cluster),
        statefulset(cluster, secrets),
    ]
