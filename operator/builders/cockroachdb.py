"""The managed CockroachDB: a secure StatefulSet spread across zones, its Services, its
PodDisruptionBudget and the Job that initialises the cluster and creates the app's user.

Nodes find each other through the headless Service (`--join` names the first three
pods); workloads connect through the client Service. Certificates come from the Secrets
of `certificates`; an init container copies them into the layout `--certs-dir` expects
(`ca.crt`, `node.crt`, `client.root.crt`...) with the 0600 key permissions CockroachDB
insists on. Volumes outlive the StatefulSet unless `deletionPolicy: Delete`.
"""

from __future__ import annotations

from typing import Any

from archivestream.operator.builders import (
    certificates,
    labels,
    naming,
    ownership,
    placement,
    rollout,
    services,
    volumes,
    workload,
)
from archivestream.operator.models import ArchiveCluster, ManagedDatabase

COMPONENT = "database"
APP = "cockroachdb"
CERTS_DIR = "/cockroach/cockroach-certs"
SECRETS_DIR = "/cockroach/secrets"
GRPC_PORT = 26257
HTTP_PORT = 8080
# The cockroachdb image's own user; fsGroup makes the data volume writable for it.
COCKROACH_UID = 1000
DEFAULT_RESOURCES = {
    "requests": {"cpu": "500m", "memory": "2Gi"},
    "limits": {"memory": "4Gi"},
}


def _managed(cluster: ArchiveCluster) -> ManagedDatabase:
    managed = cluster.spec.database.managed
    if managed is None:
        raise ValueError(f"ArchiveCluster {cluster.name} has an external database")
    return managed


def _labels(cluster: ArchiveCluster, component: str = COMPONENT) -> dict[str, str]:
    return labels.labels(cluster.name, component, app=APP)


def _selector(cluster: ArchiveCluster) -> dict[str, str]:
    return labels.selector(cluster.name, COMPONENT, app=APP)


def _metadata(cluster: ArchiveCluster, name: str, component: str = COMPONENT) -> dict[str, Any]:
    return {"name": name, "namespace": cluster.namespace, "labels": _labels(cluster, component)}


def _pod_host(cluster: ArchiveCluster, ordinal: int | str) -> str:
    statefulset = naming.cockroachdb(cluster.name)
    return f"{statefulset}-{ordinal}.{workload.service_host(statefulset, cluster)}"


PORTS = [("grpc", GRPC_PORT), ("http", HTTP_PORT)]


def headless_service(cluster: ArchiveCluster) -> dict[str, Any]:
    """The Service giving each node a stable DNS name; not-ready pods included to join."""
    metadata = _metadata(cluster, naming.cockroachdb(cluster.name))
    return services.service(metadata, _selector(cluster), PORTS, headless=True)


def public_service(cluster: ArchiveCluster) -> dict[str, Any]:
    """The Service that SQL clients connect to; only ready nodes behind it."""
    metadata = _metadata(cluster, naming.cockroachdb_public(cluster.name))
    return services.service(metadata, _selector(cluster), PORTS, headless=False)


def pod_disruption_budget(cluster: ArchiveCluster) -> dict[str, Any]:
    """At most one node down for a voluntary disruption, so ranges keep their quorum."""
    metadata = _metadata(cluster, naming.cockroachdb(cluster.name))
    return services.pod_disruption_budget(metadata, _selector(cluster))


def _certs_volume(cluster: ArchiveCluster, *, node: bool) -> dict[str, Any]:
    """The certificate Secrets, projected under the file names `--certs-dir` expects."""
    root = naming.cockroachdb_client_certs(cluster.name, certificates.ROOT_USER)
    sources = [
        {
            "secret": {
                "name": root,
                "items": [
                    {"key": "ca.crt", "path": "ca.crt"},
                    {"key": "tls.crt", "path": "client.root.crt"},
                    {"key": "tls.key", "path": "client.root.key"},
                ],
            }
        }
    ]
    if node:
        sources.append(
            {
                "secret": {
                    "name": naming.cockroachdb_node_certs(cluster.name),
                    "items": [
                        {"key": "tls.crt", "path": "node.crt"},
                        {"key": "tls.key", "path": "node.key"},
                    ],
                }
            }
        )
    return {"name": "secrets", "projected": {"sources": sources, "defaultMode": 0o400}}


def _copy_certs_container(managed: ManagedDatabase) -> dict[str, Any]:
    return {
        "name": "copy-certs",
        "image": managed.image,
        "command": ["/bin/bash", "-ec"],
        "args": [
            f"cp -L {SECRETS_DIR}/* {CERTS_DIR}/ && chmod 0600 {CERTS_DIR}/*.key",
        ],
        "volumeMounts": [
            {"name": "secrets", "mountPath": SECRETS_DIR, "readOnly": True},
            {"name": "certs", "mountPath": CERTS_DIR},
        ],
        "securityContext": _container_security(),
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
    }


