"""Conditions with kstatus semantics, computed purely from the children's own status.

Three conditions, each with its own `observedGeneration`:
- `Reconciling=True` while any child has not converged (a StatefulSet short of ready
  replicas, a Deployment still rolling, a Job still running, an autoscaler its controller has
  not yet seen), or while a blocker that may pass is being retried;
- `Stalled=True` only for an error that waiting will not fix (a missing Secret, an unknown
  ArchiveCluster, a failed Job), with its reason and message;
- `Ready=True` once everything converged; `Ready=False` carries the reason otherwise.

`lastTransitionTime` moves only when a condition's status flips, so a steady state writes
the same conditions again and again, and `children.py`-style comparison writes nothing.
Argo CD and Flux read these conditions (see `operator/health/`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"


@dataclass(frozen=True)
class ChildState:
    """How far one child is, judged on its status as written by its controller."""

    kind: str
    name: str
    converged: bool
    failed: bool = False
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Blocker:
    """Why the resource cannot be served now.

    `stalled`: waiting will not fix it (a user must act). `waiting`: it may pass by itself
    (an unreachable database) and is retried.
    """

    kind: Literal["stalled", "waiting"]
    reason: str
    message: str


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _generation_seen(child: dict[str, Any]) -> bool:
    generation = _int(child.get("metadata", {}).get("generation"), 0)
    observed = _int(child.get("status", {}).get("observedGeneration"), -1)
    return observed >= generation


def _condition_true(child: dict[str, Any], kind: str) -> bool:
    return any(
        condition.get("type") == kind and condition.get("status") == "True"
        for condition in child.get("status", {}).get("conditions", []) or []
    )


def child_state(child: dict[str, Any]) -> ChildState:
    """Judge one live child by its own status, never by its mere existence."""
    kind = child.get("kind", "")
    name = child.get("metadata", {}).get("name", "")
    spec = child.get("spec", {}) or {}
    status = child.get("status", {}) or {}

    if kind == "StatefulSet":
        want = _int(spec.get("replicas"), 1)
        ready = _int(status.get("readyReplicas"))
        updated = _int(status.get("updatedReplicas"), ready)
        revision_done = status.get("currentRevision", "") == status.get("updateRevision", "")
        done = _generation_seen(child) and ready >= want and updated >= want and revision_done
        return ChildState(kind, name, done, detail=f"{ready}/{want} ready")

    if kind == "Deployment":
        want = _int(spec.get("replicas"), 1)
        available = _int(status.get("availableReplicas"))
        updated = _int(status.get("updatedReplicas"))
        total = _int(status.get("replicas"), updated)
        done = (
            _generation_seen(child)
            and updated >= want
            and available >= want
            and total <= updated  # no pod of an older template left
        )
        return ChildState(kind, name, done, detail=f"{available}/{want} available")

    if kind == "Job":
        if _int(status.get("succeeded")) >= 1 or _condition_true(child, "Complete"):
            return ChildState(kind, name, True, detail="complete")
        if _condition_true(child, "Failed"):
            return ChildState(kind, name, False, failed=True, detail="failed")
        return ChildState(kind, name, False, detail="running")

    if kind == "HorizontalPodAutoscaler":
        seen = "desiredReplicas" in status and "currentReplicas" in status
        # observedGeneration is optional in an HPA's status; when present it must be current.
        done = seen and ("observedGeneration" not in status or _generation_seen(child))
        detail = f"{status.get('currentReplicas', '?')}->{status.get('desiredReplicas', '?')}"
        return ChildState(kind, name, done, detail=detail)

    if kind == "ScaledObject":
        return ChildState(kind, name, _condition_true(child, "Ready"), detail="keda")

    # Services, Secrets, ConfigMaps, PodDisruptionBudgets: nothing to wait for once stored.
    return ChildState(kind, name, True)


def _condition(
    kind: str, status: bool, reason: str, message: str, generation: int, now: str
) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": now,
    }


def _keep_transition_time(
    new: list[dict[str, Any]], old: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    previous = {condition.get("type"): condition for condition in old or []}
    for condition in new:
        before = previous.get(condition["type"])
        if before is not None and before.get("status") == condition["status"]:
            condition["lastTransitionTime"] = before.get(
                "lastTransitionTime", condition["lastTransitionTime"]
            )
    return new


def compute(
    *,
    generation: int,
    children: list[ChildState],
    blocker: Blocker | None = None,
    old: list[dict[str, Any]] | None = None,
    now: datetime.datetime | None = None,
) -> list[dict[str, Any]]:
    """The Ready, Reconciling and Stalled conditions of a resource at this generation."""
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    failed = [child for child in children if child.failed]
    pending = [child for child in children if not child.converged and not child.failed]

    if blocker is None and failed:
        names = ", ".join(f"{child.label} {child.detail}" for child in failed)
        blocker = Blocker("stalled", "ChildFailed", f"{names}; see its pods' logs, then fix it")

    if blocker is not None and blocker.kind == "stalled":
        conditions = [
            _condition(READY, False, blocker.reason, blocker.message, generation, stamp),
            _condition(RECONCILING, False, blocker.reason, blocker.message, generation, stamp),
            _condition(STALLED, True, blocker.reason, blocker.message, generation, stamp),
        ]
    elif blocker is not None:
        message = f"{blocker.message} (retrying)"
        conditions = [
            _condition(READY, False, blocker.reason, message, generation, stamp),
            _condition(RECONCILING, True, blocker.reason, message, generation, stamp),
            _condition(STALLED, False, blocker.reason, message, generation, stamp),
        ]
    elif pending:
        waiting = ", ".join(f"{child.label} ({child.detail})" for child in pending)
        message = f"waiting for {waiting}"
        conditions = [
            _condition(READY, False, "Progressing", message, generation, stamp),
            _condition(RECONCILING, True, "Progressing", message, generation, stamp),
            _condition(STALLED, False, "Progressing", message, generation, stamp),
        ]
    else:
        message = f"{len(children)} children converged"
        conditions = [
            _condition(READY, True, "Ready", message, generation, stamp),
            _condition(RECONCILING, False, "Ready", message, generation, stamp),
            _condition(STALLED, False, "Ready", message, generation, stamp),
        ]
    return _keep_transition_time(conditions, old)


def is_true(conditions: list[dict[str, Any]] | None, kind: str) -> bool:
    """Whether a condition of that type is True in a list of conditions."""
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions or [])
