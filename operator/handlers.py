"""The kopf handlers of ArchiveCluster and CrawlRegion, and the reconcile they all run.

Every way a resource can need attention ends in one reconcile per resource, serialised by a
lock: a create, update or resume of the resource; a timer that catches drift nobody told us
about; an event on a child (a Deployment edited by hand, a StatefulSet deleted, a Job that
finished), which finds its owner through its owner reference; a region whose readiness
changed (its cluster counts it). Child events are coalesced: a burst of them gives one
reconcile.

A reconcile reads the resource afresh, stops when it is paused
(`archivestream.io/paused: "true"`), checks what waiting cannot fix (missing Secrets, an
absent ArchiveCluster: `Stalled`), probes an external database (unreachable: `Ready=False`,
retried through kopf's temporary errors), writes the children through `children.ensure`,
then computes the conditions and the summary from the children's own status and writes the
status only when it changed. Nothing is written when nothing changed.

`build(options)` makes one kopf registry with its own API client, so tests can run several
operators side by side.
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
    builders,
    cache,
    children,
    conditions,
    events,
    models,
    probes,
    status,
)
from archivestream.operator.builders import autoscaling, crawler, migrations, naming, rollout

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

    async def _read_secrets(self, namespace: str, names: list[str]) -> rollout.SecretData:
        """`data` of each named Secret, None for an absent one, as the builders take them."""
        found: dict[str, dict[str, str] | None] = {}
        for name in names:
            secret = await self.read("v1/secrets", namespace, name)
            found[name] = dict(secret.get("data") or {}) if secret is not None else None
        return found

    @staticmethod
    def _secret_blocker(problems: list[str]) -> conditions.Blocker | None:
        if not problems:
            return None
        return conditions.Blocker(
            "stalled",
            "SecretMissing",
            "; ".join(problems) + "; create the Secret or fix the reference in the spec",
        )

    async def _converged(self, resource: str, namespace: str, name: str) -> bool:
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

    async def _write_status(
        self, resource: str, body: dict[str, Any], new: dict[str, Any]
    ) -> bool:
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

    async def _ensure_all(
        self,
        owner: dict[str, Any],
        desired: list[dict[str, Any]],
        create_only: Callable[[dict[str, Any]], list[tuple[str, ...]]] = lambda _: [],
    ) -> list[children.Outcome]:
        outcomes = []
        for manifest in desired:
            outcomes.append(
                await children.ensure(
                    self.api,
                    manifest,
                    owner,
                    known=self.cache,
                    create_only_fields=create_only(manifest),
                )
            )
        return outcomes

    async def _prune(self, owner: dict[str, Any], desired: list[dict[str, Any]]) -> None:
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
        if self._stopped:
            return Result()
        async with self.lock(("ArchiveCluster", namespace, name)):
            body = await self.read(CLUSTERS, namespace, name)
            if body is None or body["metadata"].get("deletionTimestamp"):
                return Result()
            self.reconciles += 1
            result = await self._cluster(body)
        if result.status_written:
            for region in self.cache.list(REGIONS, namespace):
                if (region.get("spec") or {}).get("clusterRef", {}).get("name") == name:
                    self.trigger("CrawlRegion", namespace, region["metadata"]["name"])
        if result.blocker is not None and result.blocker.kind == "waiting":
            raise kopf.TemporaryError(result.blocker.message, delay=self.options.retry_delay)
        return result

    async def _cluster(self, body: dict[str, Any]) -> Result:
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        generation = int(body["metadata"].get("generation") or 0)
        old = (body.get("status") or {}).get("conditions")
        result = Result()

        try:
            cluster: models.ArchiveCluster | None = models.ArchiveCluster.from_body(body)
        except models.SpecError as error:
            result.blocker = conditions.Blocker("stalled", "InvalidSpec", str(error))
            cluster = None
        if cluster is not None and cluster.paused:
            log.info("paused", kind="ArchiveCluster", namespace=namespace, name=name)
            return Result(paused=True)

        secrets: dict[str, dict[str, str] | None] = {}
        if cluster is not None:
            secrets = dict(await self._read_secrets(namespace, builders.secrets_to_read(cluster)))
            problems = builders.secret_problems(builders.required_secrets(cluster), secrets)
            result.blocker = self._secret_blocker(problems)

        database_reachable: bool | None = None
        if cluster is not None and result.blocker is None and cluster.spec.database.external:
            ref = cluster.spec.database.external.url_secret_ref
            url = secret_value(secrets.get(ref.name), ref.key) or ""
            try:
                problem = await probes.unreachable(url, within=self.options.probe_timeout)
            except ValueError as error:
                result.blocker = conditions.Blocker(
                    "stalled", "InvalidDatabaseURL", f"{error} (Secret {ref.name!r})"
                )
            else:
                database_reachable = problem is None
                if problem is not None:
                    result.blocker = conditions.Blocker(
                        "waiting", "DatabaseUnreachable", f"external database: {problem}"
                    )

        if cluster is not None and result.blocker is None:
            # Certificates and the OpenSearch password are generated once, when absent.
            # Key generation is CPU work: off the event loop.
            generated = await asyncio.to_thread(
                builders.generated_secrets, cluster, existing=secrets
            )
            for secret in generated:
                outcome = await children.ensure(self.api, secret, body, known=self.cache)
                result.outcomes.append(outcome)
                secrets[outcome.name] = dict(outcome.live.get("data") or {})

            # The migrations Job waits for the database, the API for the schema. Once the
            # Job of this spec exists it stays, even while a database pod restarts.
            job = await self.read("batch/v1/jobs", namespace, migrations.job_name(cluster))
            if job is not None:
                database_ready = True
            elif database_reachable is None:
                database_ready = await self._converged(
                    "apps/v1/statefulsets", namespace, naming.cockroachdb(name)
                ) and await self._converged(
                    "batch/v1/jobs", namespace, naming.cockroachdb_init(name)
                )
            else:
                database_ready = database_reachable
            schema_ready = job is not None and conditions.child_state(job).converged
            desired = builders.cluster_children(
                cluster, secrets=secrets, database_ready=database_ready, schema_ready=schema_ready
            )
            result.outcomes += await self._ensure_all(body, desired)
            await self._prune(body, desired)
            if not schema_ready:
                # What is staged out still counts as not converged.
                waiting = "database" if not database_ready else "migrations"
                result.staged = waiting

        workloads = [o.live for o in result.outcomes if o.kind != "Secret"]
        regions = [
            region
            for region in self.cache.list(REGIONS, namespace)
            if (region.get("spec") or {}).get("clusterRef", {}).get("name") == name
        ]
        summary = status.cluster_summary(
            workloads,
            regions,
            database_reachable=database_reachable,
            external_search=bool(cluster is not None and cluster.spec.search.external),
            api_replicas=cluster.spec.api.replicas if cluster is not None else 0,
        )
        states = [conditions.child_state(child) for child in workloads]
        if result.staged:
            states.append(
                conditions.ChildState("Stage", result.staged, False, detail="not ready yet")
            )
        new_conditions = conditions.compute(
            generation=generation, children=states, blocker=result.blocker, old=old
        )
        new_status = {"observedGeneration": generation, "conditions": new_conditions, **summary}
        if cluster is not None:
            new_status["version"] = cluster.spec.version
        result.status_written = await self._write_status(CLUSTERS, body, new_status)
        events.post(body, events.announcements(result.outcomes, old, new_conditions))
        return result

    async def delete_volumes(self, body: dict[str, Any]) -> list[str]:
        """Delete the volumes of the cluster's StatefulSets (deletionPolicy: Delete).

        PersistentVolumeClaims made from a StatefulSet's volumeClaimTemplates belong to no
        one, so Kubernetes keeps them when the StatefulSet goes; this removes them.
        """
        namespace = body["metadata"]["namespace"]
        try:
            cluster = models.ArchiveCluster.from_body(body)
        except models.SpecError:
            return []
        patterns = [
            (template["metadata"]["name"], manifest["metadata"]["name"])
            for manifest in builders.cluster_children(cluster, secrets={})
            if manifest["kind"] == "StatefulSet"
            for template in manifest["spec"].get("volumeClaimTemplates", [])
        ]
        deleted = []
        for claim in await self.api.list("v1/persistentvolumeclaims", namespace):
            claim_name = claim["metadata"]["name"]
            for template, statefulset in patterns:
                prefix = f"{template}-{statefulset}-"
                if claim_name.startswith(prefix) and claim_name[len(prefix) :].isdigit():
                    await self.api.delete("v1/persistentvolumeclaims", namespace, claim_name)
                    deleted.append(claim_name)
        log.info("volumes deleted", namespace=namespace, name=cluster.name, claims=deleted)
        return deleted

    # --- CrawlRegion ----------------------------------------------------------------

    async def region(self, namespace: str, name: str) -> Result:
        """Reconcile one CrawlRegion; kopf.TemporaryError when a retry is due."""
        if self._stopped:
            return Result()
        async with self.lock(("CrawlRegion", namespace, name)):
            body = await self.read(REGIONS, namespace, name)
            if body is None or body["metadata"].get("deletionTimestamp"):
                return Result()
            self.reconciles += 1
            result, cluster_name = await self._region(body)
        if result.status_written and cluster_name:
            self.trigger("ArchiveCluster", namespace, cluster_name)
        if result.blocker is not None and result.blocker.kind == "waiting":
            raise kopf.TemporaryError(result.blocker.message, delay=self.options.retry_delay)
        return result

    async def _region(self, body: dict[str, Any]) -> tuple[Result, str | None]:
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        generation = int(body["metadata"].get("generation") or 0)
        old = (body.get("status") or {}).get("conditions")
        result = Result()
        cluster: models.ArchiveCluster | None = None
        cluster_name: str | None = None

        try:
            region = models.CrawlRegion.from_body(body)
        except models.SpecError as error:
            result.blocker = conditions.Blocker("stalled", "InvalidSpec", str(error))
            region = None
        if region is not None and region.paused:
            log.info("paused", kind="CrawlRegion", namespace=namespace, name=name)
            return Result(paused=True), None

        if region is not None:
            cluster_name = region.spec.cluster_ref.name
            cluster_body = await self.read(CLUSTERS, namespace, cluster_name)
            if cluster_body is None:
                result.blocker = conditions.Blocker(
                    "stalled",
                    "ClusterNotFound",
                    f"ArchiveCluster {cluster_name!r} named by spec.clusterRef does not exist "
                    f"in namespace {namespace!r}; create it or fix spec.clusterRef.name",
                )
            else:
                try:
                    cluster = models.ArchiveCluster.from_body(cluster_body)
                except models.SpecError as error:
                    result.blocker = conditions.Blocker(
                        "stalled", "ClusterInvalid", f"ArchiveCluster {cluster_name!r}: {error}"
                    )

        secrets: rollout.SecretData = {}
        if region is not None and cluster is not None and result.blocker is None:
            secrets = await self._read_secrets(
                namespace, builders.secrets_to_read(cluster, region)
            )
            problems = builders.secret_problems(
                builders.required_secrets(cluster, region), secrets
            )
            result.blocker = self._secret_blocker(problems)

        autoscaled = region is not None and region.spec.workers.autoscaling
        if region is not None and cluster is not None and result.blocker is None:
            keda_available = autoscaled and await self.keda_installed()
            try:
                desired = builders.region_children(
                    region, cluster, secrets=secrets, keda_available=keda_available
                )
            except models.SpecError as error:
                result.blocker = conditions.Blocker("stalled", "InvalidSpec", str(error))
                desired = []

            def create_only(manifest: dict[str, Any]) -> list[tuple[str, ...]]:
                # While an autoscaler moves the workers, their number is never written back.
                if autoscaled and manifest["kind"] == "Deployment":
                    return [("spec", "replicas")]
                return []

            result.outcomes = await self._ensure_all(body, desired, create_only)
            if result.blocker is None:
                await self._prune(body, desired)

        live_children = [outcome.live for outcome in result.outcomes]
        autoscaler_status: dict[str, Any] | None = None
        if region is not None and cluster is not None and autoscaled:
            hpa = next((c for c in live_children if c["kind"] == "HorizontalPodAutoscaler"), None)
            if hpa is None and any(o.kind == "ScaledObject" for o in result.outcomes):
                # KEDA drives an HPA of its own under the crawler's name; its status is ours.
                hpa = await self.read(
                    "autoscaling/v2/horizontalpodautoscalers",
                    namespace,
                    crawler.name(region, cluster),
                )
            if hpa is not None:
                autoscaler_status = autoscaling.read_status(hpa)
        summary = status.region_summary(
            live_children,
            autoscaling=autoscaled,
            fixed_replicas=region.spec.workers.replicas if region is not None else None,
            autoscaler=autoscaler_status,
            selector=builders.region_selector(region, cluster)
            if region is not None and cluster is not None
            else None,
        )
        new_conditions = conditions.compute(
            generation=generation,
            children=[conditions.child_state(outcome.live) for outcome in result.outcomes],
            blocker=result.blocker,
            old=old,
        )
        new_status: dict[str, Any] = {
            "observedGeneration": generation,
            "conditions": new_conditions,
            **summary,
        }
        if region is not None and result.blocker is None:
            kinds = {outcome.kind for outcome in result.outcomes}
            new_status["autoscaler"] = (
                "keda"
                if "ScaledObject" in kinds
                else "hpa"
                if "HorizontalPodAutoscaler" in kinds
                else "none"
            )
        result.status_written = await self._write_status(REGIONS, body, new_status)
        events.post(body, events.announcements(result.outcomes, old, new_conditions))
        return result, cluster_name


def default_login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In a pod: the service account; elsewhere: the kubeconfig."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


def build(
    options: Options | None = None,
    login: Callable[..., kopf.ConnectionInfo | None] = default_login,
) -> tuple[kopf.OperatorRegistry, Reconciler]:
    """A kopf registry with every handler of the operator, and the reconciler behind it."""
    options = options or Options()
    registry = kopf.OperatorRegistry()
    reconciler = Reconciler(apiserver.ApiClient(), options)
    group, version = models.GROUP, models.VERSION

    @kopf.on.login(registry=registry)
    def log_in(**kwargs: Any) -> kopf.ConnectionInfo | None:
        connection = login(**kwargs)
        if connection is not None:
            reconciler.api.connect(connection)
        return connection

    @kopf.on.cleanup(registry=registry)
    async def clean_up(**_: Any) -> None:
        await reconciler.stop()

    # ArchiveCluster: its own changes, a periodic resync, and the volumes on deletion.

    @kopf.on.resume(group, version, "archiveclusters", registry=registry)
    @kopf.on.create(group, version, "archiveclusters", registry=registry)
    @kopf.on.update(group, version, "archiveclusters", registry=registry)
    async def cluster_changed(namespace: str, name: str, **_: Any) -> None:
        await reconciler.cluster(namespace, name)

    @kopf.timer(group, version, "archiveclusters", interval=options.resync_interval,
                registry=registry)  # fmt: skip
    async def cluster_resync(namespace: str, name: str, **_: Any) -> None:
        await reconciler.cluster(namespace, name)

    @kopf.on.delete(
        group,
        version,
        "archiveclusters",
        registry=registry,
        when=lambda spec, **_: spec.get("deletionPolicy") == "Delete",
    )
    async def cluster_deleted(body: kopf.Body, **_: Any) -> None:
        deleted = await reconciler.delete_volumes(dict(body))
        kopf.info(dict(body), reason="VolumesDeleted", message=f"deleted {len(deleted)} claims")

    # CrawlRegion: the same, and its cluster recounts its regions when one goes.

    @kopf.on.resume(group, version, "crawlregions", registry=registry)
    @kopf.on.create(group, version, "crawlregions", registry=registry)
    @kopf.on.update(group, version, "crawlregions", registry=registry)
    async def region_changed(namespace: str, name: str, **_: Any) -> None:
        await reconciler.region(namespace, name)

    @kopf.timer(group, version, "crawlregions", interval=options.resync_interval,
                registry=registry)  # fmt: skip
    async def region_resync(namespace: str, name: str, **_: Any) -> None:
        await reconciler.region(namespace, name)

    # The watch streams feed the cache: the custom resources, the children and Secrets.

    @kopf.on.event(group, version, "archiveclusters", registry=registry)
    async def cluster_seen(type: str | None, body: kopf.Body, **_: Any) -> None:
        reconciler.cache.seen(CLUSTERS, type, dict(body))

    @kopf.on.event(group, version, "crawlregions", registry=registry)
    async def region_seen(type: str | None, body: kopf.Body, namespace: str, **_: Any) -> None:
        reconciler.cache.seen(REGIONS, type, dict(body))
        if type == "DELETED":
            # Its cluster counts one region less.
            cluster_name = (body.get("spec") or {}).get("clusterRef", {}).get("name")
            if cluster_name:
                reconciler.trigger("ArchiveCluster", namespace, cluster_name)

    def child_seen(resource: str) -> Callable[..., Any]:
        async def handler(type: str | None, body: kopf.Body, **_: Any) -> None:
            live = dict(body)
            reconciler.cache.seen(resource, type, live)
            owner = owner_of(live)
            if owner is not None:
                # A child changed (by hand, by its controller, or gone): drift or progress.
                reconciler.trigger(*owner)
            elif resource == "v1/secrets":
                # A user's Secret appeared or changed: whoever may name it looks again.
                namespace = live.get("metadata", {}).get("namespace", "")
                for obj in reconciler.cache.list(CLUSTERS, namespace):
                    reconciler.trigger("ArchiveCluster", namespace, obj["metadata"]["name"])
                for obj in reconciler.cache.list(REGIONS, namespace):
                    reconciler.trigger("CrawlRegion", namespace, obj["metadata"]["name"])

        return handler

    for child_group, child_version, plural in CHILD_RESOURCES:
        resource = resource_path(child_group, child_version, plural)
        kopf.on.event(child_group, child_version, plural, registry=registry, id=f"seen-{plural}")(
            child_seen(resource)
        )

    return registry, reconciler
