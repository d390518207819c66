"""`GET /api/v1/search?q=&limit=&offset=`: full-text search over archived pages, each
hit with a replay link into the archive."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel

from archivestream.api import context, errors, memento, parameters

MAX_LIMIT = 100
MAX_OFFSET = 10_000
MAX_QUERY_LENGTH = 500


class SearchResult(BaseModel):
    """One matching capture."""

    url: str
    title: str | None
    timestamp: str
    snippet: str | None
    replay_url: str


class SearchResults(BaseModel):
    """The answer: one page of results and how many match in all."""

    results: list[SearchResult]
    total: int


def replay_url(base: str, url: str, captured_at: datetime) -> str:
    """Where a hit replays: `{base}/web/{timestamp}/{url}`."""
    return f"{base}{memento.memento_path(captured_at, url)}"


async def search(request: web.Request) -> web.Response:
    """GET /api/v1/search."""
    archive = context.of(request)
    q = request.query.get("q", "").strip()
    if not q:
        raise errors.bad_request("q is required: the words to search for, like ?q=tutorial")
    if len(q) > MAX_QUERY_LENGTH:
        raise errors.bad_request(f"q is longer than {MAX_QUERY_LENGTH} characters ({len(q)})")
    if "\x00" in q:
        raise errors.bad_request("q holds a NUL character")
    limit = parameters.whole_number(request, "limit", 10, 1, MAX_LIMIT)
    offset = parameters.whole_number(request, "offset", 0, 0, MAX_OFFSET)

    page = await archive.search.query(q, limit=limit, offset=offset)

    base = archive.base_url(request)
    body = SearchResults(
        total=page.total,
        results=[
            SearchResult(
                url=hit.url,
                title=hit.title,
                timestamp=memento.timestamp14(hit.captured_at),
                snippet=hit.snippet,
                replay_url=replay_url(base, hit.url, hit.captured_at),
            )
            for hit in page.hits
        ],
    )
    return web.json_response(text=body.model_dump_json())
