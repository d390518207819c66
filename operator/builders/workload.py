"""What every archivestream container shares: image, environment, volumes and security.

The API, the crawler workers and the migrations Job run the same image with a different
subcommand, and reach the database, the search engine and S3 the same way. This module
says how, once: DATABASE_URL from the managed CockroachDB's client certificate or from
the external database's Secret, OPENSEARCH_URL with credentials from a Secret, the S3
settings merged from the cluster's defaults and the region's overrides.
"""

from __future__ import annotations

from typing import Any

from archivestream.operator.builders import certificates, naming
from archivestream.operator.models import ArchiveCluster, Resources, S3Storage, SpecError

DATABASE_CERTS_DIR = "/etc/archivestream/database-certs"
DATA_DIR = "/data"
COCKROACH_SQL_PORT = 26257
OPENSEARCH_PORT = 9200
# The UID the archivestream image runs as (Dockerfile); set here so the kubelet can verify
# runAsNonRoot and group-readable Secret files work through fsGroup.
APP_UID = 10001


def image(cluster: ArchiveCluster) -> str:
    return f"{cluster.spec.image.repository}:{cluster.spec.version}"


def resources(spec: Resources | None, default: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The spec's requests and limits, each falling back to the component's default."""
    result = dict(default)
    if spec is not None:
        if spec.requests is not None:
            result["requests"] = dict(spec.requests)
        if spec.limits is not None:
            result["limits"] = dict(spec.limits)
    return result


def service_host(service: str, cluster: ArchiveCluster) -> str:
    return f"{service}.{cluster.namespace}.svc.{cluster.spec.cluster_domain}"


# --- environment -------------------------------------------------------------------------


def _from_secret(env: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def database_env(cluster: ArchiveCluster) -> list[dict[str, Any]]:
    """DATABASE_URL: the managed CockroachDB over verified TLS, or the external URL's Secret."""
    external = cluster.spec.database.external
    if external is not None:
        ref = external.url_secret_ref
        return [_from_secret("DATABASE_URL", ref.name, ref.key)]
    host = service_host(naming.cockroachdb_public(cluster.name), cluster)
    user = certificates.APP_USER
    url = (
        f"postgresql://{user}@{host}:{COCKROACH_SQL_PORT}/archivestream"
        f"?sslmode=verify-full&sslrootcert={DATABASE_CERTS_DIR}/ca.crt"
        f"&sslcert={DATABASE_CERTS_DIR}/tls.crt&sslkey={DATABASE_CERTS_DIR}/tls.key"
    )
    return [{"name": "DATABASE_URL", "value": url}]


def _with_credentials(url: str) -> str:
    """`url` with the credentials variables in its authority, expanded by the kubelet."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://$(OPENSEARCH_USERNAME):$(OPENSEARCH_PASSWORD)@{rest}"


def search_env(cluster: ArchiveCluster) -> list[dict[str, Any]]:
    """OPENSEARCH_URL, with the user name and password from a Secret written into it.

    The kubelet expands `$(VAR)` from variables listed before, so the password never
    appears in the manifest. The generated admin password has only URL-safe characters;
    an external password with reserved characters must be percent-encoded in its Secret.
    """
    managed, external = cluster.spec.search.managed, cluster.spec.search.external
    if managed is not None:
        secret = naming.opensearch_admin(cluster.name)
        host = service_host(naming.opensearch(cluster.name), cluster)
        return [
            _from_secret("OPENSEARCH_USERNAME", secret, "username"),
            _from_secret("OPENSEARCH_PASSWORD", secret, "password"),
            {
                "name": "OPENSEARCH_URL",
                "value": _with_credentials(f"http://{host}:{OPENSEARCH_PORT}"),
            },
        ]
    if external is None:
        raise ValueError(f"ArchiveCluster {cluster.name} names no search engine")
    ref = external.credentials_secret_ref
    if ref is None:
        return [{"name": "OPENSEARCH_URL", "value": external.url}]
    return [
        _from_secret("OPENSEARCH_USERNAME", ref.name, ref.username_key),
        _from_secret("OPENSEARCH_PASSWORD", ref.name, ref.password_key),
        {"name": "OPENSEARCH_URL", "value": _with_credentials(external.url)},
    ]


def effective_s3(cluster: ArchiveCluster, override: S3Storage | None = None) -> S3Storage:
    """The cluster's S3 defaults with a region's overrides on top, field by field."""
    base = cluster.spec.storage.s3
    if override is None:
        return base
    return S3Storage(
        endpoint=override.endpoint or base.endpoint,
        bucket=override.bucket or base.bucket,
        credentials_secret_ref=override.credentials_secret_ref or base.credentials_secret_ref,
    )


def s3_env(s3: S3Storage, *, require_bucket: str | None = None) -> list[dict[str, Any]]:
    """S3_ENDPOINT, S3_BUCKET and the access keys; without keys the pod's own identity.

    `require_bucket` names the resource that needs a bucket: without one it is a SpecError.
    """
    if s3.bucket is None and require_bucket is not None:
        raise SpecError(
            f"{require_bucket} has no S3 bucket: set spec.storage.s3.bucket on it "
            "or on its ArchiveCluster"
        )
    env: list[dict[str, Any]] = []
    if s3.endpoint is not None:
        env.append({"name": "S3_ENDPOINT", "value": s3.endpoint})
    if s3.bucket is not None:
        env.append({"name": "S3_BUCKET", "value": s3.bucket})
    ref = s3.credentials_secret_ref
    if ref is not None:
        env += [
            _from_secret("AWS_ACCESS_KEY_ID", ref.name, ref.access_key_id_key),
            _from_secret("AWS_SECRET_ACCESS_KEY", ref.name, ref.secret_access_key_key),
        ]
    return env


def crawl_env(cluster: ArchiveCluster) -> list[dict[str, Any]]:
    """The cluster-wide crawl settings, as the ARCHIVESTREAM_* knobs of core.settings."""
    crawler = cluster.spec.crawler
    return [
        {"name": "ARCHIVESTREAM_USER_AGENT", "value": crawler.user_agent},
        {
            "name": "ARCHIVESTREAM_POLITENESS_DELAY",
            "value": f"{crawler.politeness_delay_seconds:g}",
        },
        {"name": "ARCHIVESTREAM_MAX_DEPTH", "value": str(crawler.max_depth)},
    ]


def database_secret(cluster: ArchiveCluster) -> str:
    """The Secret a pod reaches the database with: the URL's, or the client certificate's."""
    external = cluster.spec.database.external
    if external is not None:
        return external.url_secret_ref.name
    return naming.cockroachdb_client_certs(cluster.name, certificates.APP_USER)


def secrets_used(cluster: ArchiveCluster, s3: S3Storage | None = None) -> list[str]:
    """Names of the Secrets an archivestream pod reads; their data goes into its config hash."""
    names = [database_secret(cluster)]
    search = cluster.spec.search
    if search.managed is not None:
        names.append(naming.opensearch_admin(cluster.name))
    elif search.external is not None and search.external.credentials_secret_ref is not None:
        names.append(search.external.credentials_secret_ref.name)
    s3 = s3 if s3 is not None else cluster.spec.storage.s3
    if s3.credentials_secret_ref is not None:
        names.append(s3.credentials_secret_ref.name)
    return names


# --- pod -----------------------------------------------------------------------------------


def volumes(cluster: ArchiveCluster) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Volumes and mounts: scratch space for WARC files, /tmp, and the database client cert."""
    volume_list: list[dict[str, Any]] = [
        {"name": "data", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "data", "mountPath": DATA_DIR},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    if cluster.spec.database.managed is not None:
        secret = naming.cockroachdb_client_certs(cluster.name, certificates.APP_USER)
        volume_list.append(
            # 0440 with fsGroup: readable by the app's group, not by other users.
            {"name": "database-certs", "secret": {"secretName": secret, "defaultMode": 0o440}}
        )
        mounts.append(
            {"name": "database-certs", "mountPath": DATABASE_CERTS_DIR, "readOnly": True}
        )
    return volume_list, mounts


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def pod_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": APP_UID,
        "runAsGroup": APP_UID,
        "fsGroup": APP_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container(
    cluster: ArchiveCluster,
    *,
    name: str,
    args: list[str],
    env: list[dict[str, Any]],
    resource_requirements: dict[str, Any],
    mounts: list[dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    """An archivestream container running `archivestream <args>`."""
    return {
        "name": name,
        "image": image(cluster),
        "imagePullPolicy": cluster.spec.image.pull_policy,
        "args": args,
        "env": [
            {"name": "ARCHIVESTREAM_DATA_DIR", "value": DATA_DIR},
            # The root filesystem is read-only: libraries that cache (tldextract) use /tmp.
            {"name": "XDG_CACHE_HOME", "value": "/tmp/cache"},
            *env,
        ],
        "resources": resource_requirements,
        "volumeMounts": mounts,
        "securityContext": container_security(),
        **extra,
    }
