"""Drift is corrected: a child deleted by hand comes back, a child edited by hand is put back,
and neither touches the fields the operator does not own."""

from __future__ import annotations

from kube_emulator import (
    CLUSTERS,
    NS,
    cluster_manifest,
    converge,
    running_operator,
)


def workload(op, kind: str, component: str) -> dict:
    for child in op.children(CLUSTERS, NS, "main", kind):
        labels = child["metadata"].get("labels") or {}
        if labels.get("app.kubernetes.io/component") == component:
            return child
    raise AssertionError(f"no {kind} {component}")


async def test_deleted_child_is_restored() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await converge(op, CLUSTERS, "main")
        api = workload(op, "Deployment", "api")
        name = api["metadata"]["name"]

        await op.kubectl.delete("apps/v1/deployments", NS, name)
        assert op.server.live("apps/v1/deployments", NS, name) is None

        restored = await op.eventually(
            lambda: op.server.live("apps/v1/deployments", NS, name), "the API Deployment back"
        )
        assert restored["metadata"]["uid"] != api["metadata"]["uid"]
        assert restored["spec"]["template"] == api["spec"]["template"]
        assert restored["metadata"]["ownerReferences"] == api["metadata"]["ownerReferences"]


async def test_hand_edited_child_is_corrected() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await converge(op, CLUSTERS, "main")
        api = workload(op, "Deployment", "api")
        name = api["metadata"]["name"]
        image = api["spec"]["template"]["spec"]["containers"][0]["image"]

        edited = dict(api["spec"]["template"]["spec"]["containers"][0], image="evil:latest")
        await op.kubectl.patch(
            "apps/v1/deployments",
            NS,
            name,
            {
                "metadata": {"annotations": {"someone.else/note": "kept"}},
                "spec": {"replicas": 7, "template": {"spec": {"containers": [edited]}}},
            },
        )

        def corrected() -> dict | None:
            live = op.server.live("apps/v1/deployments", NS, name)
            ok = live["spec"]["template"]["spec"]["containers"][0]["image"] == image
            return live if ok and live["spec"]["replicas"] == 2 else None

        live = await op.eventually(corrected, "the image and replicas put back")
        # A field the operator never set is left alone.
        assert live["metadata"]["annotations"]["someone.else/note"] == "kept"
        patches = [
            request.data
            for request in op.server.writes()
            if request.method == "PATCH" and request.url.path.endswith(f"/deployments/{name}")
        ]
        ours = patches[1:]  # the first is the hand edit
        assert ours and all(
            "metadata" not in patch or "annotations" not in patch["metadata"] for patch in ours
        )
