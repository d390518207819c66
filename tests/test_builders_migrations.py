"""The migrations Job: `archivestream migrate`, a new Job for a new version or database."""

from __future__ import annotations

from design_examples import CLUSTER, EXTERNAL_CLUSTER, archive, changed

from archivestream.operator.builders import migrations


def test_job_runs_archivestream_migrate_with_the_database_url() -> None:
    job = migrations.job(archive(EXTERNAL_CLUSTER), secrets={})
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
    job = migrations.job(archive(), secrets={})
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
