"""`POST /crawl`: a crawl asked for over HTTP becomes a crawl job (its seed queued in
the frontier) and the answer is `202 {"id": ...}`. A bad URL, bad JSON or a field of
the wrong type gets `400 {"error": reason}`; see api/access.py for keys and limits."""

from __future__ import annotations

import json
import uuid

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archivestream.api import access, context, errors
from archivestream.core.settings import REGION_PATTERN
from archivestream.crawler import jobs

log = structlog.get_logger("archivestream.api")

MAX_BODY_BYTES = 64 * 1024


class CrawlRequest(BaseModel):
    """The body of POST /crawl."""

    model_config = ConfigDict(strict=True, extra="forbid")

    url: str = Field(description="The seed: an absolute http(s) URL, at most 2,048 characters.")
    max_pages: int | None = Field(default=None, ge=1, le=10_000_000)
    max_depth: int = Field(default=20, ge=0, le=1000)
    region: str | None = Field(
        default=None, pattern=REGION_PATTERN.pattern, description="Region whose workers crawl it."
    )
    include: list[str] = Field(default_factory=list, max_length=100)
    exclude: list[str] = Field(default_factory=list, max_length=100)


class CrawlAccepted(BaseModel):
    """The answer of POST /crawl: the new crawl's id."""

    id: uuid.UUID


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "body"
    return f"{where}: {problem['msg']}"


async def create(request: web.Request) -> web.Response:
    """POST /crawl."""
    archive = context.of(request)
    await access.admit_crawl_request(request)

    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:
        raise errors.bad_request(f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.bad_request(
            f'the body is not JSON ({error}); send {{"url": "https://example.com/"}}'
        ) from None
    if not isinstance(body, dict):
        raise errors.bad_request('the body must be a JSON object like {"url": "https://..."}')
    try:
        asked = CrawlRequest.model_validate(body)
    except ValidationError as error:
        raise errors.bad_request(_first_problem(error)) from None

    if asked.region is not None and asked.region != archive.settings.region:
        known = sorted(row["name"] for row in await archive.pool.fetch("SELECT name FROM regions"))
        if asked.region not in known:
            raise errors.bad_request(
                f"unknown region {asked.region!r}: a region is known once one of its workers "
                f"has started; known: {', '.join(known) or 'none yet'}"
            )

    try:
        crawl_id = await jobs.create_crawl(
            archive.pool,
            archive.settings,
            [asked.url],
            max_pages=asked.max_pages,
            max_depth=asked.max_depth,
            include=asked.include,
            exclude=asked.exclude,
            region=asked.region,
        )
    except jobs.InvalidSeed as error:
        raise errors.bad_request(str(error)) from None

    log.info("crawl requested", crawl_id=str(crawl_id), url=asked.url, region=asked.region)
    return web.json_response(text=CrawlAccepted(id=crawl_id).model_dump_json(), status=202)
