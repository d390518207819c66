"""Builders of every child object of ArchiveCluster and CrawlRegion: pure functions, spec
in, manifests (dicts) out. The kopf handlers call these entry points:

    cluster = models.ArchiveCluster.from_body(body)       # SpecError when unservable
    names = builders.secrets_to_read(cluster)              # read these Secrets' `data`
    problems = builders.secret_problems(builders.required_secrets(cluster), secrets)
                                                           # non-empty: Stalled=True
    for secret in builders.generated_secrets(cluster, existing=secrets):
        ...create (or replace) it: certificates and the OpenSearch admin password
    children = builders.cluster_children(
        cluster, secrets=secrets, database_ready=..., schema_ready=...
    )
    region_children = builders.region_children(
        region, cluster, secrets=secrets, keda_available=..., version=...
    )

`secrets` maps a Secret's name to its `data` (base64 values as the API returns them) or
None when absent; its content goes into each workload's config-hash annotation, so a
changed Secret rolls the pods that use it. Every child returned carries an owner
reference to its resource and the labels of `labels` (never the resource's own labels).
The returned list is the whole desired set: a child of the resource that is not in it
(an HPA after a switch to KEDA, an old migrations Job) is no longer wanted.

Staging: `database_ready=False` leaves out the migrations Job (the database is not up);
`schema_ready=False` leaves out the API (the migrations Job has not completed). The
crawlers follow the same gate: `region_children(..., version=)` runs the image of the
version whose migrations have completed (the ArchiveCluster's `status.version`), not the
spec's, so an upgrade rolls them only once the new schema is in place. The
migrations Job of the current spec is `migrations.job_name(cluster)`; the HPA whose status
gives a region's desired and current workers and frontier depth is
`crawler.name(region, cluster)` for both HPA and KEDA modes (`autoscaling.read_status`).
A region's pod selector for `status.workers.selector` is `region_selector(region, cluster)`.

Writing: a child annotated `archivestream.io/create-only: "true"` (the Jobs) is created when
absent and never patched; `immutable_fields(manifest)` names the paths the API server
refuses to change after creation (a StatefulSet's volume templates, selectors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archivestream.operator.builders import (
    api,
    autoscaling,
    certificates,
    cockroachdb,
    crawler,
    labels,
    migrations,
    opensearch,
    ownership,
    rollout,
    workload,
)
from archivestream.operator.models import API_VERSION, ArchiveCluster, CrawlRegion

immutable_fields = ownership.immutable_fields

__all__ = [
    "SecretNeed",
    "cluster_children",
    "generated_secret_names",
    "generated_secrets",
    "immutable_fields",
    "region_children",
    "region_selector",
    "required_secrets",
    "secret_problems",
    "secrets_to_read",
]


@dataclass(frozen=True)
class SecretNeed:
    """A Secret the user must provide, and the keys it must hold."""

    name: str
    keys: tuple[str, ...]
    why: str


def _owned(manifest: dict[str, Any], owner: ArchiveCluster | CrawlRegion) -> dict[str, Any]:
    return ownership.owned(
        manifest, api_version=API_VERSION, kind=owner.kind, name=owner.name, uid=owner.uid
    )


# --- Secrets ---------------------------------------------------------------------------


def required_secrets(
    cluster: ArchiveCluster, region: CrawlRegion | None = None
) -> list[SecretNeed]:
    """The user's Secrets the cluster's (or a region's) workloads read."""
    needs = []
    database, search, api_spec = cluster.spec.database, cluster.spec.search, cluster.spec.api
    if database.external is not None:
        ref = database.external.url_secret_ref
        needs.append(SecretNeed(ref.name, (ref.key,), "spec.database.external.urlSecretRef"))
    if search.external is not None and search.external.credentials_secret_ref is not None:
        creds = search.external.credentials_secret_ref
        needs.append(
            SecretNeed(
                creds.name,
                (creds.username_key, creds.password_key),
                "spec.search.external.credentialsSecretRef",
            )
        )
    if api_spec.api_keys_secret_ref is not None and region is None:
        ref = api_spec.api_keys_secret_ref
        needs.append(SecretNeed(ref.name, (ref.key,), "spec.api.apiKeysSecretRef"))
    override = region.spec.storage.s3 if region is not None else None
    s3 = workload.effective_s3(cluster, override)
    if s3.credentials_secret_ref is not None:
        ref3 = s3.credentials_secret_ref
        needs.append(
            SecretNeed(
                ref3.name,
                (ref3.access_key_id_key, ref3.secret_access_key_key),
                "spec.storage.s3.credentialsSecretRef",
            )
        )
    return needs


def secret_problems(
    needs: Sequence[SecretNeed], secrets: Mapping[str, Mapping[str, str] | None]
) -> list[str]:
    """One line per missing Secret or key, saying where it is named; empty when all is there."""
    problems = []
    for need in needs:
        data = secrets.get(need.name)
        if data is None:
            problems.append(f"Secret {need.name} (named by {need.why}) does not exist")
            continue
        for key in need.keys:
            if key not in data:
                problems.append(f"Secret {need.name} (named by {need.why}) has no key {key!r}")
    return problems


def generated_secret_names(cluster: ArchiveCluster) -> list[str]:
    """The Secrets the operator generates for managed services."""
    return certificates.secret_names(cluster) + opensearch.secret_names(cluster)


def secrets_to_read(cluster: ArchiveCluster, region: CrawlRegion | None = None) -> list[str]:
    """Every Secret whose data the builders want in `secrets`, generated or the user's."""
    names = generated_secret_names(cluster) + [n.name for n in required_secrets(cluster, region)]
    return list(dict.fromkeys(names))


def generated_secrets(
    cluster: ArchiveCluster, *, existing: Mapping[str, Mapping[str, str] | None]
) -> list[dict[str, Any]]:
    """Secrets to write so that every generated Secret exists. Not pure: makes keys.

    Empty when all exist. With deletionPolicy Retain they carry no owner reference and
    stay with the volumes when the cluster is deleted: the data on a kept OpenSearch
    volume only opens with the admin password it was created with.
    """
    written = certificates.missing_secrets(cluster, existing)
    for name in opensearch.secret_names(cluster):
        if not existing.get(name):
            written.append(opensearch.admin_secret(cluster, opensearch.generate_password()))
    if cluster.spec.deletion_policy == "Delete":
        written = [_owned(secret, cluster) for secret in written]
    return written


# --- children ----------------------------------------------------------------------------


def cluster_children(
    cluster: ArchiveCluster,
    *,
    secrets: rollout.SecretData,
    database_ready: bool = True,
    schema_ready: bool = True,
) -> list[dict[str, Any]]:
    """Every desired child of an ArchiveCluster, owned by it (generated Secrets aside)."""
    children: list[dict[str, Any]] = []
    if cluster.spec.database.managed is not None:
        children += cockroachdb.children(cluster, secrets)
    if cluster.spec.search.managed is not None:
        children += opensearch.children(cluster, secrets)
    if database_ready:
        children.append(migrations.job(cluster))
    if database_ready and schema_ready:
        children += api.children(cluster, secrets)
    return [_owned(child, cluster) for child in children]


def region_children(
    region: CrawlRegion,
    cluster: ArchiveCluster,
    *,
    secrets: rollout.SecretData,
    keda_available: bool,
    version: str | None = None,
) -> list[dict[str, Any]]:
    """The crawler Deployment of a region and its autoscaler, owned by the CrawlRegion.

    `version` is the one whose migrations have completed (the cluster's `status.version`);
    the crawlers run it, whatever `spec.version` already says. Raises SpecError when
    neither the region nor its cluster names an S3 bucket.
    """
    if version is not None and version != cluster.spec.version:
        cluster = cluster.model_copy(
            update={"spec": cluster.spec.model_copy(update={"version": version})}
        )
    children = [crawler.deployment(region, cluster, secrets)]
    scaler = autoscaling.autoscaler(region, cluster, keda_available=keda_available)
    if scaler is not None:
        children.append(scaler)
    return [_owned(child, region) for child in children]


def region_selector(region: CrawlRegion, cluster: ArchiveCluster) -> str:
    """The label selector string of a region's crawler pods (`status.workers.selector`)."""
    return labels.selector_string(crawler.selector(region, cluster))
