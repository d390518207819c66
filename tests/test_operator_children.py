"""An ArchiveCluster and a CrawlRegion become owned children, and their status turns Ready
once the children report ready."""

from __future__ import annotations

from kube_emulator import converge, running_operator

NS = "archive"
CLUSTERS = "archivestream.io/v1alpha1/archiveclusters"
REGIONS = "archivestream.io/v1alpha1/crawlregions"

CLUSTER = {
    "apiVersion": "archivestream.io/v1alpha1",
    "kind": "ArchiveCluster",
    "metadata": {"name": "main", "namespace": NS, "labels": {"team": "archive"}},
    "spec": {
        "version": "1.0.0",
        "database": {"managed": {"replicas": 3, "storage": "10Gi"}},
        "search": {"managed": {"replicas": 1, "storage": "10Gi"}},
        "api": {"replicas": 2},
    },
}
REGION = {
    "apiVersion": "archivestream.io/v1alpha1",
    "kind": "CrawlRegion",
    "metadata": {"name": "us-east-1", "namespace": NS, "labels": {"team": "archive"}},
    "spec": {
        "clusterRef": {"name": "main"},
        "region": "us-east-1",
        "storage": {"s3": {"bucket": "warc-us-east-1"}},
        "workers": {"min": 2, "max": 20, "targetFrontierDepthPerWorker": 10000},
    },
}


async def test_children_created_owned_and_status_turns_ready() -> None:
    async with running_operator() as op:
        await op.kubectl.create(CLUSTER)
        await op.kubectl.create(REGION)
        cluster = op.server.live(CLUSTERS, NS, "main")
        region = op.server.live(REGIONS, NS, "us-east-1")

        await op.condition_true(CLUSTERS, NS, "main", "Reconciling")
        owned = await op.eventually(
            lambda: (
                len(op.children_of(NS, cluster["metadata"]["uid"])) >= 5
                and op.children_of(NS, cluster["metadata"]["uid"])
            ),
            "the cluster's children",
        )
        for child in owned:
            assert "team" not in (child["metadata"].get("labels") or {})
            (ref,) = child["metadata"]["ownerReferences"]
            assert ref["kind"] == "ArchiveCluster" and ref["controller"] is True
        assert op.condition(CLUSTERS, NS, "main", "Ready")["status"] == "False"

        await converge(op, CLUSTERS, "main")
        await op.eventually(
            lambda: op.children_of(NS, region["metadata"]["uid"]), "the region's children"
        )
        await converge(op, REGIONS, "us-east-1")

        def ready(resource: str, name: str) -> bool:
            return op.condition(resource, NS, name, "Ready").get("status") == "True"

        await op.eventually(lambda: ready(REGIONS, "us-east-1"), "the region Ready")
        await op.eventually(
            lambda: (
                ready(CLUSTERS, "main")
                and op.status(CLUSTERS, NS, "main").get("regions") == {"ready": 1, "total": 1}
            ),
            "the cluster Ready with its region counted",
        )
        status = op.status(CLUSTERS, NS, "main")
        generation = op.server.live(CLUSTERS, NS, "main")["metadata"]["generation"]
        assert status["observedGeneration"] == generation
        for condition in status["conditions"]:
            assert condition["observedGeneration"] == generation
        assert op.condition(CLUSTERS, NS, "main", "Reconciling")["status"] == "False"
        assert op.condition(CLUSTERS, NS, "main", "Stalled")["status"] == "False"
        assert status["database"] == {"ready": 3, "total": 3}
        assert status["api"] == {"ready": 2, "total": 2}
        region_status = op.status(REGIONS, NS, "us-east-1")
        assert region_status["workers"]["desired"] == 2
        assert region_status["workers"]["current"] == 2
        assert region_status["frontierDepth"] == 3000
