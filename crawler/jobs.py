"""Crawl jobs: seeds, limits and scope, with an id.

`create_crawl` validates every seed and pattern before anything is written, then stores
the crawl and puts its seeds in the frontier; `crawl_progress` counts where it stands.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from archivestream.core.settings import Settings
from archivestream.crawler import canonical, frontier, scope

SEED_PRIORITY = 100


class InvalidSeed(ValueError):
    """A seed URL or a scope pattern the crawl cannot start with; the message says why."""


class CrawlSpec(BaseModel):
    """What a worker needs to know about a crawl to follow its links."""

    id: uuid.UUID
    seeds: list[str]
    max_pages: int | None
    max_depth: int
    include: list[str]
    exclude: list[str]
    region: str | None
    status: str

    def scope(self) -> scope.Scope:
        return scope.build(
            self.seeds, max_depth=self.max_depth, include=self.include, exclude=self.exclude
        )


class CrawlProgress(BaseModel):
    """Where a crawl stands: frontier rows by state, and what its captures hold."""

    crawl_id: uuid.UUID
    status: str
    queued: int = 0
    in_flight: int = 0
    fetched: int = 0
    done: int = 0
    failed: int = 0
    pages: int = 0
    bytes: int = 0
    revisits: int = 0
    warc_files: int = 0
    failures: dict[str, int] = {}
    created_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def unfinished(self) -> int:
        return self.queued + self.in_flight + self.fetched


def validate_seeds(
    seeds: Sequence[str], *, include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[str]:
    """The canonical seeds; raises InvalidSeed naming the first bad URL or pattern."""
    if not seeds:
        raise InvalidSeed("no seed URL given")
    canonical_seeds = []
    for seed in seeds:
        try:
            canonical_seeds.append(canonical.canonicalize(seed))
        except canonical.InvalidURL as error:
            raise InvalidSeed(str(error)) from None
    try:
        scope.compile_patterns(include, kind="include")
        scope.compile_patterns(exclude, kind="exclude")
    except scope.InvalidPattern as error:
        raise InvalidSeed(str(error)) from None
    return list(dict.fromkeys(canonical_seeds))


async def create_crawl(
    pool: asyncpg.Pool,
    settings: Settings,
    seeds: list[str],
    *,
    max_pages: int | None = None,
    max_depth: int = 20,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    region: str | None = None,
) -> uuid.UUID:
    """Store a new crawl and queue its seeds; returns its id. Raises InvalidSeed."""
    canonical_seeds = validate_seeds(seeds, include=include, exclude=exclude)
    if max_pages is not None and max_pages < 1:
        raise InvalidSeed(f"max_pages must be at least 1 (got {max_pages})")
    if max_depth < 0:
        raise InvalidSeed(f"max_depth must be 0 or more (got {max_depth})")
    crawl_region = region or settings.region
    crawl_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            INSERT INTO crawls (id, seeds, max_pages, max_depth, scope, region)
            VALUES ($1, $2::jsonb, $3, $4, $5::jsonb, $6)
            """,
            crawl_id,
            json.dumps(canonical_seeds),
            max_pages,
            max_depth,
            json.dumps({"include": list(include), "exclude": list(exclude)}),
            crawl_region,
        )
        # A region nobody serves yet is known, so live regions take its crawl over.
        await conn.execute(
            "INSERT INTO regions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", crawl_region
        )
        await frontier.enqueue(
            conn,
            crawl_id,
            [
                frontier.NewURL(
                    url=seed,
                    surt=canonical.surt_key(seed),
                    host=canonical.host_of(seed),
                    depth=0,
                    priority=SEED_PRIORITY,
                )
                for seed in canonical_seeds
            ],
            region=crawl_region,
            max_pages=max_pages,
        )
    return crawl_id


async def load_crawl(pool: asyncpg.Pool, crawl_id: uuid.UUID) -> CrawlSpec | None:
    """The crawl's seeds, limits and scope, or None when there is no such crawl."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, seeds, max_pages, max_depth, scope, region, status FROM crawls"
            " WHERE id = $1",
            crawl_id,
        )
    if row is None:
        return None
    scope_options = json.loads(row["scope"]) if row["scope"] else {}
    return CrawlSpec(
        id=row["id"],
        seeds=json.loads(row["seeds"]),
        max_pages=row["max_pages"],
        max_depth=row["max_depth"],
        include=scope_options.get("include", []),
        exclude=scope_options.get("exclude", []),
        region=row["region"],
        status=row["status"],
    )


async def finish_crawl(pool: asyncpg.Pool, crawl_id: uuid.UUID) -> None:
    """Mark the crawl finished (its frontier is drained)."""
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE crawls SET status = 'finished', finished_at = now()"
            " WHERE id = $1 AND status <> 'finished'",
            crawl_id,
        )


async def crawl_progress(pool: asyncpg.Pool, crawl_id: uuid.UUID) -> CrawlProgress:
    """Counts of the crawl's frontier rows by state, captures, bytes and failure reasons."""
    async with pool.acquire() as conn:
        crawl = await conn.fetchrow(
            "SELECT status, created_at, finished_at FROM crawls WHERE id = $1", crawl_id
        )
        if crawl is None:
            raise LookupError(f"no crawl with id {crawl_id}")
        states = await conn.fetch(
            "SELECT status, count(*) AS n FROM frontier WHERE crawl_id = $1 GROUP BY status",
            crawl_id,
        )
        captured = await conn.fetchrow(
            """
            SELECT count(*) AS pages, coalesce(sum(length), 0) AS bytes,
                count(*) FILTER (WHERE record_type = 'revisit') AS revisits,
                count(DISTINCT filename) AS files
            FROM captures WHERE crawl_id = $1
            """,
            crawl_id,
        )
        failures = await conn.fetch(
            """
            SELECT coalesce(last_error, 'unknown') AS reason, count(*) AS n FROM frontier
            WHERE crawl_id = $1 AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC LIMIT 20
            """,
            crawl_id,
        )
    counts = {row["status"]: int(row["n"]) for row in states}
    return CrawlProgress(
        crawl_id=crawl_id,
        status=crawl["status"],
        queued=counts.get("queued", 0),
        in_flight=counts.get("in_flight", 0),
        fetched=counts.get("fetched", 0),
        done=counts.get("done", 0),
        failed=counts.get("failed", 0),
        pages=int(captured["pages"]),
        bytes=int(captured["bytes"]),
        revisits=int(captured["revisits"]),
        warc_files=int(captured["files"]),
        failures={row["reason"]: int(row["n"]) for row in failures},
        created_at=crawl["created_at"],
        finished_at=crawl["finished_at"],
    )
