"""The reconcile machinery both custom resources share: one reconcile at a time per resource,
coalesced triggers, reads through the watch cache, status writes only when changed.

Every way a resource can need attention ends in `Reconciler.cluster()` or
`Reconciler.region()`, serialised by a lock per resource: a create, update or resume, a
timer, an event on a child found through its owner reference, a region whose readiness
changed. Triggers arriving while one is pending share it. What each kind's reconcile does
is in `archivecluster.py` and `crawlregion.py`; the kopf handlers are in `handlers.py`.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import kopf
import structlog

from archivestream.operator import (
    apiserver,
    cache,
    children,
    conditions,
    models,
    status,
)
from archivestream.operator.builders import rollout

log = structlog.get_logger("archivestream.operator")

CLUSTERS = f"{models.API_VERSION}/archiveclusters"
REGIONS = f"{models.API_VERSION}/crawlregions"
KEDA_GROUP_VERSION = "keda.sh/v1alpha1"

# Kinds of children whose events bring their owner's reconcile forward.
CHILD_RESOURCES = [
    ("apps", "v1", "statefulsets"),
    ("apps", "v1", "deployments"),
    ("batch", "v1", "jobs"),
    ("autoscaling", "v2", "horizontalpodautoscalers"),
    ("policy", "v1", "poddisruptionbudgets"),
    ("", "v1", "services"),
    ("", "v1", "secrets"),
    ("", "v1", "configmaps"),
]
# Children that stop being desired when the spec changes (autoscaling turned off or moved
# between KEDA and HPA, a migrations Job of an older version); other kinds are kept when
# they leave the desired set, and a Job goes only when it is a migrations Job.
PRUNABLE = {
    "Job": "batch/v1/jobs",
    "HorizontalPodAutoscaler": "autoscaling/v2/horizontalpodautoscalers",
    "ScaledObject": f"{KEDA_GROUP_VERSION}/scaledobjects",
}


@dataclass
class Options:
    """Timings of the operator; tests shorten them."""

    resync_interval: float = 60.0  # seconds between timer reconciles of each resource
    debounce: float = 0.2  # seconds a burst of child events is gathered into one reconcile
    retry_delay: float = 15.0  # seconds before a blocker that may pass is tried again
    probe_timeout: float = 2.0  # seconds to open a TCP connection to an external database
    keda_cache_seconds: float = 300.0  # how long "is KEDA installed?" is remembered


@dataclass
class Result:
    """What one reconcile found, for the handlers and the tests."""

    blocker: conditions.Blocker | None = None
    outcomes: list[children.Outcome] = field(default_factory=list)
    status_written: bool = False
    paused: bool = False
    staged: str = ""  # a stage left out until the one before it is ready


def resource_path(group: str, version: str, plural: str) -> str:
    """`group/version/plural`, or `v1/plural` for the core group."""
    return f"{group}/{version}/{plural}" if group else f"{version}/{plural}"


def owner_of(body: dict[str, Any]) -> tuple[str, str, str] | None:
    """(kind, namespace, name) of the ArchiveCluster or CrawlRegion controlling a child."""
    for reference in body.get("metadata", {}).get("ownerReferences", []) or []:
        if reference.get("apiVersion", "").startswith(f"{models.GROUP}/") and reference.get(
            "kind"
        ) in ("ArchiveCluster", "CrawlRegion"):
            return reference["kind"], body["metadata"].get("namespace", ""), reference["name"]
    return None


def paused(body: dict[str, Any]) -> bool:
    """Whether the annotation archivestream.io/paused is "true" on a resource."""
    annotations = body.get("metadata", {}).get("annotations") or {}
    return str(annotations.get(models.PAUSED_ANNOTATION, "")).lower() == "true"


def secret_value(data: dict[str, str] | None, key: str) -> str | None:
    """A decoded value of a Secret's `data`, or None when the key is absent."""
    if not data or key not in data:
        return None
    return base64.b64decode(data[key]).decode()


