"""Conditions are computed purely from children's own status, with kstatus semantics."""

from __future__ import annotations

import datetime

from archivestream.operator import conditions

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(hours=1)


def by_type(items: list[dict]) -> dict[str, dict]:
    return {item["type"]: item for item in items}


def statefulset(replicas: int, ready: int, generation: int = 1, observed: int = 1) -> dict:
    return {
        "kind": "StatefulSet",
        "metadata": {"name": "db", "generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "readyReplicas": ready,
            "updatedReplicas": ready,
        },
    }


def test_statefulset_is_judged_on_ready_replicas_and_observed_generation() -> None:
    assert not conditions.child_state(statefulset(3, 2)).converged
    assert conditions.child_state(statefulset(3, 3)).converged
    assert not conditions.child_state(statefulset(3, 3, generation=2, observed=1)).converged
    assert not conditions.child_state({**statefulset(3, 3), "status": {}}).converged


def test_deployment_waits_for_old_pods_to_go() -> None:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "api", "generation": 2},
        "spec": {"replicas": 2},
        "status": {
            "observedGeneration": 2,
            "replicas": 3,
            "updatedReplicas": 2,
            "availableReplicas": 2,
        },
    }
    assert not conditions.child_state(deployment).converged
    deployment["status"]["replicas"] = 2
    assert conditions.child_state(deployment).converged


def test_job_and_autoscaler_states() -> None:
    job = {"kind": "Job", "metadata": {"name": "migrate"}, "status": {}}
    assert not conditions.child_state(job).converged
    failed = {**job, "status": {"conditions": [{"type": "Failed", "status": "True"}]}}
    assert conditions.child_state(failed).failed
    assert conditions.child_state({**job, "status": {"succeeded": 1}}).converged
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "c"}, "status": {}}
    assert not conditions.child_state(hpa).converged
    hpa["status"] = {"currentReplicas": 2, "desiredReplicas": 3}
    assert conditions.child_state(hpa).converged


def test_progress_then_ready_keeps_transition_times() -> None:
    pending = [conditions.child_state(statefulset(3, 1))]
    first = conditions.compute(generation=1, children=pending, now=T0)
    assert by_type(first)["Reconciling"]["status"] == "True"
    assert by_type(first)["Ready"]["status"] == "False"
    assert "db" in by_type(first)["Ready"]["message"]

    done = [conditions.child_state(statefulset(3, 3))]
    second = conditions.compute(generation=1, children=done, old=first, now=T1)
    assert by_type(second)["Ready"]["status"] == "True"
    assert by_type(second)["Ready"]["lastTransitionTime"] == "2026-01-01T01:00:00Z"
    # Stalled stayed False: its transition time is kept.
    assert by_type(second)["Stalled"]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert all(c["observedGeneration"] == 1 for c in second)

    again = conditions.compute(generation=1, children=done, old=second, now=T1 + (T1 - T0))
    assert again == second  # nothing changed, nothing to write


def test_blockers() -> None:
    stalled = conditions.compute(
        generation=3,
        children=[],
        blocker=conditions.Blocker("stalled", "SecretMissing", "Secret s3 does not exist"),
        now=T0,
    )
    assert by_type(stalled)["Stalled"]["status"] == "True"
    assert by_type(stalled)["Reconciling"]["status"] == "False"
    assert by_type(stalled)["Ready"]["reason"] == "SecretMissing"

    waiting = conditions.compute(
        generation=3,
        children=[],
        blocker=conditions.Blocker("waiting", "DatabaseUnreachable", "no answer"),
        now=T0,
    )
    assert by_type(waiting)["Stalled"]["status"] == "False"
    assert by_type(waiting)["Ready"]["status"] == "False"
    assert by_type(waiting)["Reconciling"]["status"] == "True"


def test_a_failed_job_stalls() -> None:
    job = {
        "kind": "Job",
        "metadata": {"name": "migrate"},
        "status": {"conditions": [{"type": "Failed", "status": "True"}]},
    }
    result = conditions.compute(generation=1, children=[conditions.child_state(job)], now=T0)
    assert by_type(result)["Stalled"]["status"] == "True"
    assert "migrate" in by_type(result)["Stalled"]["message"]
