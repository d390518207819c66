"""Crawl limits and scope: max pages, max depth, include and exclude patterns."""

from __future__ import annotations

import asyncpg
import crawl_sites as sites
import pytest

from archivestream.core.settings import Settings
from archivestream.crawler import jobs


@pytest.fixture
async def chain_site():
    # / -> /d1 -> /d2 -> /d3 -> /d4, plus /docs/x, /docs/y.pdf and /blog/z from the home page.
    routes = {
        "/": sites.page("Home", "/d1", "/docs/x", "/docs/y.pdf", "/blog/z"),
        "/d1": sites.page("D1", "/d2"),
        "/d2": sites.page("D2", "/d3"),
        "/d3": sites.page("D3", "/d4"),
        "/d4": sites.page("D4"),
        "/docs/x": sites.page("X"),
        "/docs/y.pdf": "pdf",
        "/blog/z": sites.page("Z"),
    }
    site = await sites.serve(routes)
    yield site
    await site.close()


async def crawled_paths(pool: asyncpg.Pool, site: sites.Site) -> set[str]:
    async with pool.acquire() as conn:
        urls = [r["url"] for r in await conn.fetch("SELECT url FROM captures")]
    return {url.removeprefix(site.base) for url in urls}


async def test_max_pages(pool: asyncpg.Pool, settings: Settings, chain_site) -> None:
    progress = await sites.run_crawl(pool, settings, [chain_site.url("/")], max_pages=3)
    assert progress.done == 3 and progress.pages == 3
    assert progress.unfinished == 0
    assert len([p for p in chain_site.paths() if p != "/robots.txt"]) == 3


async def test_max_depth(pool: asyncpg.Pool, settings: Settings, chain_site) -> None:
    await sites.run_crawl(pool, settings, [chain_site.url("/")], max_depth=2)
    paths = await crawled_paths(pool, chain_site)
    assert {"/", "/d1", "/d2"} <= paths
    assert "/d3" not in paths and "/d4" not in paths


async def test_max_depth_zero_fetches_only_the_seed(
    pool: asyncpg.Pool, settings: Settings, chain_site
) -> None:
    await sites.run_crawl(pool, settings, [chain_site.url("/")], max_depth=0)
    assert await crawled_paths(pool, chain_site) == {"/"}


async def test_include_and_exclude(pool: asyncpg.Pool, settings: Settings, chain_site) -> None:
    await sites.run_crawl(
        pool,
        settings,
        [chain_site.url("/")],
        include=[r"/docs/", r"/$"],
        exclude=[r"\.pdf$"],
    )
    assert await crawled_paths(pool, chain_site) == {"/", "/docs/x"}


async def test_invalid_seed_or_pattern_is_refused_before_anything_is_stored(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    with pytest.raises(jobs.InvalidSeed, match="scheme 'ftp' is not http or https"):
        await jobs.create_crawl(pool, settings, ["http://ok.test/", "ftp://bad.test/"])
    with pytest.raises(jobs.InvalidSeed, match="not a valid regex"):
        await jobs.create_crawl(pool, settings, ["http://ok.test/"], include=["[unclosed"])
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM crawls") == 0
        assert await conn.fetchval("SELECT count(*) FROM frontier") == 0
