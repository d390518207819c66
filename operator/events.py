"""Kubernetes Events for what the operator did and for what changed in a resource's health.

Events are posted only for something that happened (a child created or corrected, a
condition that flipped), never for a reconcile that found everything in place, so a steady
state posts nothing. `announcements` decides purely; `post` hands them to kopf's poster.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import kopf
import structlog

from archivestream.operator import children, conditions

log = structlog.get_logger("archivestream.operator")


@dataclass(frozen=True)
class Announcement:
    type: str  # "Normal" or "Warning"
    reason: str
    message: str


def _by_type(items: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {item.get("type", ""): item for item in items or []}


def announcements(
    outcomes: Iterable[children.Outcome],
    old: list[dict[str, Any]] | None,
    new: list[dict[str, Any]],
) -> list[Announcement]:
    """The events one reconcile deserves: child writes and condition transitions."""
    result = []
    for outcome in outcomes:
        if outcome.action == "created":
            result.append(
                Announcement("Normal", "Created", f"created {outcome.kind} {outcome.name}")
            )
        elif outcome.action == "patched":
            fields = ", ".join(sorted(_paths(outcome.patch or {})))
            result.append(
                Announcement(
                    "Normal", "Corrected", f"updated {outcome.kind} {outcome.name}: {fields}"
                )
            )

    before, after = _by_type(old), _by_type(new)
    stalled = after.get(conditions.STALLED, {})
    ready = after.get(conditions.READY, {})
    was_stalled = before.get(conditions.STALLED, {})
    was_ready = before.get(conditions.READY, {})
    if stalled.get("status") == "True" and (
        was_stalled.get("status") != "True" or was_stalled.get("reason") != stalled.get("reason")
    ):
        result.append(Announcement("Warning", stalled["reason"], stalled.get("message", "")))
    elif ready.get("status") == "False" and ready.get("reason") not in ("Progressing", None):
        if was_ready.get("reason") != ready.get("reason"):
            result.append(Announcement("Warning", ready["reason"], ready.get("message", "")))
    if ready.get("status") == "True" and was_ready.get("status") != "True":
        result.append(Announcement("Normal", "Ready", ready.get("message", "")))
    return result


def _paths(patch: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for key, value in patch.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and len(paths) < 8:
            paths.extend(_paths(value, path))
        else:
            paths.append(path)
    return paths


def post(body: dict[str, Any], items: Iterable[Announcement]) -> None:
    """Queue the events on the resource through kopf's event poster.

    Outside a running operator (a benchmark calling the reconcile directly) there is no
    poster; the events are logged instead.
    """
    for item in items:
        try:
            if item.type == "Warning":
                kopf.warn(cast(kopf.Body, body), reason=item.reason, message=item.message[:1024])
            else:
                kopf.info(cast(kopf.Body, body), reason=item.reason, message=item.message[:1024])
        except LookupError:
            log.info("event", type=item.type, reason=item.reason, message=item.message)
