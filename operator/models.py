"""The custom resources' specs and statuses: ArchiveCluster and CrawlRegion.

These pydantic models are the one description of both resources. The CRDs in `crds/`
are generated from them (`archivestream.operator.crds`), and the operator parses what it
reads from the API through them (`ArchiveCluster.from_body`, `CrawlRegion.from_body`), so
the schema Kubernetes enforces at apply time and the operator's idea of a spec cannot
drift apart. Field names are the contract of the design: camelCase in YAML, snake_case
here. Rules that a plain JSON schema cannot say (exactly one of managed and external,
`workers.min <= workers.max`) are CEL rules carried as `x-kubernetes-validations`, and
checked a second time here so that a body read from an older API server cannot slip by.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

GROUP = "archivestream.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
PAUSED_ANNOTATION = f"{GROUP}/paused"

# Kubernetes names (Secrets, the ArchiveCluster a region names): DNS subdomains.
NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# A region goes into object names, label values and the REGION variable: a DNS label.
REGION_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
# An ArchiveCluster's or CrawlRegion's own name starts its children's names, which become
# Service names and label values: a DNS-1035 label (a letter first, no dots).
RESOURCE_NAME_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
# The longest child of an ArchiveCluster is `<name>-cockroachdb-client-archivestream` (33
# more characters) and a region's crawler `<cluster>-crawler-<region name>` (9 more): at
# these lengths every child name stays within 63 characters without being shortened.
CLUSTER_NAME_MAX = 30
REGION_NAME_MAX = 63 - CLUSTER_NAME_MAX - len("-crawler-")
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
# A volume size: a whole number with a unit, so that "100" (bytes) is refused as the
# mistake it almost always is.
STORAGE_PATTERN = r"^[1-9][0-9]*(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)$"
# CPU and memory quantities as Kubernetes writes them ("500m", "2", "1.5Gi").
RESOURCE_PATTERN = r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"
DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
URL_PATTERN = r"^https?://[^/\s]+(/\S*)?$"
IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
IMAGE_PATTERN = r"^[a-z0-9]+([._/:-][a-zA-Z0-9]+)*(@sha256:[a-f0-9]{64})?$"

Name = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=NAME_PATTERN)]
SecretKey = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=SECRET_KEY_PATTERN)
]
Storage = Annotated[str, StringConstraints(max_length=32, pattern=STORAGE_PATTERN)]
ResourceQuantity = Annotated[str, StringConstraints(max_length=32, pattern=RESOURCE_PATTERN)]
Duration = Annotated[str, StringConstraints(max_length=32, pattern=DURATION_PATTERN)]
Url = Annotated[str, StringConstraints(max_length=2048, pattern=URL_PATTERN)]
Image = Annotated[str, StringConstraints(max_length=512, pattern=IMAGE_PATTERN)]
RegionName = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=REGION_PATTERN)]


SpecT = TypeVar("SpecT", bound=BaseModel)
Bucket = Annotated[str, StringConstraints(min_length=3, max_length=63, pattern=NAME_PATTERN)]


def cel(rule: str, message: str, **extra: str) -> dict[str, str]:
    """One `x-kubernetes-validations` entry: a CEL rule and the message shown on refusal."""
    return {"rule": rule, "message": message, **extra}


def validations(*rules: dict[str, str]) -> dict[str, Any]:
    return {"x-kubernetes-validations": list(rules)}


def defaulted(factory: Any, **field: Any) -> Any:
    """A field whose default is its model's own defaults; `{}` in the CRD, filled there."""
    return Field(default_factory=factory, json_schema_extra={"default": {}}, **field)


def volume_rules(what: str) -> dict[str, Any]:
    """Transition rules of a StatefulSet's volumes, whose templates Kubernetes never updates."""
    storage_class = "(has({0}.storageClassName) ? {0}.storageClassName : '')"
    return validations(
        cel(
            "self.storage == oldSelf.storage",
            f"{what}.storage cannot change once created (a StatefulSet's volume templates are "
            "immutable); resize the PersistentVolumeClaims themselves",
        ),
        cel(
            f"{storage_class.format('self')} == {storage_class.format('oldSelf')}",
            f"{what}.storageClassName cannot change once created",
        ),
    )


class Model(BaseModel):
    """camelCase in YAML, snake_case in Python; fields unknown to this version ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    def to_body(self) -> dict[str, Any]:
        """The object as it is written in YAML: camelCase, unset optional fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class SpecError(ValueError):
    """A spec the schema let through but that cannot be served as written.

    The message is one line for `status.conditions[].message`: what is wrong, what to do.
    """


# --- shared pieces --------------------------------------------------------------------


