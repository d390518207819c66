"""The migrations Job: `archivestream migrate` against the cluster's database.

Its name carries a digest of the image and of how the database is reached, so a new
version (or a move to another database) is a new Job that runs again, while an unchanged
spec finds the finished Job and leaves it be. What needs the schema (the API, the crawler
workers) waits for it to complete: `cluster_children(schema_ready=...)` leaves them out
until then. Migrations are safe to run twice and from two processes at once, so a retry
after a failure is harmless.
"""

from __future__ import annotations

from typing import Any

from archivestream.operator.builders import labels, naming, rollout, workload
from archivestream.operator.models import ArchiveCluster

COMPONENT = "migrations"
DEFAULT_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"memory": "512Mi"},
}


def job_digest(cluster: ArchiveCluster) -> str:
    """What makes a new migrations Job: the image and the database it migrates."""
    return rollout.digest(
        {
            "image": workload.image(cluster),
            "database": cluster.spec.database.to_body(),
        }
    )


def job_name(cluster: ArchiveCluster) -> str:
    """The name of the migrations Job of the cluster's current spec."""
    return naming.migrations(cluster.name, job_digest(cluster))


def job(cluster: ArchiveCluster, secrets: rollout.SecretData) -> dict[str, Any]:
    volume_list, mounts = workload.volumes(cluster)
    meta_labels = labels.labels(cluster.name, COMPONENT, version=cluster.spec.version)
    container = workload.container(
        cluster,
        name="migrate",
        args=["migrate"],
        env=workload.database_env(cluster),
        resource_requirements=DEFAULT_RESOURCES,
        mounts=mounts,
    )
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(cluster),
            "namespace": cluster.namespace,
            "labels": meta_labels,
        },
        "spec": {
            # The database may still be starting: retry for a while before giving up.
            "backoffLimit": 10,
            "template": {
                "metadata": {
                    "labels": meta_labels,
                    "annotations": {
                        rollout.CONFIG_HASH: rollout.config_hash(
                            secrets, workload.secrets_used(cluster)[:1]
                        )
                    },
                },
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "securityContext": workload.pod_security(),
                    "containers": [container],
                    "volumes": volume_list,
                },
            },
        },
    }
