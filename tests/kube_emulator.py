"""A Kubernetes API server for the operator's tests: kmock's emulator taught what a real
API server does on writes.

kmock 0.8 stores request bodies as they come. A real API server fills `uid`,
`resourceVersion`, `generation`, `namespace` and `creationTimestamp` on create, bumps the
generation on spec changes only, keeps status writes (the `/status` subresource) apart from
spec writes, and maps the scale subresource onto the resource's own replicas field. This
subclass does those, declares the resources the operator watches (plus the namespaces and
CRDs kopf waits for in discovery), and gives tests a small client to play the controller
manager: writing children's status the way kube-controller-manager would.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import datetime
import itertools
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import aiohttp
import attrs
import kmock
import kopf
from kmock._internal import dicts

VERBS = {"list", "watch", "get", "create", "patch", "delete"}

# (group/version/plural, kind, subresources): what the operator reads and writes.
RESOURCES: list[tuple[str, str, set[str]]] = [
    ("archivestream.io/v1alpha1/archiveclusters", "ArchiveCluster", {"status"}),
    ("archivestream.io/v1alpha1/crawlregions", "CrawlRegion", {"status", "scale"}),
    ("apps/v1/statefulsets", "StatefulSet", {"status", "scale"}),
    ("apps/v1/deployments", "Deployment", {"status", "scale"}),
    ("batch/v1/jobs", "Job", {"status"}),
    ("autoscaling/v2/horizontalpodautoscalers", "HorizontalPodAutoscaler", {"status"}),
    ("policy/v1/poddisruptionbudgets", "PodDisruptionBudget", {"status"}),
    ("v1/services", "Service", set()),
    ("v1/secrets", "Secret", set()),
    ("v1/configmaps", "ConfigMap", set()),
    ("v1/persistentvolumeclaims", "PersistentVolumeClaim", {"status"}),
    ("v1/serviceaccounts", "ServiceAccount", set()),
    ("v1/events", "Event", set()),
    ("events.k8s.io/v1/events", "Event", set()),
]
# kopf looks these up in discovery before it starts watching.
DISCOVERY_ONLY: list[tuple[str, str, bool]] = [
    ("v1/namespaces", "Namespace", False),
    ("apiextensions.k8s.io/v1/customresourcedefinitions", "CustomResourceDefinition", False),
]
KEDA = ("keda.sh/v1alpha1/scaledobjects", "ScaledObject", {"status"})

# The scale subresource maps `spec.replicas` of a Scale onto this path of the resource.
SCALE_SPEC_PATHS = {
    "crawlregions": ("spec", "workers", "replicas"),
    "statefulsets": ("spec", "replicas"),
    "deployments": ("spec", "replicas"),
}


@attrs.define(kw_only=True)
class ApiServer(kmock.KubernetesEmulator):
    """kmock's emulator with the bookkeeping of a real API server's write path."""

    with_keda: bool = False
    _versions: itertools.count = attrs.field(factory=lambda: itertools.count(1), init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        declared = RESOURCES + ([KEDA] if self.with_keda else [])
        for path, kind, subresources in declared:
            self.resources[path] = kmock.ResourceInfo(
                kind=kind, namespaced=True, verbs=VERBS, subresources=subresources
            )
        for path, kind, namespaced in DISCOVERY_ONLY:
            self.resources[path] = kmock.ResourceInfo(
                kind=kind, namespaced=namespaced, verbs=VERBS
            )

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        if request.resource is not None and isinstance(request.data, dict):
            if request.action == kmock.action.CREATE:
                self._fill_created(request)
            elif request.action == kmock.action.UPDATE and request.name is not None:
                self._fill_patched(request)
        return await super()._handle(request)

    def _fill_created(self, request: kmock.Request) -> None:
        metadata = request.data.setdefault("metadata", {})
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = metadata["generateName"] + uuid.uuid4().hex[:5]
        if request.namespace:
            metadata["namespace"] = request.namespace
        metadata["uid"] = str(uuid.uuid4())
        metadata["resourceVersion"] = str(next(self._versions))
        metadata["generation"] = 1
        metadata["creationTimestamp"] = now()
        encode_string_data(request.data)

    def _fill_patched(self, request: kmock.Request) -> None:
        key = (request.resource, request.namespace, request.name)
        if key not in self.objects or self.objects[key].deleted:
            return  # kmock answers 404 itself
        info = self.resources[request.resource]
        patch = request.data

        # The scale subresource writes the resource's own replicas field.
        if request.subresource == "scale":
            replicas = patch.get("spec", {}).get("replicas")
            path = SCALE_SPEC_PATHS.get(request.resource.plural)
            patch.clear()
            if replicas is not None and path is not None:
                patch.update(nested(path, replicas))

        # Status is written only through /status when the resource has that subresource.
        elif "status" in info.subresources:
            if request.subresource == "status":
                for field in [field for field in patch if field not in ("status", "metadata")]:
                    del patch[field]
            else:
                patch.pop("status", None)

        encode_string_data(patch)
        old = self.objects[key].raw
        new = dicts.patch_dict(copy.deepcopy(old), copy.deepcopy(patch))
        if strip_metadata(new) == strip_metadata(old) and new.get("metadata") == old.get(
            "metadata"
        ):
            return
        metadata = patch.setdefault("metadata", {})
        metadata["resourceVersion"] = str(next(self._versions))
        if body_of(new) != body_of(old):
            metadata["generation"] = int(old.get("metadata", {}).get("generation", 1)) + 1

    # What tests assert on.

    def writes(self, since: int = 0) -> list[kmock.Request]:
        """The create, patch and delete requests served, from the `since`-th request on."""
        return [
            request
            for request in list(self._requests)[since:]
            if request.method in (kmock.method.POST, kmock.method.PATCH, kmock.method.DELETE)
        ]

    def operator_writes(self, since: int = 0) -> list[kmock.Request]:
        """The writes the operator's reconcile path made (kopf's own bookkeeping aside)."""
        return [
            request
            for request in self.writes(since)
            if request.headers.get("User-Agent", "").startswith("archivestream-operator")
        ]

    def live(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The stored object, or None when absent or deleted."""
        key = (kmock.resource(resource), namespace, name)
        if key not in self.objects or self.objects[key].deleted:
            return None
        return self.objects[key].raw

    def names(self, resource: str, namespace: str) -> set[str]:
        """Names of the live objects of a resource in a namespace."""
        wanted = kmock.resource(resource)
        return {
            name
            for (res, ns, name), obj in list(self.objects.items())
            if res == wanted and ns == namespace and not obj.deleted
        }


