"""Names of the children of an ArchiveCluster and of a CrawlRegion.

Every name is derived from the owner's name, so two archives in one namespace never
collide and the operator finds its children again without storing anything. Names are
kept within what Kubernetes allows where they end up: 63 characters for Services and
label values, 52 for StatefulSets (their pods carry `controller-revision-hash` labels
built from the name). A name that would be longer is cut and given a digest suffix, so
it stays unique and stable.
"""

from __future__ import annotations

import hashlib

LABEL_LIMIT = 63
STATEFULSET_LIMIT = 52


def fit(name: str, limit: int = LABEL_LIMIT) -> str:
    """`name` if it fits `limit`, else a prefix of it plus an 8-character digest."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-.')}-{digest}"


def child(owner: str, *parts: str, limit: int = LABEL_LIMIT) -> str:
    return fit("-".join((owner, *parts)), limit)


# --- ArchiveCluster children ---------------------------------------------------------


def cockroachdb(cluster: str) -> str:
    """StatefulSet, headless Service and PodDisruptionBudget of the managed CockroachDB."""
    return child(cluster, "cockroachdb", limit=STATEFULSET_LIMIT)


def cockroachdb_public(cluster: str) -> str:
    """Client Service of the managed CockroachDB (what workloads connect to)."""
    return child(cluster, "cockroachdb-public")


def cockroachdb_init(cluster: str) -> str:
    return child(cluster, "cockroachdb-init")


def cockroachdb_ca(cluster: str) -> str:
    return child(cluster, "cockroachdb-ca")


def cockroachdb_node_certs(cluster: str) -> str:
    return child(cluster, "cockroachdb-node")


def cockroachdb_client_certs(cluster: str, user: str) -> str:
    return child(cluster, "cockroachdb-client", user)


def opensearch(cluster: str) -> str:
    """StatefulSet, client Service and PodDisruptionBudget of the managed OpenSearch."""
    return child(cluster, "opensearch", limit=STATEFULSET_LIMIT)


def opensearch_headless(cluster: str) -> str:
    return child(cluster, "opensearch-headless")


def opensearch_admin(cluster: str) -> str:
    """Secret with the generated OpenSearch admin password."""
    return child(cluster, "opensearch-admin")


def migrations(cluster: str, digest: str) -> str:
    """The migrations Job; `digest` changes with version and database config."""
    return child(cluster, "migrate", digest[:10])


def api(cluster: str) -> str:
    """Deployment and Service of the API."""
    return child(cluster, "api")


# --- CrawlRegion children ------------------------------------------------------------


def crawler(cluster: str, region_resource: str) -> str:
    """Deployment of a region's crawler workers, and the autoscaler that targets it."""
    return child(cluster, "crawler", region_resource)
