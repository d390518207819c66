"""What the watch streams last said about each object the operator reads: its informer cache.

kopf already watches every kind the operator owns (to bring an owner's reconcile forward when
a child changes), so each event also lands here, and the reconcile reads children, Secrets and
the custom resources from memory instead of asking the API server. A steady-state reconcile
then makes no API call at all. An object the cache has not seen is read from the API once
(`children.ensure` does), and every write's answer is stored at once, so the cache is never
behind the operator's own writes; a stale entry at worst costs one redundant, idempotent patch.
"""

from __future__ import annotations

from typing import Any

Key = tuple[str, str, str]  # (group/version/plural, namespace, name)


class Cache:
    """Objects by resource, namespace and name, as last seen on a watch or in a write."""

    def __init__(self, watched: set[str]) -> None:
        self._objects: dict[Key, dict[str, Any]] = {}
        # Only what a watch keeps fresh is cached; anything else (a KEDA ScaledObject, whose
        # status only KEDA writes) is always read from the API.
        self.watched = watched

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The last known object, or None when the cache has not seen it (or saw it go)."""
        if resource not in self.watched:
            return None
        return self._objects.get((resource, namespace, name))

    def list(self, resource: str, namespace: str) -> list[dict[str, Any]]:
        """Every known object of a resource in a namespace."""
        return [
            obj
            for (kind, ns, _), obj in list(self._objects.items())
            if kind == resource and ns == namespace
        ]

    def seen(self, resource: str, event_type: str | None, body: dict[str, Any]) -> None:
        """Record a watch event (or a write's answer: `event_type` None)."""
        if resource not in self.watched:
            return
        metadata = body.get("metadata") or {}
        key = (resource, metadata.get("namespace") or "", metadata.get("name") or "")
        if event_type == "DELETED":
            self._objects.pop(key, None)
        elif not _older(body, self._objects.get(key)):
            self._objects[key] = body

    def forget(self, resource: str, namespace: str, name: str) -> None:
        self._objects.pop((resource, namespace, name), None)


def _older(new: dict[str, Any], old: dict[str, Any] | None) -> bool:
    """Whether `new` is an older version than `old` (an event overtaken by a write's answer).

    resourceVersions are opaque by contract but etcd revisions in practice; when they do not
    read as numbers, the newer arrival wins.
    """
    if old is None:
        return False
    try:
        return int(new["metadata"]["resourceVersion"]) < int(old["metadata"]["resourceVersion"])
    except (KeyError, TypeError, ValueError):
        return False