class SecretRef(Model):
    """A Secret in the resource's namespace."""

    name: Name = Field(description="Name of the Secret, in the resource's namespace.")


class SecretKeyRef(Model):
    """One key of a Secret in the resource's namespace."""

    name: Name = Field(description="Name of the Secret, in the resource's namespace.")
    key: SecretKey = Field(description="Key within the Secret.")


class Resources(Model):
    """CPU and memory requests and limits of a workload's containers."""

    requests: dict[str, ResourceQuantity] | None = Field(
        default=None, description='For example {cpu: "500m", memory: 1Gi}.'
    )
    limits: dict[str, ResourceQuantity] | None = Field(
        default=None, description="Upper bounds; memory limits protect the node."
    )


class ImageSpec(Model):
    """Where the archivestream image comes from; its tag is `spec.version`."""

    repository: Image = Field(
        default="ghcr.io/archivestream/archivestream",
        description="Image repository without tag; the tag is spec.version.",
    )
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"


# --- ArchiveCluster: database --------------------------------------------------------


class ManagedDatabase(Model):
    """A CockroachDB cluster in secure mode run by the operator."""

    model_config = ConfigDict(json_schema_extra=volume_rules("database.managed"))

    replicas: int = Field(
        default=3,
        ge=3,
        le=15,
        description="CockroachDB nodes; 3 or more for quorum. Only ever raised: removing a "
        "node needs `cockroach node decommission` first.",
        json_schema_extra=validations(
            cel(
                "self >= oldSelf",
                "database.managed.replicas cannot be lowered by the operator: decommission "
                "the nodes with `cockroach node decommission` first",
            )
        ),
    )
    storage: Storage = Field(default="100Gi", description="Volume size of each node.")
    storage_class_name: Name | None = Field(
        default=None, description="StorageClass of the volumes; the cluster default if unset."
    )
    image: Image = Field(default="cockroachdb/cockroach:v24.2.4", description="CockroachDB image.")
    resources: Resources | None = None


class ExternalDatabase(Model):
    """A PostgreSQL-protocol database run elsewhere, named by a Secret holding its URL."""

    url_secret_ref: SecretKeyRef = Field(
        description="Secret key holding a postgresql:// URL, passed as DATABASE_URL."
    )


class DatabaseSpec(Model):
    """The database: set exactly one of `managed` and `external`."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            cel(
                "has(self.managed) != has(self.external)",
                "set exactly one of database.managed and database.external",
            ),
            cel(
                "has(self.managed) == has(oldSelf.managed)",
                "a database cannot switch between managed and external: its data would be "
                "left behind; create another ArchiveCluster",
            ),
        )
    )

    managed: ManagedDatabase | None = None
    external: ExternalDatabase | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.managed is None) == (self.external is None):
            raise ValueError("set exactly one of database.managed and database.external")
        return self


# --- ArchiveCluster: search ----------------------------------------------------------


class ManagedSearch(Model):
    """An OpenSearch cluster run by the operator, with a generated admin password."""

    model_config = ConfigDict(json_schema_extra=volume_rules("search.managed"))

    replicas: int = Field(default=3, ge=1, le=15, description="OpenSearch nodes.")
    storage: Storage = Field(default="100Gi", description="Volume size of each node.")
    storage_class_name: Name | None = None
    image: Image = Field(
        default="opensearchproject/opensearch:2.17.1", description="OpenSearch image."
    )
    resources: Resources | None = None


class SearchCredentialsRef(Model):
    """A Secret holding the user name and password of an external OpenSearch."""

    name: Name = Field(description="Name of the Secret, in the resource's namespace.")
    username_key: SecretKey = Field(default="username", description="Key of the user name.")
    password_key: SecretKey = Field(default="password", description="Key of the password.")


class ExternalSearch(Model):
    """An OpenSearch run elsewhere."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            cel(
                "!has(self.credentialsSecretRef) || self.url.startsWith('https://')",
                "search.external.url must be https:// when credentials are sent to it",
            )
        )
    )

    url: Url = Field(description="https:// URL of the OpenSearch cluster.")
    credentials_secret_ref: SearchCredentialsRef | None = None

    @model_validator(mode="after")
    def _credentials_over_tls(self) -> Self:
        if self.credentials_secret_ref is not None and not self.url.startswith("https://"):
            raise ValueError(
                "search.external.url must be https:// when credentials are sent to it"
            )
        return self


