"""Owner references: every child names the custom resource it belongs to.

The garbage collector deletes children with their owner, and kopf finds the owner of a
changed child through them. `controller: true` marks the operator as the one writer;
`blockOwnerDeletion` keeps the owner visible until its children are gone when deleted in
the foreground.
"""

from __future__ import annotations

import copy
from typing import Any


def reference(*, api_version: str, kind: str, name: str, uid: str) -> dict[str, Any]:
    """An ownerReferences entry for the owner with this identity."""
    if not uid:
        raise ValueError(f"{kind} {name} has no uid yet; read it back from the API first")
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned(
    manifest: dict[str, Any], *, api_version: str, kind: str, name: str, uid: str
) -> dict[str, Any]:
    """A copy of `manifest` owned by the given resource (any other controller replaced)."""
    result = copy.deepcopy(manifest)
    metadata = result.setdefault("metadata", {})
    others = [
        ref
        for ref in metadata.get("ownerReferences", [])
        if not ref.get("controller") and ref.get("uid") != uid
    ]
    metadata["ownerReferences"] = [
        *others,
        reference(api_version=api_version, kind=kind, name=name, uid=uid),
    ]
    return result
