"""Politeness: never two fetches on one host at once, the delay and Crawl-delay between
them, judged from what the server saw (its request timestamps and concurrency)."""

from __future__ import annotations

import asyncio

import asyncpg
import crawl_sites as sites
from aiohttp import web

from archivestream.core.settings import Settings


def slow_page(title: str, *links: str) -> sites.Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.02)  # long enough for a second fetch to overlap, if allowed
        return web.Response(text=sites.page(title, *links), content_type="text/html")

    return handler


def many_pages(count: int) -> dict[str, sites.Handler]:
    routes = {"/": slow_page("Home", *[f"/p{i}" for i in range(count)])}
    routes.update({f"/p{i}": slow_page(f"Page {i}") for i in range(count)})
    return routes


async def test_one_fetch_at_a_time_per_host(pool: asyncpg.Pool, settings: Settings) -> None:
    site = await sites.serve(many_pages(12))
    settings = settings.model_copy(update={"concurrency": 16, "per_host_concurrency": 1})
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()
    assert progress.done == 13
    assert max(hit.concurrent for hit in site.hits) == 1


async def test_per_host_concurrency_bounds_parallel_fetches(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    site = await sites.serve(many_pages(20))
    settings = settings.model_copy(update={"concurrency": 16, "per_host_concurrency": 4})
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()
    assert progress.done == 21
    assert max(hit.concurrent for hit in site.hits) <= 4


async def test_politeness_delay_separates_fetches(pool: asyncpg.Pool, settings: Settings) -> None:
    site = await sites.serve(many_pages(3))
    settings = settings.model_copy(update={"politeness_delay": 0.3, "per_host_concurrency": 8})
    try:
        await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()
    pages = [hit for hit in site.hits if hit.path != "/robots.txt"]
    assert len(pages) == 4
    for before, after in zip(pages, pages[1:], strict=False):
        assert after.started - before.ended >= 0.3


async def test_crawl_delay_of_robots_txt_is_honoured(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    site = await sites.serve(many_pages(2), robots="User-agent: *\nCrawl-delay: 0.5\n")
    settings = settings.model_copy(update={"per_host_concurrency": 8})
    try:
        await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()
    pages = [hit for hit in site.hits if hit.path != "/robots.txt"]
    assert len(pages) == 3
    assert max(hit.concurrent for hit in site.hits) == 1
    for before, after in zip(pages, pages[1:], strict=False):
        assert after.started - before.ended >= 0.5
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT crawl_delay FROM hosts")
    assert stored == 0.5


async def test_two_workers_share_a_crawl_without_stacking_on_a_host(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    from archivestream.crawler import jobs, search, storage, worker

    second = await sites.serve(many_pages(8))
    first = await sites.serve(
        {**many_pages(8), "/": slow_page("Home", *[f"/p{i}" for i in range(8)], second.url("/"))}
    )
    settings = settings.model_copy(update={"concurrency": 8, "per_host_concurrency": 1})
    crawl_id = await jobs.create_crawl(pool, settings, [first.url("/")])
    store = storage.open_storage(settings)
    backend = search.open_search(settings, pool)
    try:
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    worker.Worker(settings, pool, store, backend, worker_id=name).run(
                        asyncio.Event(), until_drained=crawl_id
                    )
                    for name in ("one", "two")
                )
            ),
            60,
        )
    finally:
        await store.close()
        await first.close()
        await second.close()

    progress = await jobs.crawl_progress(pool, crawl_id)
    assert progress.done == 18 and progress.pages == 18
    for site in (first, second):
        assert max(hit.concurrent for hit in site.hits) == 1
        pages = [hit.path for hit in site.hits if hit.path != "/robots.txt"]
        assert len(pages) == len(set(pages)) == 9
