"""The design document's ArchiveCluster and CrawlRegion, as manifests tests start from."""

from __future__ import annotations

import copy
from typing import Any

CLUSTER: dict[str, Any] = {
    "apiVersion": "archivestream.io/v1alpha1",
    "kind": "ArchiveCluster",
    "metadata": {"name": "main", "namespace": "archive"},
    "spec": {
        "version": "1.0.0",
        "database": {"managed": {"replicas": 3, "storage": "100Gi"}},
        "search": {"managed": {"replicas": 3, "storage": "500Gi"}},
        "storage": {
            "s3": {
                "endpoint": "https://s3.us-east-1.amazonaws.com",
                "credentialsSecretRef": {"name": "s3"},
            }
        },
        "api": {"replicas": 2},
        "crawler": {
            "userAgent": "ArchiveStream/1.0 (+https://...)",
            "politenessDelay": "1s",
            "maxDepth": 20,
        },
        "deletionPolicy": "Retain",
    },
}

REGION: dict[str, Any] = {
    "apiVersion": "archivestream.io/v1alpha1",
    "kind": "CrawlRegion",
    "metadata": {"name": "us-east-1", "namespace": "archive"},
    "spec": {
        "clusterRef": {"name": "main"},
        "region": "us-east-1",
        "storage": {"s3": {"bucket": "archivestream-warc-us-east-1"}},
        "workers": {"min": 2, "max": 20, "targetFrontierDepthPerWorker": 10000, "concurrency": 64},
    },
}

EXTERNAL_CLUSTER: dict[str, Any] = copy.deepcopy(CLUSTER)
EXTERNAL_CLUSTER["spec"]["database"] = {"external": {"urlSecretRef": {"name": "db", "key": "url"}}}
EXTERNAL_CLUSTER["spec"]["search"] = {
    "external": {"url": "https://search.example.org", "credentialsSecretRef": {"name": "os"}}
}


def changed(manifest: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `manifest` with the dotted `path` set to `value` (or removed for ...)."""
    result = copy.deepcopy(manifest)
    *parents, last = path.split(".")
    node = result
    for part in parents:
        node = node.setdefault(part, {})
    if value is ...:
        node.pop(last, None)
    else:
        node[last] = value
    return result


def with_uid(manifest: dict[str, Any], uid: str) -> dict[str, Any]:
    """`manifest` as read back from an API server, which gave it a uid."""
    return changed(manifest, "metadata.uid", uid)


FIXED_REGION: dict[str, Any] = changed(REGION, "spec.workers.replicas", 4)


def archive(manifest: dict[str, Any] = CLUSTER) -> Any:
    """The ArchiveCluster model of `manifest`, with a uid."""
    from archivestream.operator.models import ArchiveCluster

    return ArchiveCluster.from_body(with_uid(manifest, "uid-cluster"))


def region(manifest: dict[str, Any] = REGION) -> Any:
    """The CrawlRegion model of `manifest`, with a uid."""
    from archivestream.operator.models import CrawlRegion

    return CrawlRegion.from_body(with_uid(manifest, "uid-region"))
