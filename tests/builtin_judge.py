"""Judge manifests of Kubernetes' built-in kinds with `kubernetes-validate --strict`.

The schemas ship with the package (offline). A manifest is judged against the oldest
Kubernetes the chart supports (1.29, the first with CEL rules in CRDs) and the newest the
package knows, in strict mode, so a misspelt or unknown field fails. Custom resources have
no schema here; `is_builtin` tells them apart, and tests/crd_judge.py judges ours.
"""

from __future__ import annotations

from typing import Any

from kubernetes_validate import utils

OLDEST = "1.29.0"

# API groups of built-in kinds; anything else (archivestream.io, monitoring.coreos.com,
# kopf.dev, argoproj.io, fluxcd.io...) is a custom resource.
_BUILTIN_GROUPS = {
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apps",
    "autoscaling",
    "batch",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
}


def is_builtin(manifest: dict[str, Any]) -> bool:
    group, _, _ = manifest.get("apiVersion", "").rpartition("/")
    return group in _BUILTIN_GROUPS


def problems(manifest: dict[str, Any]) -> list[str]:
    """What kubernetes-validate --strict finds wrong, for the oldest and newest version."""
    found = []
    for version in (OLDEST, utils.latest_version()):
        try:
            utils.validate(manifest, version, strict=True)
        except utils.ValidationError as error:
            where = ".".join(str(part) for part in error.path) or "(root)"
            found.append(
                f"{manifest['kind']}/{_name(manifest)} on {version}: {where}: {error.message}"
            )
        except utils.SchemaNotFoundError as error:
            found.append(f"{manifest['kind']}/{_name(manifest)}: {error.message}")
    return found


def _name(manifest: dict[str, Any]) -> str:
    return str((manifest.get("metadata") or {}).get("name", "?"))
