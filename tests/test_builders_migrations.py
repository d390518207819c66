"""The migrations Job: `archivestream migrate`, a new Job for a new version or database."""

from __future__ import annotations

from design_examples import CLUSTER, EXTERNAL_CLUSTER, archive, changed

from archivestream.operator import builders
from archivestream.operator.builders import cockroachdb, migrations


def test_job_runs_archivestream_migrate_with_the_database_url() -> None:
    job = migrations.job(archive(EXTERNAL_CLUSTER))
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "ghcr.io/archivestream/archivestream:1.0.0"
    assert container["args"] == ["migrate"]
    assert {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}},
    } in (container["env"])
    assert pod["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 3


def test_managed_database_is_reached_over_verified_tls_with_the_client_certificate() -> None:
    job = migrations.job(archive())
    (container,) = job["spec"]["template"]["spec"]["containers"]
    url = next(item["value"] for item in container["env"] if item["name"] == "DATABASE_URL")
    assert url.startswith(
        "postgresql://archivestream@main-cockroachdb-public.archive.svc.cluster.local:26257/"
    )
    assert "sslmode=verify-full" in url
    volumes = job["spec"]["template"]["spec"]["volumes"]
    assert {
        "name": "database-certs",
        "secret": {"secretName": "main-cockroachdb-client-archivestream", "defaultMode": 0o440},
    } in volumes


def test_a_new_version_is_a_new_job_and_the_same_spec_the_same_job() -> None:
    name = migrations.job_name(archive())
    assert name.startswith("main-migrate-")
    assert migrations.job_name(archive()) == name
    assert migrations.job_name(archive(changed(CLUSTER, "spec.version", "1.1.0"))) != name
    assert migrations.job_name(archive(EXTERNAL_CLUSTER)) != name
    assert migrations.job_name(archive(changed(CLUSTER, "spec.api.replicas", 7))) == name
    assert len(name) <= 63


def test_jobs_are_created_once_and_never_patched() -> None:
    """A Job's pod template is immutable: the write path must leave a live Job alone."""
    init = cockroachdb.init_job(archive())
    job = migrations.job(archive())
    for manifest in (init, job):
        assert manifest["metadata"]["annotations"] == {"archivestream.io/create-only": "true"}
        assert ("spec", "template") in builders.immutable_fields(manifest)


def test_any_change_to_the_jobs_pod_is_a_new_job() -> None:
    always = archive(changed(CLUSTER, "spec.image.pullPolicy", "Always"))
    assert migrations.job_name(always) != migrations.job_name(archive())
    assert migrations.job(always)["metadata"]["name"] == migrations.job_name(always)


def test_immutable_fields_of_a_statefulset_include_its_volume_templates() -> None:
    assert ("spec", "volumeClaimTemplates") in builders.immutable_fields({"kind": "StatefulSet"})
    assert builders.immutable_fields({"kind": "HorizontalPodAutoscaler"}) == []
