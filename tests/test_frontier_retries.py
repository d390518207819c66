"""Retries: network errors, 5xx and 429 come back after a backoff (Retry-After honoured)
until `max_attempts`, then the URL is failed with its last error."""

from __future__ import annotations

import asyncpg
import crawl_sites as sites
from aiohttp import web

from archivestream.core.settings import Settings


async def test_429_is_retried_after_its_retry_after(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    answers = iter([429])

    async def busy_then_fine(request: web.Request) -> web.StreamResponse:
        status = next(answers, 200)
        if status == 429:
            return web.Response(status=429, headers={"Retry-After": "1"}, text="slow down")
        return web.Response(text="<html><body>fine</body></html>", content_type="text/html")

    site = await sites.serve({"/": busy_then_fine})
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()

    first, second = [hit for hit in site.hits if hit.path == "/"]
    assert second.started - first.ended >= 1.0
    assert progress.done == 1 and progress.pages == 1
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT attempts, http_status FROM frontier")
        status = await conn.fetchval("SELECT status FROM captures")
    assert row["attempts"] == 2 and row["http_status"] == 200
    # The 429 itself was not archived; the answer that came through was.
    assert status == 200


async def test_5xx_fails_after_max_attempts_with_its_reason(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    async def broken(request: web.Request) -> web.StreamResponse:
        return web.Response(status=503, text="down")

    site = await sites.serve({"/": sites.page("Home", "/broken"), "/broken": broken})
    settings = settings.model_copy(update={"max_attempts": 3, "retry_base_seconds": 0.01})
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()

    assert site.count("/broken") == 3
    assert progress.done == 1
    assert progress.failures == {"HTTP 503 (gave up after 3 attempts)": 1}
    async with pool.acquire() as conn:
        backoffs = await conn.fetchval(
            "SELECT next_attempt_at > created_at FROM frontier WHERE url LIKE '%/broken'"
        )
    assert backoffs


async def test_backoff_grows_between_attempts(pool: asyncpg.Pool, settings: Settings) -> None:
    async def broken(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500)

    site = await sites.serve({"/": broken})
    settings = settings.model_copy(update={"max_attempts": 3, "retry_base_seconds": 0.2})
    try:
        await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()
    hits = [hit for hit in site.hits if hit.path == "/"]
    assert len(hits) == 3
    first_gap = hits[1].started - hits[0].ended
    second_gap = hits[2].started - hits[1].ended
    # Jitter is +-25 %: 0.2 s then 0.4 s at the least 0.15 and 0.3.
    assert first_gap >= 0.15
    assert second_gap >= 0.3
