"""The archive API: a Deployment on port 3001 and the Service in front of it.

Readiness is `/ready` (which checks the database), liveness `/health` (the process can
serve), so a database outage takes the pods out of the Service without restarting them.
The pods are annotated for Prometheus scraping: the API exports
`archivestream_frontier_depth`, the signal the crawler autoscalers follow.
"""

from __future__ import annotations

from typing import Any

from archivestream.operator.builders import labels, naming, rollout, workload
from archivestream.operator.models import ArchiveCluster

COMPONENT = "api"
PORT = 3001
DEFAULT_RESOURCES = {
    "requests": {"cpu": "250m", "memory": "256Mi"},
    "limits": {"memory": "1Gi"},
}


def service(cluster: ArchiveCluster) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": naming.api(cluster.name),
            "namespace": cluster.namespace,
            "labels": labels.labels(cluster.name, COMPONENT),
        },
        "spec": {
            "type": "ClusterIP",
            "selector": labels.selector(cluster.name, COMPONENT),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def deployment(cluster: ArchiveCluster, secrets: rollout.SecretData) -> dict[str, Any]:
    spec = cluster.spec.api
    volume_list, mounts = workload.volumes(cluster)
    env = [
        *workload.database_env(cluster),
        *workload.search_env(cluster),
        *workload.s3_env(cluster.spec.storage.s3),
        *workload.crawl_env(cluster),
    ]
    used = workload.secrets_used(cluster)
    if spec.api_keys_secret_ref is not None:
        ref = spec.api_keys_secret_ref
        env.append({"name": "API_KEYS", "valueFrom": {"secretKeyRef": ref.to_body()}})
        used.append(ref.name)

    container = workload.container(
        cluster,
        name="api",
        args=["api", "--host", "0.0.0.0", "--port", str(PORT)],
        env=env,
        resource_requirements=workload.resources(spec.resources, DEFAULT_RESOURCES),
        mounts=mounts,
        ports=[{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        readinessProbe={
            "httpGet": {"path": "/ready", "port": "http"},
            "periodSeconds": 5,
            "failureThreshold": 3,
        },
        livenessProbe={
            "httpGet": {"path": "/health", "port": "http"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "failureThreshold": 6,
        },
    )
    pod_labels = labels.labels(cluster.name, COMPONENT, version=cluster.spec.version)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": naming.api(cluster.name),
            "namespace": cluster.namespace,
            "labels": pod_labels,
        },
        "spec": {
            "replicas": spec.replicas,
            "selector": {"matchLabels": labels.selector(cluster.name, COMPONENT)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {
                        rollout.CONFIG_HASH: rollout.config_hash(secrets, used),
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": workload.pod_security(),
                    "terminationGracePeriodSeconds": 30,
                    "containers": [container],
                    "volumes": volume_list,
                },
            },
        },
    }


def children(cluster: ArchiveCluster, secrets: rollout.SecretData) -> list[dict[str, Any]]:
    return [service(cluster), deployment(cluster, secrets)]
