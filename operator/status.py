"""The status summary of both custom resources, drawn from the children's own status.

Pure functions: live children in, the `status` fields that printer columns and dashboards
read out. Ready counts come from what the controllers report (a StatefulSet's `readyReplicas`, a
Deployment's `availableReplicas`), never from a child's mere existence; a region's desired and
current workers and its frontier depth come from its autoscaler's status.
"""

from __future__ import annotations

from typing import Any

from archivestream.operator import conditions

COMPONENT = "app.kubernetes.io/component"


def component(children: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any] | None:
    """The first live child of a kind whose component label is `name`."""
    for child in children:
        labels = child.get("metadata", {}).get("labels", {}) or {}
        if child.get("kind") == kind and labels.get(COMPONENT) == name:
            return child
    return None


def _replicas(child: dict[str, Any] | None, ready_field: str) -> dict[str, int] | None:
    if child is None:
        return None
    total = int((child.get("spec") or {}).get("replicas", 1) or 0)
    ready = int((child.get("status") or {}).get(ready_field, 0) or 0)
    return {"ready": min(ready, total) if total else ready, "total": total}


def cluster_summary(
    children: list[dict[str, Any]],
    regions: list[dict[str, Any]],
    *,
    database_reachable: bool | None,
    external_search: bool,
    api_replicas: int,
) -> dict[str, Any]:
    """Ready of total for the database, search, API and the cluster's regions."""
    summary: dict[str, Any] = {}

    if database_reachable is None:
        summary["database"] = _replicas(
            component(children, "StatefulSet", "database"), "readyReplicas"
        ) or {"ready": 0, "total": 0}
    else:
        summary["database"] = {"ready": 1 if database_reachable else 0, "total": 1}

    if external_search:
        # An external OpenSearch is not probed by the operator: counted, not judged.
        summary["search"] = {"ready": 1, "total": 1}
    else:
        summary["search"] = _replicas(
            component(children, "StatefulSet", "search"), "readyReplicas"
        ) or {"ready": 0, "total": 0}

    summary["api"] = _replicas(component(children, "Deployment", "api"), "availableReplicas") or {
        "ready": 0,
        "total": 0,
    }

    ready = sum(
        1
        for region in regions
        if conditions.is_true((region.get("status") or {}).get("conditions"), conditions.READY)
    )
    summary["regions"] = {"ready": ready, "total": len(regions)}
    return summary


def region_summary(
    children: list[dict[str, Any]],
    *,
    autoscaling: bool,
    fixed_replicas: int | None,
    autoscaler: dict[str, int | None] | None,
    selector: str | None,
) -> dict[str, Any]:
    """Desired and current workers and the frontier depth of a region.

    `autoscaler` is what the autoscaler's HPA reported (desired, current, frontierDepth);
    with fixed workers, desired is the spec's number and current the ready pods.
    """
    deployment = component(children, "Deployment", "crawler")
    summary: dict[str, Any] = {"workers": {}}
    if selector:
        summary["workers"]["selector"] = selector

    if autoscaling and autoscaler is not None:
        for field in ("desired", "current"):
            if autoscaler.get(field) is not None:
                summary["workers"][field] = int(autoscaler[field] or 0)
        if autoscaler.get("frontierDepth") is not None:
            summary["frontierDepth"] = int(autoscaler["frontierDepth"] or 0)
    elif not autoscaling:
        summary["workers"]["desired"] = fixed_replicas or 0
        if deployment is not None:
            ready = int((deployment.get("status") or {}).get("readyReplicas", 0) or 0)
            summary["workers"]["current"] = ready
    return summary
