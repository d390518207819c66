"""Autoscaling of a region's workers on its frontier depth: an HPA or a KEDA ScaledObject.

The signal is `archivestream_frontier_depth{region=...}`, exported by the API. The HPA
selects it by `region` (the design's contract) and prometheus-adapter scopes it to the
HPA's namespace; the KEDA query also names the archive's API Service (`service`, a label the
Prometheus Operator puts on every series a ServiceMonitor scrapes), so there two archives
in one namespace crawling the same region never scale on each other. With the
KEDA CRDs installed a ScaledObject queries Prometheus for its `max()` (never a sum: every
API replica exports the same database-wide value); otherwise an `autoscaling/v2`
HorizontalPodAutoscaler reads it as an External metric, served by prometheus-adapter
(the Helm chart carries the rule). Either way the target is an average per worker, so
the autoscaler runs about depth / targetFrontierDepthPerWorker workers between
`workers.min` and `workers.max`, and scales down only after 300 s of lower demand.

KEDA's ScaledObject is told to name its HPA after the Deployment, so the operator reads
the desired and current workers and the frontier depth from one HPA whatever the mode.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from archivestream.operator.builders import crawler, labels, naming
from archivestream.operator.models import ArchiveCluster, CrawlRegion

METRIC = "archivestream_frontier_depth"
SCALE_DOWN_STABILIZATION_SECONDS = 300
COMPONENT = "autoscaler"

Kind = Literal["HorizontalPodAutoscaler", "ScaledObject"]


def kind(region: CrawlRegion, *, keda_available: bool) -> Kind | None:
    """Which autoscaler the region gets; None when workers.replicas fixes the number."""
    workers = region.spec.workers
    if not workers.autoscaling:
        return None
    if workers.autoscaler == "keda" or (workers.autoscaler == "auto" and keda_available):
        return "ScaledObject"
    return "HorizontalPodAutoscaler"


def _metadata(region: CrawlRegion, cluster: ArchiveCluster) -> dict[str, Any]:
    return {
        "name": crawler.name(region, cluster),
        "namespace": region.namespace,
        "labels": labels.labels(cluster.name, COMPONENT, region=region.spec.region),
    }


def _behavior() -> dict[str, Any]:
    return {
        "scaleDown": {
            "stabilizationWindowSeconds": SCALE_DOWN_STABILIZATION_SECONDS,
            "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
        },
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}],
        },
    }


def _target(region: CrawlRegion, cluster: ArchiveCluster) -> dict[str, str]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": crawler.name(region, cluster)}


def horizontal_pod_autoscaler(region: CrawlRegion, cluster: ArchiveCluster) -> dict[str, Any]:
    workers = region.spec.workers
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(region, cluster),
        "spec": {
            "scaleTargetRef": _target(region, cluster),
            "minReplicas": workers.min,
            "maxReplicas": workers.max,
            "metrics": [
                {
                    "type": "External",
                    "external": {
                        "metric": {
                            "name": METRIC,
                            # The design's contract: the region label alone. prometheus-adapter
                            # adds the HPA's namespace to the matchers (its rule is namespaced).
                            "selector": {"matchLabels": {"region": region.spec.region}},
                        },
                        "target": {
                            "type": "AverageValue",
                            "averageValue": str(workers.target_frontier_depth_per_worker),
                        },
                    },
                }
            ],
            "behavior": _behavior(),
        },
    }


def series_labels(region: CrawlRegion, cluster: ArchiveCluster) -> dict[str, str]:
    """The labels that pick this archive's series of a region (the namespace aside)."""
    return {"service": naming.api(cluster.name), "region": region.spec.region}


def prometheus_query(region: CrawlRegion, cluster: ArchiveCluster) -> str:
    """The KEDA query: the archive's namespace, its API Service and the region."""
    matchers = {"namespace": region.namespace, **series_labels(region, cluster)}
    selector = ",".join(f'{key}="{value}"' for key, value in matchers.items())
    return f"max({METRIC}{{{selector}}})"


def scaled_object(region: CrawlRegion, cluster: ArchiveCluster) -> dict[str, Any]:
    workers = region.spec.workers
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _metadata(region, cluster),
        "spec": {
            "scaleTargetRef": _target(region, cluster),
            "minReplicaCount": workers.min,
            "maxReplicaCount": workers.max,
            "pollingInterval": 30,
            "cooldownPeriod": SCALE_DOWN_STABILIZATION_SECONDS,
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "name": crawler.name(region, cluster),
                    "behavior": _behavior(),
                }
            },
            "triggers": [
                {
                    "type": "prometheus",
                    "metricType": "AverageValue",
                    "metadata": {
                        "serverAddress": workers.prometheus_address,
                        "query": prometheus_query(region, cluster),
                        "threshold": str(workers.target_frontier_depth_per_worker),
                    },
                }
            ],
        },
    }


def autoscaler(
    region: CrawlRegion, cluster: ArchiveCluster, *, keda_available: bool
) -> dict[str, Any] | None:
    """The region's autoscaler manifest, or None when its workers are fixed."""
    chosen = kind(region, keda_available=keda_available)
    if chosen == "ScaledObject":
        return scaled_object(region, cluster)
    if chosen == "HorizontalPodAutoscaler":
        return horizontal_pod_autoscaler(region, cluster)
    return None


# --- reading an HPA's status ----------------------------------------------------------------

_SUFFIX = {
    "": 1,
    "m": 0.001,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def quantity(text: str | int | float) -> float:
    """A Kubernetes quantity as a number: "1500m" is 1.5, "12k" is 12000."""
    if isinstance(text, int | float):
        return float(text)
    match = _QUANTITY.match(text.strip())
    if match is None:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2) or ""]


def read_status(hpa: dict[str, Any]) -> dict[str, int | None]:
    """Desired and current workers and the frontier depth, from an HPA's status.

    The HPA reports the External metric as an average per current replica; times the
    replicas that is the depth it saw. Unknown values are None.
    """
    status = hpa.get("status") or {}
    desired, current = status.get("desiredReplicas"), status.get("currentReplicas")
    depth = None
    for metric in status.get("currentMetrics") or []:
        if metric.get("type") != "External":
            continue
        value = (metric.get("external") or {}).get("current") or {}
        if "value" in value:
            depth = round(quantity(value["value"]))
        elif "averageValue" in value and current:
            depth = round(quantity(value["averageValue"]) * current)
    return {"desired": desired, "current": current, "frontierDepth": depth}