def encode_string_data(obj: dict[str, Any]) -> None:
    """A Secret's stringData becomes base64 data on write, as the API server does it."""
    plain = obj.pop("stringData", None)
    if isinstance(plain, dict):
        data = obj.setdefault("data", {})
        for key, value in plain.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def body_of(obj: dict[str, Any]) -> dict[str, Any]:
    """What counts for the generation: everything but metadata and status."""
    return {key: value for key, value in obj.items() if key not in ("metadata", "status")}


def strip_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key != "metadata"}


def nested(path: Iterable[str], value: Any) -> dict[str, Any]:
    keys = list(path)
    result: Any = value
    for key in reversed(keys):
        result = {key: result}
    return result


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def url_of(resource: str, namespace: str, name: str | None = None, sub: str | None = None) -> str:
    """The API path of a resource given as `group/version/plural` or `v1/plural`."""
    parts = resource.split("/")
    prefix = f"/api/{parts[0]}" if len(parts) == 2 else f"/apis/{parts[0]}/{parts[1]}"
    path = f"{prefix}/namespaces/{namespace}/{parts[-1]}"
    if name:
        path += f"/{name}"
    if sub:
        path += f"/{sub}"
    return path


class Kubectl:
    """The few kubectl verbs the tests need, spoken over HTTP to the emulator."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/merge-patch+json"} if method == "PATCH" else {}
        async with self.session.request(
            method, self.base_url + path, json=body, headers=headers
        ) as response:
            data = await response.json(content_type=None)
            if response.status >= 400:
                raise RuntimeError(f"{method} {path} -> {response.status}: {data}")
            return data

    async def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Create the object, or merge-patch it when it exists (client-side apply, roughly)."""
        resource = resource_of(manifest)
        namespace = manifest["metadata"]["namespace"]
        name = manifest["metadata"]["name"]
        try:
            return await self._call("GET", url_of(resource, namespace, name)) and await self._call(
                "PATCH", url_of(resource, namespace, name), manifest
            )
        except RuntimeError:
            return await self._call("POST", url_of(resource, namespace), manifest)

    async def patch(
        self, resource: str, namespace: str, name: str, body: Any, sub: str | None = None
    ) -> dict[str, Any]:
        return await self._call("PATCH", url_of(resource, namespace, name, sub), body)

    async def delete(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        return await self._call("DELETE", url_of(resource, namespace, name))

    async def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        resource = resource_of(manifest)
        return await self._call(
            "POST", url_of(resource, manifest["metadata"]["namespace"]), manifest
        )


PLURALS = {kind: path for path, kind, _ in RESOURCES + [KEDA]}


def resource_of(manifest: dict[str, Any]) -> str:
    """`group/version/plural` of a manifest, from its apiVersion and kind."""
    path = PLURALS[manifest["kind"]]
    plural = path.split("/")[-1]
    return f"{manifest['apiVersion']}/{plural}"


# --- the operator under test -------------------------------------------------------------


class Operator:
    """The operator running in-process against an emulator, and what tests do to it."""

    def __init__(self, server: ApiServer, kubectl: Kubectl, reconciler: Any) -> None:
        self.server = server
        self.kubectl = kubectl
        self.reconciler = reconciler

    async def eventually(self, check: Any, what: str, within: float = 30.0) -> Any:
        """Poll `check()` until it returns something truthy; fail naming `what` if it never does.

        The bound only keeps a broken operator from hanging the suite; nothing is asserted
        about how fast the operator is.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"never happened: {what}")
            await asyncio.sleep(0.05)

    async def quiet(self, seconds: float = 1.5) -> None:
        """Let the operator run several resync periods with nothing changing."""
        await asyncio.sleep(seconds)

    def status(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        return (self.server.live(resource, namespace, name) or {}).get("status") or {}

    def condition(self, resource: str, namespace: str, name: str, kind: str) -> dict[str, Any]:
        for condition in self.status(resource, namespace, name).get("conditions", []):
            if condition["type"] == kind:
                return condition
        return {}

    async def condition_true(
        self, resource: str, namespace: str, name: str, kind: str
    ) -> dict[str, Any]:
        """Wait for the condition `kind` to be True; returns it."""

        def true() -> dict[str, Any]:
            condition = self.condition(resource, namespace, name, kind)
            return condition if condition.get("status") == "True" else {}

        return await self.eventually(true, f"{kind}=True")

    def children_of(self, namespace: str, uid: str) -> list[dict[str, Any]]:
        """Live objects whose owner reference names this uid."""
        result = []
        for (_, ns, _), obj in list(self.server.objects.items()):
            if ns != namespace or obj.deleted:
                continue
            refs = obj.raw.get("metadata", {}).get("ownerReferences", []) or []
            if any(ref.get("uid") == uid for ref in refs):
                result.append(obj.raw)
        return result

    def children(
        self, resource: str, namespace: str, name: str, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Live children of the custom resource `name`, only those of `kind` if given."""
        uid = self.server.live(resource, namespace, name)["metadata"]["uid"]
        return [c for c in self.children_of(namespace, uid) if kind is None or c["kind"] == kind]

    async def play_controllers(self, namespace: str, uid: str) -> int:
        """Write the status kube-controller-manager would write once every child is ready.

        Returns how many statuses were written (0 when everything already looked ready).
        """
        written = 0
        for child in self.children_of(namespace, uid):
            status = ready_status(child)
            if status is None:
                continue
            current = child.get("status") or {}
            if all(current.get(key) == value for key, value in status.items()):
                continue
            await self.kubectl.patch(
                resource_of(child),
                namespace,
                child["metadata"]["name"],
                {"status": status},
                sub="status",
            )
            written += 1
        return written


def ready_status(child: dict[str, Any]) -> dict[str, Any] | None:
    """The status of a child whose pods all run, as its controller would report it."""
    kind = child["kind"]
    spec = child.get("spec") or {}
    generation = child["metadata"].get("generation", 1)
    if kind in ("StatefulSet", "Deployment"):
        replicas = spec.get("replicas", 1)
        return {
            "observedGeneration": generation,
            "replicas": replicas,
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
            "availableReplicas": replicas,
        }
    if kind == "Job":
        return {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    if kind == "HorizontalPodAutoscaler":
        replicas = spec.get("minReplicas", 1)
        return {
            "observedGeneration": generation,
            "currentReplicas": replicas,
            "desiredReplicas": replicas,
            "currentMetrics": [
                {
                    "type": "External",
                    "external": {
                        "metric": {"name": "archivestream_frontier_depth"},
                        "current": {"averageValue": "1500"},
                    },
                }
            ],
        }
    return None


@contextlib.asynccontextmanager
async def running_operator(with_keda: bool = False, **options: Any) -> AsyncIterator[Operator]:
    """An emulator on 127.0.0.1 and the operator in-process against it, stopped afterwards."""
    from archivestream.operator import handlers, main

    timings = {
        "resync_interval": 0.4,
        "debounce": 0.05,
        "retry_delay": 0.3,
        "probe_timeout": 0.5,
        **options,
    }
    async with ApiServer(with_keda=with_keda) as server, kmock.Server(server) as http:
        url = str(http.url).rstrip("/")
        registry, reconciler = handlers.build(
            handlers.Options(**timings),
            login=lambda **_: kopf.ConnectionInfo(server=url),
        )
        settings = kopf.OperatorSettings()
        main.configure(settings)
        settings.scanning.disabled = True
        settings.posting.default_backoffs = [0.1]
        settings.networking.error_backoffs = [0.1, 0.2]
        settings.queueing.error_delays = [0.1, 0.2]
        settings.watching.reconnect_backoff = 0.1
        settings.queueing.exit_timeout = 0.1
        settings.process.instant_exit_timeout = 0.1
        ready = asyncio.Event()
        task = asyncio.create_task(
            kopf.operator(
                registry=registry,
                settings=settings,
                clusterwide=True,
                standalone=True,
                ready_flag=ready,
            )
        )
        kubectl = Kubectl(url)
        try:
            await asyncio.wait_for(ready.wait(), 30)
            yield Operator(server, kubectl, reconciler)
            # The operator never crashed: kopf still runs when the test is over.
            assert not task.done(), f"the operator exited: {task.exception()!r}"
        finally:
            # Cancelling (not the stop flag) skips kopf's fixed 5 s wait for stray tasks.
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await kubectl.close()


# --- manifests the tests apply ---------------------------------------------------------

NS = "archive"
CLUSTERS = "archivestream.io/v1alpha1/archiveclusters"
REGIONS = "archivestream.io/v1alpha1/crawlregions"


def cluster_manifest(name: str = "main", **spec: Any) -> dict[str, Any]:
    """A small managed ArchiveCluster; keyword arguments replace top-level spec fields."""
    return {
        "apiVersion": "archivestream.io/v1alpha1",
        "kind": "ArchiveCluster",
        "metadata": {"name": name, "namespace": NS, "labels": {"team": "archive"}},
        "spec": {
            "version": "1.0.0",
            "database": {"managed": {"replicas": 3, "storage": "10Gi"}},
            "search": {"managed": {"replicas": 1, "storage": "10Gi"}},
            "api": {"replicas": 2},
            **spec,
        },
    }


def region_manifest(region: str = "us-east-1", cluster: str = "main", **spec: Any) -> dict:
    """A CrawlRegion of `cluster`, autoscaled unless `workers` says otherwise."""
    return {
        "apiVersion": "archivestream.io/v1alpha1",
        "kind": "CrawlRegion",
        "metadata": {"name": region, "namespace": NS, "labels": {"team": "archive"}},
        "spec": {
            "clusterRef": {"name": cluster},
            "region": region,
            "storage": {"s3": {"bucket": f"archivestream-warc-{region}"}},
            "workers": {"min": 2, "max": 20, "targetFrontierDepthPerWorker": 10000},
            **spec,
        },
    }


def secret_manifest(name: str, **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NS},
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
    }


async def converge(op: Operator, kind_resource: str, name: str) -> dict[str, Any]:
    """Play the controllers for a resource's children until it is Ready; its status then."""
    uid = op.server.live(kind_resource, NS, name)["metadata"]["uid"]

    async def ready() -> bool:
        await op.play_controllers(NS, uid)
        return op.condition(kind_resource, NS, name, "Ready").get("status") == "True"

    await op.eventually(ready, f"{name} Ready")
    return op.status(kind_resource, NS, name)
