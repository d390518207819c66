"""The status summary of both custom resources, drawn from the children's own status.

Pure functions: live children in, the `status` fields printer columns and dashboards read
out. Ready counts come from what the controllers report (a StatefulSet's `readyReplicas`, a
Deployment's `availableReplicas`), never from a child's mere existence; a region's desired and
current workers and its frontier depth come from its autoscaler's status.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from archivestream.operator import conditions

COMPONENT = "app.kubernetes.io/component"

_SUFFIXES = {
    "m": Decimal("0.001"),
    "": Decimal(1),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity ("12k", "1500m", 42) as a number; None when unreadable."""
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(str(value or "").strip())
    if not match:
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIXES[match.group(2) or ""]
    except InvalidOperation:
        return None


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


def _frontier_depth(autoscaler: dict[str, Any]) -> int | None:
    """The frontier depth the autoscaler last read: the external metric's value."""
    status = autoscaler.get("status") or {}
    replicas = int(status.get("currentReplicas") or 0)
    for metric in status.get("currentMetrics") or []:
        if metric.get("type") != "External":
            continue
        current = (metric.get("external") or {}).get("current") or {}
        if "value" in current:
            value = quantity(current["value"])
        else:
            # An AverageValue target reports the metric divided by the current replicas.
            average = quantity(current.get("averageValue"))
            value = average * max(replicas, 1) if average is not None else None
        if value is not None:
            return int(value)
    return None


def region_summary(
    children: list[dict[str, Any]], *, autoscaling: bool, fixed_replicas: int | None
) -> dict[str, Any]:
    """Desired and current workers and the frontier depth of a region."""
    deployment = component(children, "Deployment", "crawler")
    autoscaler = next(
        (child for child in children if child.get("kind") == "HorizontalPodAutoscaler"), None
    )
    summary: dict[str, Any] = {"workers": {}}

    if deployment is not None:
        selector = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels", {})
        summary["workers"]["selector"] = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))

    if autoscaling and autoscaler is not None and autoscaler.get("status"):
        status = autoscaler["status"]
        if "desiredReplicas" in status:
            summary["workers"]["desired"] = int(status["desiredReplicas"])
        if "currentReplicas" in status:
            summary["workers"]["current"] = int(status["currentReplicas"])
        depth = _frontier_depth(autoscaler)
        if depth is not None:
            summary["frontierDepth"] = depth
    elif not autoscaling:
        summary["workers"]["desired"] = fixed_replicas or 0
        if deployment is not None:
            ready = int((deployment.get("status") or {}).get("readyReplicas", 0) or 0)
            summary["workers"]["current"] = ready
    return summary
