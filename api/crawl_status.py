"""`GET /crawl/{id}`: a crawl job read back: its seeds and limits, where its frontier
stands, what its captures hold and why URLs failed. The figures are the crawler's own
(`jobs.load_crawl` and `jobs.crawl_progress`), so the API and `archivestream crawl`
report the same numbers. An id that is not a UUID gets 400; an unknown one 404."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from archivestream.api import context, errors
from archivestream.crawler import jobs

MAX_FAILURE_REASONS = 20


class CrawlCounts(BaseModel):
    """The crawl's frontier rows by state, and what its captures hold."""

    queued: int = Field(description="URLs waiting to be fetched.")
    in_flight: int = Field(description="URLs claimed by a worker.")
    fetched: int = Field(description="URLs fetched and not yet indexed.")
    done: int = Field(description="URLs captured (or deliberately skipped).")
    failed: int = Field(description="URLs given up on; `failures` says why.")
    pages: int = Field(description="Capture records written (responses and revisits).")
    warc_bytes: int = Field(description="Bytes of WARC records written.")
    revisits: int = Field(description="Revisit records (payload seen before).")
    warc_files: int = Field(description="WARC files the records are in.")


class FailureCount(BaseModel):
    """One reason URLs of the crawl failed, and how many did."""

    reason: str
    count: int


class CrawlStatus(BaseModel):
    """The answer of GET /crawl/{id}."""

    id: uuid.UUID
    status: str = Field(description="`running` until the frontier is drained, then `finished`.")
    seeds: list[str]
    max_pages: int | None
    max_depth: int
    region: str | None
    created_at: datetime | None
    finished_at: datetime | None
    counts: CrawlCounts
    failures: list[FailureCount] = Field(
        description=f"Most frequent first, at most {MAX_FAILURE_REASONS} reasons."
    )


def _crawl_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise errors.bad_request(
            f"{raw[:100]!r} is not a crawl id; use the UUID that POST /crawl answered"
        ) from None


async def show(request: web.Request) -> web.Response:
    """GET /crawl/{id}."""
    archive = context.of(request)
    crawl_id = _crawl_id(request.match_info["id"])
    unknown = errors.not_found(f"no crawl with id {crawl_id}")
    spec = await jobs.load_crawl(archive.pool, crawl_id)
    if spec is None:
        raise unknown
    try:
        progress = await jobs.crawl_progress(archive.pool, crawl_id)
    except LookupError:
        # Deleted between the two reads.
        raise unknown from None
    # Ties broken by reason, so the same crawl always reads back the same list.
    failures = sorted(progress.failures.items(), key=lambda item: (-item[1], item[0]))
    answer = CrawlStatus(
        id=crawl_id,
        status=progress.status,
        seeds=spec.seeds,
        max_pages=spec.max_pages,
        max_depth=spec.max_depth,
        region=spec.region,
        created_at=progress.created_at,
        finished_at=progress.finished_at,
        counts=CrawlCounts(
            queued=progress.queued,
            in_flight=progress.in_flight,
            fetched=progress.fetched,
            done=progress.done,
            failed=progress.failed,
            pages=progress.pages,
            warc_bytes=progress.bytes,
            revisits=progress.revisits,
            warc_files=progress.warc_files,
        ),
        failures=[
            FailureCount(reason=reason, count=count)
            for reason, count in failures[:MAX_FAILURE_REASONS]
        ],
    )
    return web.json_response(text=answer.model_dump_json())
