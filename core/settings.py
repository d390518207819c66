"""Process settings, read from the environment and validated at start-up.

The names of the environment contract (`DATABASE_URL`, `S3_ENDPOINT`, `S3_BUCKET`,
`OPENSEARCH_URL`, `REGION`, `ARCHIVESTREAM_DATA_DIR`, `API_KEYS`) are fixed by the
design; tuning knobs carry the `ARCHIVESTREAM_` prefix. A bad value stops the process
with one line that names the variable, the value and what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REGION_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """Every setting of every ArchiveStream process."""

    model_config = SettingsConfigDict(
        env_prefix="ARCHIVESTREAM_", extra="ignore", populate_by_name=True
    )

    # The environment contract.
    database_url: str | None = Field(default=None, validation_alias=_env("DATABASE_URL"))
    s3_endpoint: str | None = Field(default=None, validation_alias=_env("S3_ENDPOINT"))
    s3_bucket: str | None = Field(default=None, validation_alias=_env("S3_BUCKET"))
    opensearch_url: str | None = Field(default=None, validation_alias=_env("OPENSEARCH_URL"))
    region: str = Field(default="local", validation_alias=_env("REGION"))
    data_dir: Path = Field(
        default=Path("archivestream-data"), validation_alias=_env("ARCHIVESTREAM_DATA_DIR")
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("API_KEYS")
    )

    # The API.
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=3001, ge=1, le=65535)
    public_url: str | None = None
    # POST /crawl requests per client (API key, or address without one) per fixed window;
    # 0 turns the limit off. Reads are not limited.
    api_rate_limit: int = Field(default=60, ge=0)
    api_rate_window_seconds: int = Field(default=60, ge=1, le=86400)

    # The crawler.
    user_agent: str = "ArchiveStream/0.1 (+https://archivestream.io/bot)"
    politeness_delay: float = Field(default=1.0, ge=0)
    concurrency: int = Field(default=16, ge=1, le=4096)
    # Fetches in flight on one host at once; only used while the host's delay (politeness
    # and Crawl-delay) is zero, as in loopback benchmarks. Otherwise one at a time.
    per_host_concurrency: int = Field(default=1, ge=1, le=1024)
    lease_seconds: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=100)
    retry_base_seconds: float = Field(default=2.0, ge=0)
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    total_timeout: float = Field(default=120.0, gt=0)
    max_body_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=10, ge=0)
    robots_timeout: float = Field(default=10.0, gt=0)
    # A robots.txt that fails (5xx, timeout) holds its whole host back, asked again after
    # this many seconds, doubling each time; its URLs fail once it has failed this long.
    robots_retry_base_seconds: float = Field(default=30.0, gt=0)
    robots_failure_give_up_seconds: float = Field(default=1800.0, ge=0)
    warc_max_bytes: int = Field(default=1_000_000_000, gt=0)
    warc_max_age_seconds: float = Field(default=60.0, gt=0)
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    region_stale_seconds: float = Field(default=30.0, gt=0)
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    # `archivestream crawler` serves /metrics and /health here for Prometheus and the
    # kubelet; 0 turns it off.
    metrics_host: str = "0.0.0.0"
    metrics_port: int = Field(default=9090, ge=0, le=65535)

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^postgres(ql)?://", value):
            raise ValueError(f"DATABASE_URL is not a postgresql:// URL: {value!r}")
        return value

    @field_validator("s3_endpoint", "opensearch_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"not an http(s):// URL: {value!r}")
        return value.rstrip("/")

    @field_validator("region")
    @classmethod
    def _region_name(cls, value: str) -> str:
        if not REGION_PATTERN.match(value):
            raise ValueError(
                f"REGION must be lower-case letters, digits and dashes (like us-east-1): {value!r}"
            )
        return value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @property
    def embedded(self) -> bool:
        """True when no DATABASE_URL is set and the embedded PostgreSQL is used."""
        return self.database_url is None

    @property
    def warc_dir(self) -> Path:
        """Where WARC files go when no S3 bucket is set."""
        return self.data_dir / "warcs"


class SettingsError(Exception):
    """A setting's value is unusable; the message is one line for the user."""


_ENV_NAMES = {
    "database_url": "DATABASE_URL",
    "s3_endpoint": "S3_ENDPOINT",
    "s3_bucket": "S3_BUCKET",
    "opensearch_url": "OPENSEARCH_URL",
    "region": "REGION",
    "data_dir": "ARCHIVESTREAM_DATA_DIR",
    "api_keys": "API_KEYS",
}


def load(**overrides: object) -> Settings:
    """Read the settings from the environment, with `overrides` on top (from CLI flags).

    Raises SettingsError with one line naming the first bad variable.
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        if field.isupper():
            name = field
        else:
            name = _ENV_NAMES.get(field, f"ARCHIVESTREAM_{field.upper()}")
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:
            pass  # a rule across settings: its message names them
        elif name not in message:
            given = repr(first.get("input"))
            message = f"{name}: {message}" + ("" if given in message else f" (got {given})")
        raise SettingsError(message) from None
