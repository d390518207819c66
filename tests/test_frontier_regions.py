"""Region takeover: rows of a region with no live worker are claimed by live regions,
until a worker of that region sends a heartbeat again."""

from __future__ import annotations

import asyncpg
import crawl_sites as sites
from test_frontier_claims import claim

from archivestream.core.settings import Settings
from archivestream.crawler import frontier, jobs


async def test_a_live_region_keeps_its_rows(pool: asyncpg.Pool, settings: Settings) -> None:
    await jobs.create_crawl(pool, settings, ["http://eu.test/"], region="eu-west-1")
    await frontier.heartbeat(pool, "eu-worker", "eu-west-1")

    regions = await frontier.serving_regions(pool, "local", stale_seconds=30)
    assert regions == ["local"]
    assert await claim(pool, "local-worker", regions=regions) == []


async def test_a_stale_region_is_taken_over_and_given_back(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    await jobs.create_crawl(pool, settings, ["http://eu.test/a"], region="eu-west-1")
    await jobs.create_crawl(pool, settings, ["http://eu.test/b"], region="eu-west-1")
    await frontier.heartbeat(pool, "eu-worker", "eu-west-1")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE workers SET last_heartbeat = now() - INTERVAL '5 minutes'")
        await conn.execute("UPDATE regions SET last_heartbeat = now() - INTERVAL '5 minutes'")

    regions = await frontier.serving_regions(pool, "local", stale_seconds=30)
    assert regions == ["local", "eu-west-1"]
    taken = await claim(pool, "local-worker", regions=regions, limit=5)
    assert [c.host for c in taken] == ["eu.test"]

    # The region comes back: its rows are its own again.
    await frontier.heartbeat(pool, "eu-worker", "eu-west-1")
    assert await frontier.serving_regions(pool, "local", stale_seconds=30) == ["local"]


async def test_a_crawl_of_a_region_without_workers_is_crawled_by_another(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    site = await sites.serve({"/": sites.page("Home", "/a"), "/a": "a"})
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")], region="ap-south-1")
    finally:
        await site.close()
    assert progress.done == 2
    async with pool.acquire() as conn:
        regions = {r["region"] for r in await conn.fetch("SELECT region FROM frontier")}
        captured_by = {r["region"] for r in await conn.fetch("SELECT region FROM captures")}
    assert regions == {"ap-south-1"}
    assert captured_by == {"local"}
