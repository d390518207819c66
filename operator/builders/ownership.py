"""Owner references, and which parts of a child the operator may write after creating it.

The garbage collector deletes children with their owner, and kopf finds the owner of a
changed child through them. `controller: true` marks the operator as the one writer;
`blockOwnerDeletion` keeps the owner visible until its children are gone when deleted in
the foreground.

Some fields cannot be changed once an object exists (a Job's pod template, a workload's
selector, a StatefulSet's volume templates): a patch of them is refused by the API server.
`immutable_fields` names them per kind, and the CREATE_ONLY annotation marks a child that
is created and then left alone.
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


# Understood by the operator's write path (operator/children.py): created, never patched.
CREATE_ONLY = "archivestream.io/create-only"

_IMMUTABLE: dict[str, list[tuple[str, ...]]] = {
    "Deployment": [("spec", "selector")],
    "StatefulSet": [
        ("spec", "selector"),
        ("spec", "serviceName"),
        ("spec", "podManagementPolicy"),
        ("spec", "volumeClaimTemplates"),
    ],
    "Job": [("spec", "template"), ("spec", "selector")],
    "PodDisruptionBudget": [],
    "Service": [("spec", "clusterIP")],
}


def immutable_fields(manifest: dict[str, Any]) -> list[tuple[str, ...]]:
    """Paths of `manifest` that the API server refuses to change after creation."""
    return list(_IMMUTABLE.get(manifest.get("kind", ""), []))


def create_only(manifest: dict[str, Any]) -> dict[str, Any]:
    """`manifest` marked to be created when absent and never patched afterwards."""
    result = copy.deepcopy(manifest)
    result.setdefault("metadata", {}).setdefault("annotations", {})[CREATE_ONLY] = "true"
    return result