class SearchSpec(Model):
    """The search engine: set exactly one of `managed` and `external`."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            cel(
                "has(self.managed) != has(self.external)",
                "set exactly one of search.managed and search.external",
            )
        )
    )

    managed: ManagedSearch | None = None
    external: ExternalSearch | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.managed is None) == (self.external is None):
            raise ValueError("set exactly one of search.managed and search.external")
        return self


# --- storage ---------------------------------------------------------------------------


class S3CredentialsRef(Model):
    """A Secret holding S3 access keys; without one the pods use ambient credentials."""

    name: Name = Field(description="Name of the Secret, in the resource's namespace.")
    access_key_id_key: SecretKey = Field(
        default="AWS_ACCESS_KEY_ID", description="Key of the access key id."
    )
    secret_access_key_key: SecretKey = Field(
        default="AWS_SECRET_ACCESS_KEY", description="Key of the secret access key."
    )


class S3Storage(Model):
    """An S3 endpoint, bucket and credentials; unset fields fall back to the cluster's."""

    endpoint: Url | None = Field(default=None, description="S3 endpoint URL (S3_ENDPOINT).")
    bucket: Bucket | None = Field(
        default=None, description="Bucket of the WARC files (S3_BUCKET)."
    )
    credentials_secret_ref: S3CredentialsRef | None = None


class StorageSpec(Model):
    """Where WARC files go."""

    s3: S3Storage = defaulted(S3Storage)


# --- ArchiveCluster: workloads -------------------------------------------------------


class ApiSpec(Model):
    """The archive API Deployment (port 3001)."""

    replicas: int = Field(default=2, ge=1, le=100)
    resources: Resources | None = None
    api_keys_secret_ref: SecretKeyRef | None = Field(
        default=None, description="Secret key holding comma-separated API keys (API_KEYS)."
    )


class CrawlerSpec(Model):
    """Crawl settings every region's workers share."""

    user_agent: str = Field(
        default="ArchiveStream/1.0 (+https://archivestream.io/bot)",
        min_length=1,
        max_length=512,
    )
    politeness_delay: Duration = Field(
        default="1s", description='Pause between two fetches from one host, like "1s" or "500ms".'
    )
    max_depth: int = Field(default=20, ge=0, le=1000, description="Links followed from a seed.")

    @property
    def politeness_delay_seconds(self) -> float:
        return duration_seconds(self.politeness_delay)


class ArchiveClusterSpec(Model):
    """An archive: database, search, storage defaults, API and crawl settings."""

    version: Annotated[str, StringConstraints(pattern=IMAGE_TAG_PATTERN)] = Field(
        description="Tag of the archivestream image every workload runs."
    )
    image: ImageSpec = defaulted(ImageSpec)
    database: DatabaseSpec
    search: SearchSpec
    storage: StorageSpec = defaulted(StorageSpec)
    api: ApiSpec = defaulted(ApiSpec)
    crawler: CrawlerSpec = defaulted(CrawlerSpec)
    deletion_policy: Literal["Retain", "Delete"] = Field(
        default="Retain",
        description="Retain keeps the volumes when the cluster is deleted; Delete removes them.",
    )
    cluster_domain: Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=253)] = (
        Field(default="cluster.local", description="DNS domain of the Kubernetes cluster.")
    )


# --- CrawlRegion ----------------------------------------------------------------------


class ClusterRef(Model):
    """The ArchiveCluster, in the same namespace, whose database and storage a region uses."""

    name: Name