class Reconciler:
    """One reconcile at a time per resource, and the coalescing of triggers."""

    def __init__(self, api: apiserver.ApiClient, options: Options) -> None:
        self.api = api
        self.options = options
        self.cache = cache.Cache(
            {CLUSTERS, REGIONS} | {resource_path(*resource) for resource in CHILD_RESOURCES}
        )
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self._pending: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._keda: tuple[float, bool] | None = None
        self._stopped = False
        self.reconciles = 0

    def lock(self, key: tuple[str, str, str]) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def trigger(self, kind: str, namespace: str, name: str) -> None:
        """Reconcile a resource soon; triggers arriving meanwhile share that reconcile."""
        key = (kind, namespace, name)
        if self._stopped:
            return
        task = self._pending.get(key)
        if task is not None and not task.done():
            return
        self._pending[key] = asyncio.create_task(self._deferred(key))

    async def _deferred(self, key: tuple[str, str, str]) -> None:
        await asyncio.sleep(self.options.debounce)
        self._pending.pop(key, None)
        kind, namespace, name = key
        try:
            if kind == "ArchiveCluster":
                await self.cluster(namespace, name)
            else:
                await self.region(namespace, name)
        except kopf.TemporaryError:
            pass  # the resource's own handlers and timer retry it
        except Exception:
            # A reconcile triggered by a child must never take the operator down.
            log.exception("reconcile failed", kind=kind, namespace=namespace, name=name)

    async def stop(self) -> None:
        self._stopped = True
        for task in list(self._pending.values()):
            task.cancel()
        await asyncio.gather(*self._pending.values(), return_exceptions=True)
        await self.api.close()

    async def keda_installed(self) -> bool:
        now = time.monotonic()
        if self._keda is None or now - self._keda[0] > self.options.keda_cache_seconds:
            self._keda = (now, await self.api.serves(KEDA_GROUP_VERSION, "scaledobjects"))
        return self._keda[1]

    async def read_secrets(self, namespace: str, names: list[str]) -> rollout.SecretData:
        """`data` of each named Secret, None for an absent one, as the builders take them."""
        found: dict[str, dict[str, str] | None] = {}
        for name in names:
            secret = await self.read("v1/secrets", namespace, name)
            found[name] = dict(secret.get("data") or {}) if secret is not None else None
        return found

    @staticmethod
    def secret_blocker(problems: list[str]) -> conditions.Blocker | None:
        if not problems:
            return None
        return conditions.Blocker(
            "stalled",
            "SecretMissing",
            "; ".join(problems) + "; create the Secret or fix the reference in the spec",
        )

    async def converged(self, resource: str, namespace: str, name: str) -> bool:
        live = await self.read(resource, namespace, name)
        return live is not None and conditions.child_state(live).converged

    async def read(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """An object from the watch cache, or from the API when the cache has not seen it."""
        live = self.cache.get(resource, namespace, name)
        if live is None:
            live = await self.api.get(resource, namespace, name)
            if live is not None:
                self.cache.seen(resource, None, live)
        return live

    def owned(self, namespace: str, uid: str) -> list[dict[str, Any]]:
        """The StatefulSets and Deployments in the watch cache that this owner uid controls."""
        found = []
        for resource in ("apps/v1/statefulsets", "apps/v1/deployments"):
            for live in self.cache.list(resource, namespace):
                refs = live.get("metadata", {}).get("ownerReferences", []) or []
                if uid and any(ref.get("uid") == uid for ref in refs):
                    found.append(live)
        return found

    async def write_status(self, resource: str, body: dict[str, Any], new: dict[str, Any]) -> bool:
        patch = children.merge_patch(body.get("status") or {}, new)
        if not patch:
            return False
        metadata = body["metadata"]
        written = await self.api.patch(
            resource, metadata["namespace"], metadata["name"], {"status": patch}, sub="status"
        )
        if written is not None:
            self.cache.seen(resource, None, written)
        return True

    async def ensure_all(
        self,
        owner: dict[str, Any],
        desired: list[dict[str, Any]],
        result: Result,
        create_only: Callable[[dict[str, Any]], list[tuple[str, ...]]] = lambda _: [],
    ) -> None:
        """Write every desired child; a child the API server refuses stalls the resource.

        A refusal (an immutable field changed, a quota, a policy) will not pass by waiting:
        it becomes `Stalled` with the API server's own words, and the other children are
        still written.
        """
        for manifest in desired:
            try:
                outcome = await children.ensure(
                    self.api,
                    manifest,
                    owner,
                    known=self.cache,
                    create_only_fields=create_only(manifest),
                )
            except apiserver.ApiError as error:
                if not 400 <= error.status < 500 or error.status in (408, 409, 429):
                    raise  # the API server is unwell or busy: kopf retries
                name = manifest["metadata"]["name"]
                log.warning("child refused", kind=manifest["kind"], name=name, error=str(error))
                if result.blocker is None:
                    result.blocker = conditions.Blocker(
                        "stalled",
                        "ChildRefused",
                        f"the API server refused {manifest['kind']} {name}: {error}; "
                        "change the spec back, or delete the child to have it recreated",
                    )
                continue
            result.outcomes.append(outcome)

    async def prune(self, owner: dict[str, Any], desired: list[dict[str, Any]]) -> None:
        wanted = {(m["kind"], m["metadata"]["name"]) for m in desired}
        namespace, uid = owner["metadata"]["namespace"], owner["metadata"]["uid"]
        for kind, resource in PRUNABLE.items():
            if kind == "ScaledObject" and not await self.keda_installed():
                continue
            lives = (
                await self.api.list(resource, namespace)
                if kind == "ScaledObject"  # not watched: KEDA may come and go
                else self.cache.list(resource, namespace)
            )
            for live in lives:
                refs = live.get("metadata", {}).get("ownerReferences", []) or []
                name = live["metadata"]["name"]
                component = (live["metadata"].get("labels") or {}).get(status.COMPONENT)
                if kind == "Job" and component != "migrations":
                    continue
                if any(ref.get("uid") == uid for ref in refs) and (kind, name) not in wanted:
                    await self.api.delete(resource, namespace, name)
                    self.cache.forget(resource, namespace, name)
                    log.info("child removed", kind=kind, name=name, namespace=namespace)

    # --- ArchiveCluster -------------------------------------------------------------

    async def cluster(self, namespace: str, name: str) -> Result:
        """Reconcile one ArchiveCluster; kopf.TemporaryError when a retry is due."""
        from archivestream.operator import archivecluster  # it imports this module

        if self._stopped:
            return Result()
        async with self.lock(("ArchiveCluster", namespace, name)):
            body = await self.read(CLUSTERS, namespace, name)
            if body is None or body["metadata"].get("deletionTimestamp"):
                return Result()
            self.reconciles += 1
            result = await archivecluster.reconcile(self, body)
        if result.status_written:
            for region in self.cache.list(REGIONS, namespace):
                if (region.get("spec") or {}).get("clusterRef", {}).get("name") == name:
                    self.trigger("CrawlRegion", namespace, region["metadata"]["name"])
        if result.blocker is not None and result.blocker.kind == "waiting":
            raise kopf.TemporaryError(result.blocker.message, delay=self.options.retry_delay)
        return result

    # --- CrawlRegion ----------------------------------------------------------------

    async def region(self, namespace: str, name: str) -> Result:
        """Reconcile one CrawlRegion; kopf.TemporaryError when a retry is due."""
        from archivestream.operator import crawlregion  # it imports this module

        if self._stopped:
            return Result()
        async with self.lock(("CrawlRegion", namespace, name)):
            body = await self.read(REGIONS, namespace, name)
            if body is None or body["metadata"].get("deletionTimestamp"):
                return Result()
            self.reconciles += 1
            result, cluster_name = await crawlregion.reconcile(self, body)
        if result.status_written and cluster_name:
            self.trigger("ArchiveCluster", namespace, cluster_name)
        if result.blocker is not None and result.blocker.kind == "waiting":
            raise kopf.TemporaryError(result.blocker.message, delay=self.options.retry_delay)
        return result
