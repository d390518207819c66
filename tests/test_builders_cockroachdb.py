"""The managed CockroachDB: secure StatefulSet, Services, PDB, init Job, volumes."""

from __future__ import annotations

from typing import Any

from design_examples import CLUSTER, EXTERNAL_CLUSTER, archive, changed

from archivestream.operator import builders
from archivestream.operator.builders import cockroachdb, rollout


def _container(statefulset: dict[str, Any]) -> dict[str, Any]:
    return statefulset["spec"]["template"]["spec"]["containers"][0]


def test_statefulset_starts_secure_nodes_that_join_each_other() -> None:
    statefulset = cockroachdb.statefulset(archive(), secrets={})
    args = _container(statefulset)["args"]

    assert statefulset["spec"]["replicas"] == 3
    assert args[0] == "start"
    assert "--certs-dir=/cockroach/cockroach-certs" in args
    assert not any(arg.startswith("--insecure") for arg in args)
    join = next(arg for arg in args if arg.startswith("--join="))
    assert join.removeprefix("--join=").split(",") == [
        f"main-cockroachdb-{i}.main-cockroachdb.archive.svc.cluster.local:26257" for i in range(3)
    ]
    assert statefulset["spec"]["serviceName"] == "main-cockroachdb"
    assert statefulset["spec"]["podManagementPolicy"] == "Parallel"


def test_more_replicas_when_asked() -> None:
    cluster = archive(changed(CLUSTER, "spec.database.managed.replicas", 5))
    assert cockroachdb.statefulset(cluster, secrets={})["spec"]["replicas"] == 5


def test_certificates_are_projected_under_the_names_cockroach_expects() -> None:
    pod = cockroachdb.statefulset(archive(), secrets={})["spec"]["template"]["spec"]
    projected = next(v for v in pod["volumes"] if v["name"] == "secrets")["projected"]
    paths = {item["path"] for source in projected["sources"] for item in source["secret"]["items"]}
    assert paths == {"ca.crt", "client.root.crt", "client.root.key", "node.crt", "node.key"}
    copy = pod["initContainers"][0]
    assert "chmod 0600" in copy["args"][0]


def test_nodes_spread_across_zones_and_hosts() -> None:
    pod = cockroachdb.statefulset(archive(), secrets={})["spec"]["template"]["spec"]
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "database"
    anti = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"


def test_volumes_follow_the_deletion_policy() -> None:
    kept = cockroachdb.statefulset(archive(), secrets={})["spec"]
    assert kept["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    (claim,) = kept["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "100Gi"

    deleting = archive(changed(CLUSTER, "spec.deletionPolicy", "Delete"))
    spec = cockroachdb.statefulset(deleting, secrets={})["spec"]
    assert spec["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Delete"


def test_storage_class_is_passed_when_named() -> None:
    cluster = archive(changed(CLUSTER, "spec.database.managed.storageClassName", "fast-ssd"))
    (claim,) = cockroachdb.statefulset(cluster, secrets={})["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "fast-ssd"


def test_headless_service_publishes_not_ready_nodes_and_public_service_does_not() -> None:
    headless = cockroachdb.headless_service(archive())
    public = cockroachdb.public_service(archive())
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    assert public["metadata"]["name"] == "main-cockroachdb-public"
    assert "publishNotReadyAddresses" not in public["spec"]
    assert {p["port"] for p in public["spec"]["ports"]} == {26257, 8080}


def test_disruption_budget_keeps_quorum() -> None:
    budget = cockroachdb.pod_disruption_budget(archive())
    assert budget["spec"]["maxUnavailable"] == 1
    statefulset = cockroachdb.statefulset(archive(), secrets={})
    assert budget["spec"]["selector"] == statefulset["spec"]["selector"]


def test_init_job_initialises_once_and_creates_the_app_user() -> None:
    job = cockroachdb.init_job(archive())
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "cockroach init --certs-dir=/cockroach/cockroach-certs" in script
    assert "--host=main-cockroachdb-0.main-cockroachdb.archive.svc.cluster.local:26257" in script
    assert "already been initialized" in script
    assert "CREATE USER IF NOT EXISTS archivestream" in script
    projected = job["spec"]["template"]["spec"]["volumes"][0]["projected"]
    names = [source["secret"]["name"] for source in projected["sources"]]
    assert names == ["main-cockroachdb-client-root"], "the init Job needs no node key"


def test_a_new_node_certificate_rolls_the_nodes() -> None:
    before = {"main-cockroachdb-node": {"tls.crt": "b2xk"}}
    after = {"main-cockroachdb-node": {"tls.crt": "bmV3"}}
    unrelated = {**before, "main-cockroachdb-client-archivestream": {"tls.crt": "eA=="}}

    def config_hash(secrets: rollout.SecretData) -> str:
        template = cockroachdb.statefulset(archive(), secrets)["spec"]["template"]
        return template["metadata"]["annotations"][rollout.CONFIG_HASH]

    assert config_hash(before) != config_hash(after)
    assert config_hash(before) == config_hash(unrelated)


def test_external_database_has_no_cockroachdb() -> None:
    children = builders.cluster_children(archive(EXTERNAL_CLUSTER), secrets={})
    assert not [c for c in children if "cockroachdb" in c["metadata"]["name"]]