class WorkersSpec(Model):
    """How many crawler workers a region runs, and what moves that number."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            cel("self.min <= self.max", "workers.min must not be greater than workers.max")
        )
    )

    min: int = Field(default=1, ge=1, le=1000, description="Fewest workers the autoscaler keeps.")
    max: int = Field(default=10, ge=1, le=1000, description="Most workers the autoscaler runs.")
    target_frontier_depth_per_worker: int = Field(
        default=1000,
        ge=1,
        le=1_000_000_000,
        description="Frontier depth one worker should face; the autoscaler's target.",
    )
    concurrency: int = Field(
        default=16, ge=1, le=4096, description="Fetches in flight per worker."
    )
    replicas: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Exact number of workers; set (or `kubectl scale`) to turn autoscaling off.",
    )
    autoscaler: Literal["auto", "keda", "hpa"] = Field(
        default="auto",
        description="auto: a KEDA ScaledObject when KEDA is installed, else an HPA.",
    )
    prometheus_address: Url = Field(
        default="http://prometheus-operated.monitoring.svc:9090",
        description="Prometheus that KEDA's trigger queries for archivestream_frontier_depth.",
    )
    resources: Resources | None = None

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Self:
        if self.min > self.max:
            raise ValueError("workers.min must not be greater than workers.max")
        return self

    @property
    def autoscaling(self) -> bool:
        """True when an autoscaler, not the spec, decides the number of workers."""
        return self.replicas is None


class CrawlRegionSpec(Model):
    """A region of an archive: its crawler workers, bucket and autoscaling."""

    cluster_ref: ClusterRef
    region: RegionName = Field(
        description="Region name (the REGION of its workers), like us-east-1.",
        json_schema_extra=validations(
            cel("self == oldSelf", "region is immutable; create another CrawlRegion")
        ),
    )
    storage: StorageSpec = defaulted(StorageSpec)
    workers: WorkersSpec = defaulted(WorkersSpec)


# --- statuses -------------------------------------------------------------------------


class Condition(Model):
    """A kstatus condition: Ready, Reconciling or Stalled."""

    type: str = Field(max_length=316)
    status: Literal["True", "False", "Unknown"]
    reason: str = Field(default="", max_length=1024)
    message: str = Field(default="", max_length=32768)
    last_transition_time: str | None = Field(
        default=None, json_schema_extra={"format": "date-time"}
    )
    observed_generation: int | None = Field(default=None, ge=0)


class ReadyCount(Model):
    """Ready members of a part, of all it should have."""

    ready: int = Field(default=0, ge=0)
    total: int = Field(default=0, ge=0)


class ArchiveClusterStatus(Model):
    observed_generation: int | None = None
    conditions: list[Condition] = Field(default_factory=list)
    database: ReadyCount | None = None
    search: ReadyCount | None = None
    api: ReadyCount | None = None
    regions: ReadyCount | None = None
    version: str | None = Field(default=None, description="Version the migrations ran for.")


class WorkersStatus(Model):
    desired: int | None = Field(default=None, ge=0)
    current: int | None = Field(default=None, ge=0)
    selector: str | None = Field(
        default=None, description="Label selector of the workers' pods (scale subresource)."
    )


class CrawlRegionStatus(Model):
    observed_generation: int | None = None
    conditions: list[Condition] = Field(default_factory=list)
    frontier_depth: int | None = Field(
        default=None, ge=0, description="Frontier depth as the autoscaler last read it."
    )
    workers: WorkersStatus | None = None
    autoscaler: Literal["keda", "hpa", "none"] | None = Field(
        default=None, description="The autoscaler in use; none when workers.replicas is fixed."
    )


# --- resources as the operator reads them -------------------------------------------


class Resource(BaseModel):
    """A custom resource as kopf hands it over: identity, labels and a parsed spec."""

    model_config = ConfigDict(frozen=True)

    name: str
    namespace: str
    uid: str = ""
    generation: int = 0
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    @property
    def paused(self) -> bool:
        """True when the annotation archivestream.io/paused is "true"."""
        return self.annotations.get(PAUSED_ANNOTATION, "").lower() == "true"

    @classmethod
    def _metadata(cls, body: Mapping[str, Any]) -> dict[str, Any]:
        metadata = body.get("metadata") or {}
        return {
            "name": metadata.get("name", ""),
            "namespace": metadata.get("namespace") or "default",
            "uid": metadata.get("uid") or "",
            "generation": metadata.get("generation") or 0,
            "labels": dict(metadata.get("labels") or {}),
            "annotations": dict(metadata.get("annotations") or {}),
        }


class ArchiveCluster(Resource):
    kind: Literal["ArchiveCluster"] = "ArchiveCluster"
    spec: ArchiveClusterSpec

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> ArchiveCluster:
        """Parse a kopf body (or any manifest dict), with defaults; SpecError when invalid."""
        return cls(**cls._metadata(body), spec=parse_spec(ArchiveClusterSpec, body, cls))


class CrawlRegion(Resource):
    kind: Literal["CrawlRegion"] = "CrawlRegion"
    spec: CrawlRegionSpec

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> CrawlRegion:
        """Parse a kopf body (or any manifest dict), with defaults; SpecError when invalid."""
        return cls(**cls._metadata(body), spec=parse_spec(CrawlRegionSpec, body, cls))


def parse_spec(model: type[SpecT], body: Mapping[str, Any], kind: type) -> SpecT:
    """Validate `body["spec"]`; a bad one raises SpecError naming the field and the problem."""
    spec = body.get("spec")
    try:
        return model.model_validate(dict(spec) if spec is not None else {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "spec"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SpecError(f"{kind.__name__} spec.{where}: {message}") from None


_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_DURATION_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(text: str) -> float:
    """Seconds in a duration like "1s", "250ms" or "1m30s"."""
    if not re.fullmatch(DURATION_PATTERN, text):
        raise SpecError(f'not a duration like "1s" or "500ms": {text!r}')
    return sum(float(n) * _DURATION_UNIT[unit] for n, unit in _DURATION_PART.findall(text))
