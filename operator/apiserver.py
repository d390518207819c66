"""The operator's own HTTP client of the Kubernetes API: get, list, create, merge-patch, delete.

kopf keeps its API client private, so the reconcile path speaks HTTP itself with the
credentials kopf logged in with (`connect(kopf.ConnectionInfo)`). Writes use JSON merge
patches (RFC 7386), which every API server and kmock's emulator understand alike; server-side
apply can replace them later in `children.py`, the only module that writes children.
Resources are named `group/version/plural` (`apps/v1/deployments`, `v1/secrets`).
"""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
import kopf

USER_AGENT = "archivestream-operator"

# apiVersion/kind -> plural, for the kinds the operator manages or reads.
PLURALS = {
    "ArchiveCluster": "archiveclusters",
    "CrawlRegion": "crawlregions",
    "StatefulSet": "statefulsets",
    "Deployment": "deployments",
    "Job": "jobs",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers",
    "ScaledObject": "scaledobjects",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "Service": "services",
    "Secret": "secrets",
    "ConfigMap": "configmaps",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "ServiceAccount": "serviceaccounts",
}


class ApiError(Exception):
    """An answer of the API server other than success or 404."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} {path} answered {status}: {message}")
        self.status = status


def resource_of(manifest: dict[str, Any]) -> str:
    """`group/version/plural` of a manifest, from its apiVersion and kind."""
    kind = manifest["kind"]
    if kind not in PLURALS:
        raise ValueError(f"the operator does not manage kind {kind!r}; add it to PLURALS")
    return f"{manifest['apiVersion']}/{PLURALS[kind]}"


def path_of(resource: str, namespace: str | None, name: str | None = None, sub: str = "") -> str:
    """The API path of a resource, namespaced when a namespace is given."""
    parts = resource.split("/")
    prefix = f"/api/{parts[0]}" if len(parts) == 2 else f"/apis/{parts[0]}/{parts[1]}"
    path = prefix + (f"/namespaces/{namespace}" if namespace else "") + f"/{parts[-1]}"
    if name:
        path += f"/{name}"
    if sub:
        path += f"/{sub}"
    return path


class ApiClient:
    """One session to the API server, opened on the first call after `connect()`."""

    def __init__(self) -> None:
        self.connection: kopf.ConnectionInfo | None = None
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # calls made, for the benchmark and the logs

    def connect(self, connection: kopf.ConnectionInfo) -> None:
        """Use these credentials from now on (kopf's login handler calls this)."""
        self.connection = connection
        if self._session is not None and not self._session.closed:
            # The old session is closed by the garbage collector; credentials rotate rarely.
            self._session = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self.connection is None:
            raise RuntimeError("the operator has not logged in to the API server yet")
        if self._session is None or self._session.closed:
            info = self.connection
            context: ssl.SSLContext | bool = True
            if info.server.startswith("https"):
                context = ssl.create_default_context(
                    cafile=str(info.ca_path) if info.ca_path else None,
                    cadata=info.ca_data.decode()
                    if isinstance(info.ca_data, bytes)
                    else info.ca_data,
                )
                if info.certificate_path and info.private_key_path:
                    context.load_cert_chain(str(info.certificate_path), str(info.private_key_path))
                if info.insecure:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
            self._session = aiohttp.ClientSession(
                base_url=info.server.rstrip("/") + "/",
                headers={**info.as_http_headers(), "User-Agent": USER_AGENT},
                connector=aiohttp.TCPConnector(ssl=context),
                timeout=aiohttp.ClientTimeout(total=30),
            )
        return self._session

    async def _call(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> dict[str, Any] | None:
        session = self._open()
        self.requests += 1
        async with session.request(
            method,
            path.lstrip("/"),
            json=body,
            headers={"Content-Type": content_type} if body is not None else None,
        ) as response:
            if response.status == 404:
                return None
            data = await response.json(content_type=None)
            if response.status >= 400:
                message = data.get("message") if isinstance(data, dict) else data
                raise ApiError(method, path, response.status, str(message))
            return data

    async def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        return await self._call("GET", path_of(resource, namespace, name))

    async def list(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        """Every object of a resource in a namespace; an unknown resource lists as empty."""
        data = await self._call("GET", path_of(resource, namespace))
        return list(data.get("items", [])) if data else []

    async def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        namespace = manifest["metadata"].get("namespace")
        data = await self._call("POST", path_of(resource_of(manifest), namespace), manifest)
        if data is None:
            raise ApiError("POST", resource_of(manifest), 404, "resource not served")
        return data

    async def patch(
        self, resource: str, namespace: str | None, name: str, patch: dict[str, Any], sub: str = ""
    ) -> dict[str, Any] | None:
        """Merge-patch an object; None when it vanished meanwhile."""
        return await self._call(
            "PATCH",
            path_of(resource, namespace, name, sub),
            patch,
            content_type="application/merge-patch+json",
        )

    async def delete(self, resource: str, namespace: str | None, name: str) -> bool:
        """Delete an object; False when it was already gone."""
        return await self._call("DELETE", path_of(resource, namespace, name)) is not None

    async def serves(self, group_version: str, plural: str) -> bool:
        """Whether the API server serves a resource (KEDA installed or not, say)."""
        prefix = "/api/" if "/" not in group_version else "/apis/"
        try:
            data = await self._call("GET", prefix + group_version)
        except ApiError:
            return False
        if not data:
            return False
        return any(item.get("name") == plural for item in data.get("resources", []))
