"""Labels of the operator's children, and the selectors built from them.

Children carry the standard `app.kubernetes.io/*` labels plus `archivestream.io/cluster`
and, for a region's children, `archivestream.io/region`. The custom resource's own labels
are never copied: they belong to whoever applied the resource (Argo CD's tracking label
copied onto children would make Argo CD think it owns them). Selectors use only labels
that never change for the life of a child, since a Deployment's selector is immutable.
"""

from __future__ import annotations

PART_OF = "archivestream"
MANAGED_BY = "archivestream-operator"
CLUSTER = "archivestream.io/cluster"
REGION = "archivestream.io/region"
COMPONENT = "app.kubernetes.io/component"


def selector(
    cluster: str, component: str, *, app: str = "archivestream", region: str | None = None
) -> dict[str, str]:
    """The immutable labels that select a workload's pods."""
    labels = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": cluster,
        COMPONENT: component,
    }
    if region is not None:
        labels[REGION] = region
    return labels


def labels(
    cluster: str,
    component: str,
    *,
    app: str = "archivestream",
    region: str | None = None,
    version: str | None = None,
) -> dict[str, str]:
    """Every label of a child: its selector labels plus ownership and version."""
    result = {
        **selector(cluster, component, app=app, region=region),
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        CLUSTER: cluster,
    }
    if version is not None:
        result["app.kubernetes.io/version"] = version
    return result


def selector_string(selector_labels: dict[str, str]) -> str:
    """A label selector as `kubectl` and the scale subresource write it: `a=b,c=d`."""
    return ",".join(f"{key}={value}" for key, value in sorted(selector_labels.items()))


def crawler_selector(cluster: str, region: str) -> dict[str, str]:
    """Selector of a region's crawler pods."""
    return selector(cluster, "crawler", region=region)
