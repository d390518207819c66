"""Autoscaling of a region on its frontier depth: HPA on the External metric, or KEDA."""

from __future__ import annotations

import pytest
from design_examples import CLUSTER, FIXED_REGION, REGION, archive, changed, region

from archivestream.operator.builders import autoscaling


def test_hpa_scales_the_crawler_on_the_regions_frontier_depth() -> None:
    hpa = autoscaling.horizontal_pod_autoscaler(region(), archive())
    spec = hpa["spec"]
    (metric,) = spec["metrics"]

    assert hpa["apiVersion"] == "autoscaling/v2"
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "main-crawler-us-east-1",
    }
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 20)
    assert metric["type"] == "External"
    assert metric["external"]["metric"] == {
        "name": "archivestream_frontier_depth",
        "selector": {"matchLabels": {"region": "us-east-1"}},
    }
    assert metric["external"]["target"] == {"type": "AverageValue", "averageValue": "10000"}
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300


def test_keda_queries_the_max_of_the_regions_frontier_depth() -> None:
    scaled = autoscaling.scaled_object(region(), archive())
    spec = scaled["spec"]
    (trigger,) = spec["triggers"]

    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert spec["scaleTargetRef"]["name"] == "main-crawler-us-east-1"
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (2, 20)
    assert trigger["type"] == "prometheus"
    assert trigger["metadata"]["query"] == (
        'max(archivestream_frontier_depth{namespace="NS",service="main-api",region="us-east-1"})'
    ).replace("NS", "archive")
    assert trigger["metadata"]["threshold"] == "10000"
    assert trigger["metadata"]["serverAddress"] == "http://prometheus-operated.monitoring.svc:9090"
    hpa_config = spec["advanced"]["horizontalPodAutoscalerConfig"]
    assert hpa_config["name"] == "main-crawler-us-east-1", "one HPA name in both modes"
    assert hpa_config["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300


def test_two_archives_crawling_one_region_scale_on_their_own_series() -> None:
    """Same region, another archive (another API Service) or another namespace: other series."""
    other_name = archive(changed(CLUSTER, "metadata.name", "other"))
    other_namespace = changed(REGION, "metadata.namespace", "elsewhere")
    queries = {
        autoscaling.prometheus_query(region(), archive()),
        autoscaling.prometheus_query(region(), other_name),
        autoscaling.prometheus_query(region(other_namespace), archive()),
    }
    assert len(queries) == 3
    assert all('region="us-east-1"' in query for query in queries)
    assert 'namespace="elsewhere"' in autoscaling.prometheus_query(
        region(other_namespace), archive()
    )
    # The HPA keeps the design's selector, the region alone; prometheus-adapter scopes it to
    # the HPA's namespace (tests/test_alert_rules.py runs that query).
    for cluster in (archive(), other_name):
        metric = autoscaling.horizontal_pod_autoscaler(region(), cluster)["spec"]["metrics"][0]
        assert metric["external"]["metric"]["selector"] == {"matchLabels": {"region": "us-east-1"}}


@pytest.mark.parametrize(
    ("mode", "keda_available", "expected"),
    [
        ("auto", False, "HorizontalPodAutoscaler"),
        ("auto", True, "ScaledObject"),
        ("hpa", True, "HorizontalPodAutoscaler"),
        ("keda", False, "ScaledObject"),
    ],
)
def test_the_autoscaler_kind_follows_the_mode_and_keda(
    mode: str, keda_available: bool, expected: str
) -> None:
    chosen = region(changed(REGION, "spec.workers.autoscaler", mode))
    assert autoscaling.kind(chosen, keda_available=keda_available) == expected
    manifest = autoscaling.autoscaler(chosen, archive(), keda_available=keda_available)
    assert manifest is not None and manifest["kind"] == expected


def test_fixed_workers_have_no_autoscaler() -> None:
    fixed = region(FIXED_REGION)
    assert autoscaling.kind(fixed, keda_available=True) is None
    assert autoscaling.autoscaler(fixed, archive(), keda_available=True) is None


@pytest.mark.parametrize(
    ("text", "value"), [("12k", 12000.0), ("1500m", 1.5), ("3", 3.0), ("2Ki", 2048.0)]
)
def test_quantity(text: str, value: float) -> None:
    assert autoscaling.quantity(text) == value


def test_a_bad_quantity_is_named() -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity: 'lots'"):
        autoscaling.quantity("lots")


def test_read_status_gives_workers_and_depth_from_the_hpa() -> None:
    hpa = {
        "status": {
            "desiredReplicas": 5,
            "currentReplicas": 4,
            "currentMetrics": [
                {
                    "type": "External",
                    "external": {
                        "metric": {"name": "archivestream_frontier_depth"},
                        "current": {"averageValue": "12500"},
                    },
                }
            ],
        }
    }
    assert autoscaling.read_status(hpa) == {"desired": 5, "current": 4, "frontierDepth": 50000}
    assert autoscaling.read_status({}) == {"desired": None, "current": None, "frontierDepth": None}
