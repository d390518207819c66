"""The migrations Job: `archivestream migrate` against the cluster's database.

Its name carries a digest of its whole pod template (image, how the database is reached),
so a new version or a move to another database is a new Job that runs again, while an
unchanged spec finds the finished Job and leaves it be. A Job's template cannot be
patched anyway, so the Job is marked create-only. The content of the database's Secret
is not in the name: pointing an external URL Secret at a new database does not by itself
run the migrations there (bump the version, or delete the Job).

What needs the schema (the API, the crawler workers) waits for the Job to complete:
`cluster_children(schema_ready=...)` leaves them out until then. Migrations are safe to
run twice and from two processes at once, so a retry after a failure is harmless.
"""

from __future__ import annotations

from typing import Any

from archivestream.operator.builders import labels, naming, ownership, rollout, workload
from archivestream.operator.models import ArchiveCluster

COMPONENT = "migrations"
DEFAULT_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"memory": "512Mi"},
}


def job_digest(cluster: ArchiveCluster) -> str:
    """What makes a new migrations Job: everything its pod would run with."""
    return rollout.digest(_template(cluster))


def job_name(cluster: ArchiveCluster) -> str:
    """The name of the migrations Job of the cluster's current spec."""
    return naming.migrations(cluster.name, job_digest(cluster))


def _labels(cluster: ArchiveCluster) -> dict[str, str]:
    return labels.labels(cluster.name, COMPONENT, version=cluster.spec.version)


def _template(cluster: ArchiveCluster) -> dict[str, Any]:
    volume_list, mounts = workload.volumes(cluster)
    container = workload.container(
        cluster,
        name="migrate",
        args=["migrate"],
        env=workload.database_env(cluster),
        resource_requirements=DEFAULT_RESOURCES,
        mounts=mounts,
    )
    return {
        "metadata": {"labels": _labels(cluster)},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "securityContext": workload.pod_security(),
            "containers": [container],
            "volumes": volume_list,
        },
    }


def job(cluster: ArchiveCluster) -> dict[str, Any]:
    """The Job; created once and left alone (a Job's pod template cannot be patched)."""
    return ownership.create_only(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": job_name(cluster),
                "namespace": cluster.namespace,
                "labels": _labels(cluster),
            },
            "spec": {
                # The database may still be starting: retry for a while before giving up.
                "backoffLimit": 10,
                "template": _template(cluster),
            },
        }
    )
