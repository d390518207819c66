"""The crawler Deployment of a region: `archivestream crawler` with the region's settings.

Each worker claims URLs of its REGION under a lease. On SIGTERM the worker stops
claiming, lets its fetches in flight finish, closes and uploads its open WARC file and
gives back the leases it still holds, so a rollout or a scale-down loses no URL and
leaves none waiting for a lease to expire; the grace period is long enough for that (the
longest fetch plus an upload). No preStop hook is needed: the signal is the cue.

While an autoscaler runs the region, the manifest carries no `spec.replicas`: the
autoscaler owns that field and the operator must never write it back.
"""

from __future__ import annotations

from typing import Any

from archivestream.operator.builders import labels, naming, rollout, workload
from archivestream.operator.models import ArchiveCluster, CrawlRegion

COMPONENT = "crawler"
# The longest fetch (ARCHIVESTREAM_TOTAL_TIMEOUT, 120 s by default) plus time to close and
# upload a WARC file and release the leases.
TERMINATION_GRACE_SECONDS = 300
METRICS_PORT = 9090
DEFAULT_RESOURCES = {
    "requests": {"cpu": "500m", "memory": "512Mi"},
    "limits": {"memory": "2Gi"},
}


def name(region: CrawlRegion, cluster: ArchiveCluster) -> str:
    return naming.crawler(cluster.name, region.name)


def selector(region: CrawlRegion, cluster: ArchiveCluster) -> dict[str, str]:
    """The crawler pods' selector; its string form is the CrawlRegion's status selector."""
    return labels.crawler_selector(cluster.name, region.spec.region)


def deployment(
    region: CrawlRegion, cluster: ArchiveCluster, secrets: rollout.SecretData
) -> dict[str, Any]:
    """The region's workers; raises SpecError when no S3 bucket is named anywhere."""
    workers = region.spec.workers
    s3 = workload.effective_s3(cluster, region.spec.storage.s3)
    volume_list, mounts = workload.volumes(cluster)
    env = [
        {"name": "REGION", "value": region.spec.region},
        *workload.database_env(cluster),
        *workload.search_env(cluster),
        *workload.s3_env(s3, require_bucket=f"CrawlRegion {region.name}"),
        *workload.crawl_env(cluster),
        {"name": "ARCHIVESTREAM_CONCURRENCY", "value": str(workers.concurrency)},
    ]
    container = workload.container(
        cluster,
        name="crawler",
        args=["crawler"],
        env=env,
        resource_requirements=workload.resources(workers.resources, DEFAULT_RESOURCES),
        mounts=mounts,
        # `archivestream crawler` serves /metrics and /health on ARCHIVESTREAM_METRICS_PORT.
        ports=[{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        livenessProbe={
            "httpGet": {"path": "/health", "port": "metrics"},
            "periodSeconds": 20,
            "failureThreshold": 3,
        },
    )
    pod_labels = labels.labels(
        cluster.name, COMPONENT, region=region.spec.region, version=cluster.spec.version
    )
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector(region, cluster)},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        },
        "template": {
            "metadata": {
                "labels": pod_labels,
                "annotations": {
                    rollout.CONFIG_HASH: rollout.config_hash(
                        secrets, workload.secrets_used(cluster, s3)
                    )
                },
            },
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": workload.pod_security(),
                "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
                "containers": [container],
                "volumes": volume_list,
            },
        },
    }
    if not workers.autoscaling:
        spec = {"replicas": workers.replicas, **spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name(region, cluster),
            "namespace": region.namespace,
            "labels": pod_labels,
        },
        "spec": spec,
    }
