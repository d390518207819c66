"""The single write path of child objects: desired manifest in, the fewest API writes out.

`ensure(api, desired, owner)` reads the live child, creates it when absent, and otherwise
sends a JSON merge patch holding only the fields of the desired manifest that the live object
does not already carry; nothing is written when nothing differs. Fields the operator does not
set (defaults filled by the API server, status, fields of other controllers such as the
replicas an autoscaler moves) are never touched. This is what server-side apply will do once
it replaces this module: the operator owns exactly the fields of its desired manifests.

Lists are compared element by element as subsets (a live container may carry defaults the
desired one omits) and, when they differ, replaced whole, as a merge patch replaces lists.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog

from archivestream.operator import apiserver, cache

log = structlog.get_logger("archivestream.operator")

CREATE_ONLY = "archivestream.io/create-only"


@dataclass(frozen=True)
class Outcome:
    """What `ensure` did to one child, and the child as it now stands."""

    kind: str
    name: str
    action: str  # "created", "patched", "unchanged" or "deleting"
    live: dict[str, Any]
    patch: dict[str, Any] | None = None


def covers(live: Any, desired: Any) -> bool:
    """Whether the live value already carries everything the desired value says."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        return all(key in live and covers(live[key], value) for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            return False
        return all(covers(left, right) for left, right in zip(live, desired, strict=True))
    return live == desired


def merge_patch(live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """The smallest merge patch taking `live` to carry every field of `desired`."""
    patch: dict[str, Any] = {}
    for key, value in desired.items():
        if key in live and covers(live[key], value):
            continue
        if isinstance(value, dict) and isinstance(live.get(key), dict):
            patch[key] = merge_patch(live[key], value)
        else:
            patch[key] = copy.deepcopy(value)
    return patch


def without(manifest: dict[str, Any], paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """A copy of the manifest without the fields at these paths (fields others own)."""
    result = copy.deepcopy(manifest)
    for path in paths:
        node: Any = result
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return result


def in_namespace(manifest: dict[str, Any], owner: dict[str, Any]) -> dict[str, Any]:
    """A copy of the manifest placed in its owner's namespace unless it names one.

    Owner references come with the manifest (the builders set them, and leave them off a
    generated Secret that must outlive its cluster); the owner's labels are never copied
    (kopf.adopt would), so a label meant for the custom resource, an Argo CD tracking label
    say, does not mark its children too.
    """
    result = copy.deepcopy(manifest)
    result.setdefault("metadata", {}).setdefault("namespace", owner["metadata"]["namespace"])
    return result


async def ensure(
    api: apiserver.ApiClient,
    desired: dict[str, Any],
    owner: dict[str, Any],
    *,
    known: cache.Cache | None = None,
    create_only_fields: Iterable[tuple[str, ...]] = (),
) -> Outcome:
    """Make the live child carry the desired manifest; write only what differs.

    The live child is taken from `known` (the watch cache) when it is there, else read from
    the API. `create_only_fields` are set when the child is created and never patched
    afterwards (the replicas of an autoscaled Deployment). A child annotated
    `archivestream.io/create-only: "true"` is created when absent and never patched.
    """
    manifest = in_namespace(desired, owner)
    resource = apiserver.resource_of(manifest)
    namespace = manifest["metadata"]["namespace"]
    name = manifest["metadata"]["name"]
    kind = manifest["kind"]

    live = known.get(resource, namespace, name) if known is not None else None
    if live is None:
        live = await api.get(resource, namespace, name)
    if live is not None and live["metadata"].get("deletionTimestamp"):
        # Its finalizers run; it is created afresh on the reconcile its deletion triggers.
        return Outcome(kind, name, "deleting", live)

    if live is None:
        try:
            created = await api.create(manifest)
        except apiserver.ApiError as error:
            if error.status != 409:
                raise
            # Created meanwhile (the cache was behind): fall through to the comparison.
            live = await api.get(resource, namespace, name)
            if live is None:
                raise
        else:
            remember(known, resource, created)
            log.info("child created", kind=kind, name=name, namespace=namespace)
            return Outcome(kind, name, "created", created)

    if manifest["metadata"].get("annotations", {}).get(CREATE_ONLY) == "true":
        return Outcome(kind, name, "unchanged", live)

    patch = merge_patch(live, without(manifest, create_only_fields))
    if not patch:
        return Outcome(kind, name, "unchanged", live)

    patched = await api.patch(resource, namespace, name, patch)
    if patched is None:  # deleted between our read and our write: create it afresh
        created = await api.create(manifest)
        remember(known, resource, created)
        return Outcome(kind, name, "created", created)
    remember(known, resource, patched)
    log.info("child corrected", kind=kind, name=name, namespace=namespace, fields=sorted(patch))
    return Outcome(kind, name, "patched", patched, patch)


def remember(known: cache.Cache | None, resource: str, obj: dict[str, Any]) -> None:
    if known is not None:
        known.seen(resource, None, obj)
