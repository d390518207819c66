"""A child the API server refuses (an immutable field changed, a quota, a policy) stalls its
resource with the API server's own words, and the operator keeps running."""

from __future__ import annotations

from kube_emulator import CLUSTERS, NS, cluster_manifest, converge, running_operator


async def test_refused_child_stalls_the_cluster() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await converge(op, CLUSTERS, "main")

        # Volume templates of a StatefulSet cannot change; a real API server says 422.
        refusal = {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "code": 422,
            "reason": "Invalid",
            "message": "StatefulSet.apps is invalid: spec: Forbidden: updates to statefulset "
            "spec for fields other than 'replicas', 'template' are forbidden",
        }
        path = f"/apis/apps/v1/namespaces/{NS}/statefulsets/main-cockroachdb"
        op.server[f"patch {path}"] << 422 << refusal
        await op.kubectl.patch(
            CLUSTERS, NS, "main", {"spec": {"database": {"managed": {"storage": "200Gi"}}}}
        )

        condition = await op.condition_true(CLUSTERS, NS, "main", "Stalled")
        assert condition["reason"] == "ChildRefused"
        assert "main-cockroachdb" in condition["message"]
        assert "Forbidden" in condition["message"]
        assert condition["observedGeneration"] == 2
