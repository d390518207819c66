"""The persistent volumes of the stateful nodes, and what happens to them on deletion.

`deletionPolicy: Retain` (the default) keeps the PersistentVolumeClaims when the
StatefulSet is deleted with its ArchiveCluster; `Delete` lets them go with it. Scaling
down always keeps them, so scaling up again finds the data.
"""

from __future__ import annotations

from typing import Any

from archivestream.operator.models import ArchiveCluster


def retention(cluster: ArchiveCluster) -> dict[str, str]:
    """The StatefulSet's persistentVolumeClaimRetentionPolicy for the cluster's policy."""
    return {"whenDeleted": cluster.spec.deletion_policy, "whenScaled": "Retain"}


def claim_template(
    name: str, labels: dict[str, str], storage: str, storage_class_name: str | None
) -> dict[str, Any]:
    """A volumeClaimTemplates entry: one ReadWriteOnce volume per node."""
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": storage}},
    }
    if storage_class_name is not None:
        spec["storageClassName"] = storage_class_name
    return {"metadata": {"name": name, "labels": labels}, "spec": spec}
