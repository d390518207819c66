"""Render the Helm chart offline, as `helm template` does, for the tests that judge it.

`helm-python-sdk` embeds Helm's Go SDK (no `helm` binary, no cluster, no network):

    from chart_render import CHART, render
    manifests = render({"prometheusRule": {"enabled": True}})   # list of dicts
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "archivestream-operator"
RELEASE = "archivestream-operator"
NAMESPACE = "archivestream-system"


def render_files(
    values: dict[str, Any] | None = None, *, namespace: str = NAMESPACE
) -> dict[str, str]:
    """Template path -> rendered text, for an install of the chart with `values`."""
    with helm.Chart.load(CHART) as chart:
        return chart.render(values, name=RELEASE, namespace=namespace, is_install=True)


def render(values: dict[str, Any] | None = None, *, namespace: str = NAMESPACE) -> list[dict]:
    """Every object the chart's templates render (not its CRDs), in template order."""
    manifests = []
    for path, text in sorted(render_files(values, namespace=namespace).items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return manifests


def crds() -> list[dict]:
    """The CustomResourceDefinitions Helm installs from the chart's crds/ folder."""
    with helm.Chart.load(CHART) as chart:
        files = chart.crds
    return [doc for entry in files for doc in yaml.safe_load_all(entry["data"]) if doc]


def lint(values: dict[str, Any] | None = None) -> dict[str, Any]:
    """`helm lint --strict` of the chart: {"messages": [{"severity", "path", "error"}], ...}."""
    return helm.lint(CHART, values, strict=True, namespace=NAMESPACE)


def find(manifests: list[dict], kind: str, name: str | None = None) -> list[dict]:
    """The manifests of a kind (and name)."""
    return [
        m
        for m in manifests
        if m.get("kind") == kind and (name is None or m["metadata"]["name"] == name)
    ]
