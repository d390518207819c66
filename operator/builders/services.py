"""The Services and PodDisruptionBudget in front of a managed StatefulSet.

CockroachDB and OpenSearch both run as a StatefulSet behind a headless Service (stable
DNS names per node, not-ready pods included so that nodes can find each other while they
start) and a ClusterIP Service for clients, with a budget allowing one node down at a time.
"""

from __future__ import annotations

from typing import Any


def service(
    metadata: dict[str, Any],
    selector: dict[str, str],
    ports: list[tuple[str, int]],
    *,
    headless: bool,
) -> dict[str, Any]:
    """A Service over the pods `selector` picks, each port targeting the named container port.

    A headless one publishes not-ready pods: a node that is starting must already be
    reachable by its peers to join them.
    """
    kind: dict[str, Any] = (
        {"clusterIP": "None", "publishNotReadyAddresses": True}
        if headless
        else {"type": "ClusterIP"}
    )
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            **kind,
            "selector": selector,
            "ports": [{"name": name, "port": port, "targetPort": name} for name, port in ports],
        },
    }


def pod_disruption_budget(metadata: dict[str, Any], selector: dict[str, str]) -> dict[str, Any]:
    """At most one of the pods `selector` picks down for a voluntary disruption."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata,
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}},
    }