def _container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _pod_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": COCKROACH_UID,
        "runAsGroup": COCKROACH_UID,
        "fsGroup": COCKROACH_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def statefulset(cluster: ArchiveCluster, secrets: rollout.SecretData) -> dict[str, Any]:
    """The CockroachDB nodes: `cockroach start` in secure mode, spread across zones."""
    managed = _managed(cluster)
    name = naming.cockroachdb(cluster.name)
    joins = ",".join(f"{_pod_host(cluster, i)}:{GRPC_PORT}" for i in range(3))
    advertise = f"$(POD_NAME).{workload.service_host(name, cluster)}"
    config_hash = rollout.config_hash(secrets, certificates.secret_names(cluster)[1:3])
    selector = _selector(cluster)

    container = {
        "name": "cockroachdb",
        "image": managed.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/cockroach/cockroach"],
        "args": [
            "start",
            "--logtostderr=WARNING",
            f"--certs-dir={CERTS_DIR}",
            f"--advertise-host={advertise}",
            f"--http-addr=0.0.0.0:{HTTP_PORT}",
            f"--listen-addr=:{GRPC_PORT}",
            f"--join={joins}",
            "--cache=25%",
            "--max-sql-memory=25%",
        ],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "COCKROACH_CHANNEL", "value": "archivestream-operator"},
        ],
        "ports": [
            {"name": "grpc", "containerPort": GRPC_PORT, "protocol": "TCP"},
            {"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
        ],
        "readinessProbe": {
            "httpGet": {"path": "/health?ready=1", "port": "http", "scheme": "HTTPS"},
            "initialDelaySeconds": 10,
            "periodSeconds": 5,
            "failureThreshold": 2,
        },
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": "http", "scheme": "HTTPS"},
            "initialDelaySeconds": 30,
            "periodSeconds": 5,
        },
        "resources": workload.resources(managed.resources, DEFAULT_RESOURCES),
        "volumeMounts": [
            {"name": "datadir", "mountPath": "/cockroach/cockroach-data"},
            {"name": "certs", "mountPath": CERTS_DIR},
        ],
        "securityContext": _container_security(),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _metadata(cluster, name),
        "spec": {
            "serviceName": name,
            "replicas": managed.replicas,
            # Every node must start at once for the first `cockroach init` to find them.
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": selector},
            "persistentVolumeClaimRetentionPolicy": volumes.retention(cluster),
            "template": {
                "metadata": {
                    "labels": _labels(cluster),
                    "annotations": {rollout.CONFIG_HASH: config_hash},
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": _pod_security(),
                    "terminationGracePeriodSeconds": 60,
                    "topologySpreadConstraints": placement.spread_across_zones(selector),
                    "affinity": placement.one_per_host(selector),
                    "initContainers": [_copy_certs_container(managed)],
                    "containers": [container],
                    "volumes": [
                        _certs_volume(cluster, node=True),
                        {"name": "certs", "emptyDir": {}},
                    ],
                },
            },
            "volumeClaimTemplates": [
                volumes.claim_template(
                    "datadir", _labels(cluster), managed.storage, managed.storage_class_name
                )
            ],
        },
    }


SQL_SETUP = (
    "CREATE DATABASE IF NOT EXISTS archivestream; "
    f"CREATE USER IF NOT EXISTS {certificates.APP_USER}; "
    f"GRANT ALL ON DATABASE archivestream TO {certificates.APP_USER}; "
    f"ALTER DATABASE archivestream OWNER TO {certificates.APP_USER};"
)


def init_job(cluster: ArchiveCluster) -> dict[str, Any]:
    """`cockroach init` once the nodes are up, then the app's database and user.

    Safe to run again: an initialised cluster is recognised and the SQL is idempotent.
    Created once and left alone: a Job's pod template cannot be patched, and a cluster
    once initialised needs it no more.
    """
    managed = _managed(cluster)
    first = f"{_pod_host(cluster, 0)}:{GRPC_PORT}"
    public = workload.service_host(naming.cockroachdb_public(cluster.name), cluster)
    init = f"/cockroach/cockroach init --certs-dir={CERTS_DIR} --host={first}"
    sql = f"/cockroach/cockroach sql --certs-dir={CERTS_DIR} --host={public}:{GRPC_PORT}"
    script = "\n".join(
        [
            "set -u",
            f"until out=$({init} 2>&1) \\",
            '  || echo "$out" | grep -q "already been initialized"; do',
            '  echo "$out"; sleep 5',
            "done",
            f'{sql} -e "{SQL_SETUP}"',
        ]
    )
    return ownership.create_only(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _metadata(cluster, naming.cockroachdb_init(cluster.name), "database-init"),
            "spec": {
                "backoffLimit": 30,
                "template": {
                    "metadata": {"labels": _labels(cluster, "database-init")},
                    "spec": {
                        "restartPolicy": "OnFailure",
                        "automountServiceAccountToken": False,
                        "securityContext": _pod_security(),
                        "initContainers": [_copy_certs_container(managed)],
                        "containers": [
                            {
                                "name": "init",
                                "image": managed.image,
                                "command": ["/bin/bash", "-ec"],
                                "args": [script],
                                "volumeMounts": [{"name": "certs", "mountPath": CERTS_DIR}],
                                "securityContext": _container_security(),
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "64Mi"},
                                    "limits": {"memory": "256Mi"},
                                },
                            }
                        ],
                        "volumes": [
                            _certs_volume(cluster, node=False),
                            {"name": "certs", "emptyDir": {}},
                        ],
                    },
                },
            },
        }
    )


def children(cluster: ArchiveCluster, secrets: rollout.SecretData) -> list[dict[str, Any]]:
    """Every object of the managed CockroachDB (Secrets aside: see `certificates`)."""
    return [
        headless_service(cluster),
        public_service(cluster),
        pod_disruption_budget(cluster),
        statefulset(cluster, secrets),
        init_job(cluster),
    ]
