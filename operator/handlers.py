"""The kopf handlers of ArchiveCluster and CrawlRegion: what starts a reconcile.

A create, update or resume of a resource; a timer that catches drift nobody reported; an
event on a child (a Deployment edited by hand, a StatefulSet deleted, a Job that finished)
found through its owner reference; a user's Secret appearing; a region gone. Every watch
event also feeds the reconciler's cache, so a steady-state reconcile makes no API call. An
ArchiveCluster with `deletionPolicy: Delete` gets a finalizer that deletes its volumes.

`build(options)` makes one kopf registry with its own API client and reconciler, so tests
can run several operators side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kopf

from archivestream.operator import apiserver, archivecluster, models, reconciler
from archivestream.operator.reconciler import CHILD_RESOURCES, CLUSTERS, REGIONS, Options

__all__ = ["Options", "build"]


def default_login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In a pod: the service account; elsewhere: the kubeconfig."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


def build(
    options: Options | None = None,
    login: Callable[..., kopf.ConnectionInfo | None] = default_login,
) -> tuple[kopf.OperatorRegistry, reconciler.Reconciler]:
    """A kopf registry with every handler of the operator, and the reconciler behind it."""
    options = options or Options()
    registry = kopf.OperatorRegistry()
    runner = reconciler.Reconciler(apiserver.ApiClient(), options)
    group, version = models.GROUP, models.VERSION

    @kopf.on.login(registry=registry)
    def log_in(**kwargs: Any) -> kopf.ConnectionInfo | None:
        connection = login(**kwargs)
        if connection is not None:
            runner.api.connect(connection)
        return connection

    @kopf.on.cleanup(registry=registry)
    async def clean_up(**_: Any) -> None:
        await runner.stop()

    # ArchiveCluster: its own changes, a periodic resync, and the volumes on deletion.

    @kopf.on.resume(group, version, "archiveclusters", registry=registry)
    @kopf.on.create(group, version, "archiveclusters", registry=registry)
    @kopf.on.update(group, version, "archiveclusters", registry=registry)
    async def cluster_changed(namespace: str | None, name: str, **_: Any) -> None:
        await runner.cluster(namespace or "", name)

    @kopf.timer(group, version, "archiveclusters", interval=options.resync_interval,
                registry=registry)  # fmt: skip
    async def cluster_resync(namespace: str | None, name: str, **_: Any) -> None:
        await runner.cluster(namespace or "", name)

    @kopf.on.delete(
        group,
        version,
        "archiveclusters",
        registry=registry,
        when=lambda spec, **_: spec.get("deletionPolicy") == "Delete",
    )
    async def cluster_deleted(body: kopf.Body, **_: Any) -> None:
        deleted = await archivecluster.delete_volumes(runner, dict(body))
        kopf.info(body, reason="VolumesDeleted", message=f"deleted {len(deleted)} claims")

    # CrawlRegion: the same, and its cluster recounts its regions when one goes.

    @kopf.on.resume(group, version, "crawlregions", registry=registry)
    @kopf.on.create(group, version, "crawlregions", registry=registry)
    @kopf.on.update(group, version, "crawlregions", registry=registry)
    async def region_changed(namespace: str | None, name: str, **_: Any) -> None:
        await runner.region(namespace or "", name)

    @kopf.timer(group, version, "crawlregions", interval=options.resync_interval,
                registry=registry)  # fmt: skip
    async def region_resync(namespace: str | None, name: str, **_: Any) -> None:
        await runner.region(namespace or "", name)

    # The watch streams feed the cache: the custom resources, the children and Secrets.

    @kopf.on.event(group, version, "archiveclusters", registry=registry)
    async def cluster_seen(type: str, body: kopf.Body, **_: Any) -> None:
        runner.cache.seen(CLUSTERS, type, dict(body))

    @kopf.on.event(group, version, "crawlregions", registry=registry)
    async def region_seen(type: str, body: kopf.Body, namespace: str | None, **_: Any) -> None:
        runner.cache.seen(REGIONS, type, dict(body))
        if type == "DELETED":
            # Its cluster counts one region less.
            cluster_name = (body.get("spec") or {}).get("clusterRef", {}).get("name")
            if cluster_name:
                runner.trigger("ArchiveCluster", namespace or "", cluster_name)

    def child_seen(resource: str) -> Callable[..., Any]:
        async def handler(type: str, body: kopf.Body, **_: Any) -> None:
            live = dict(body)
            runner.cache.seen(resource, type, live)
            owner = reconciler.owner_of(live)
            if owner is not None:
                # A child changed (by hand, by its controller, or gone): drift or progress.
                runner.trigger(*owner)
            elif resource == "v1/secrets":
                # A user's Secret appeared or changed: whoever may name it looks again.
                namespace = live.get("metadata", {}).get("namespace", "")
                for obj in runner.cache.list(CLUSTERS, namespace):
                    runner.trigger("ArchiveCluster", namespace, obj["metadata"]["name"])
                for obj in runner.cache.list(REGIONS, namespace):
                    runner.trigger("CrawlRegion", namespace, obj["metadata"]["name"])

        return handler

    for child_group, child_version, plural in CHILD_RESOURCES:
        resource = reconciler.resource_path(child_group, child_version, plural)
        kopf.on.event(child_group, child_version, plural, registry=registry, id=f"seen-{plural}")(
            child_seen(resource)
        )

    return registry, runner
