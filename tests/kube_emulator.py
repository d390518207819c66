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

import copy
import datetime
import itertools
import uuid
from collections.abc import Iterable
from typing import Any

import aiohttp
import attrs
import kmock
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
        if request.namespace:
            metadata["namespace"] = request.namespace
        metadata["uid"] = str(uuid.uuid4())
        metadata["resourceVersion"] = str(next(self._versions))
        metadata["generation"] = 1
        metadata["creationTimestamp"] = now()

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
            for request in list(self.requests)[since:]
            if request.method in (kmock.method.POST, kmock.method.PATCH, kmock.method.DELETE)
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
