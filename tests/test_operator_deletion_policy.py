"""Deleting an ArchiveCluster honours spec.deletionPolicy: Retain keeps the StatefulSets'
volumes (the default), Delete removes them through the operator's finalizer."""

from __future__ import annotations

from kube_emulator import CLUSTERS, NS, cluster_manifest, converge, running_operator

PVCS = "v1/persistentvolumeclaims"


def claims(op) -> set[str]:
    return op.server.names(PVCS, NS)


async def make_volumes(op) -> set[str]:
    """Create the claims the StatefulSet controller would make from the claim templates."""
    made = set()
    for child in op.children(CLUSTERS, NS, "main", "StatefulSet"):
        for template in child["spec"].get("volumeClaimTemplates", []):
            for ordinal in range(child["spec"]["replicas"]):
                name = f"{template['metadata']['name']}-{child['metadata']['name']}-{ordinal}"
                await op.kubectl.create(
                    {
                        "apiVersion": "v1",
                        "kind": "PersistentVolumeClaim",
                        "metadata": {"name": name, "namespace": NS},
                        "spec": template.get("spec", {}),
                    }
                )
                made.add(name)
    # Someone else's claim in the same namespace is never touched.
    await op.kubectl.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data-other-app-0", "namespace": NS},
            "spec": {},
        }
    )
    return made


async def delete_cluster(op) -> None:
    await op.kubectl.delete(CLUSTERS, NS, "main")
    await op.eventually(lambda: op.server.live(CLUSTERS, NS, "main") is None, "the cluster gone")


async def test_retain_keeps_the_volumes() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest())
        await converge(op, CLUSTERS, "main")
        made = await make_volumes(op)
        assert len(made) == 4  # three CockroachDB nodes, one OpenSearch node

        await delete_cluster(op)
        assert made | {"data-other-app-0"} <= claims(op)


async def test_delete_removes_the_volumes() -> None:
    async with running_operator() as op:
        await op.kubectl.create(cluster_manifest(deletionPolicy="Delete"))
        await converge(op, CLUSTERS, "main")
        made = await make_volumes(op)
        assert len(made) == 4

        await delete_cluster(op)
        assert not made & claims(op)
        assert "data-other-app-0" in claims(op)
