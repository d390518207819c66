"""A whole crawl of a generated site: pages, assets, duplicates, redirects, all indexed."""

from __future__ import annotations

import asyncpg
import crawl_sites as sites
import pytest

from archivestream.core.settings import Settings
from archivestream.crawler import search


@pytest.fixture
async def site():
    same = "<html><body>same payload everywhere</body></html>"
    routes = {
        "/": sites.page("Home", "/a", "/b", "/dup1", "/dup2", "/moved", "/style.css"),
        "/a": sites.page("Page A", "/", "/a/deeper", body="apples and pears"),
        "/a/deeper": sites.page("Deeper", "/a"),
        "/b": sites.page("Page B", "http://other.invalid/outside"),
        "/dup1": same,
        "/dup2": same,
        "/moved": sites.redirect("/target"),
        "/target": sites.page("Target", body="redirect target"),
        "/style.css": "body { color: black }",
    }
    served = await sites.serve(routes)
    yield served
    await served.close()


async def test_site_is_crawled_whole_and_indexed(
    pool: asyncpg.Pool, settings: Settings, site: sites.Site
) -> None:
    progress = await sites.run_crawl(pool, settings, [site.url("/")])

    assert progress.failed == 0, progress.failures
    assert progress.unfinished == 0
    # 9 pages plus the redirect's target: every in-scope URL once.
    assert progress.done == 9
    assert progress.revisits == 1
    assert progress.status == "finished"
    assert site.count("/a/deeper") == 1
    assert site.count("/robots.txt") == 1
    async with pool.acquire() as conn:
        urls = {r["url"] for r in await conn.fetch("SELECT url FROM captures")}
        statuses = dict(await conn.fetch("SELECT url, status FROM captures"))
        hosts_held = await conn.fetchval(
            "SELECT count(*) FROM hosts WHERE lease_owner IS NOT NULL"
        )
    assert site.url("/target") in urls
    assert statuses[site.url("/moved")] == 302
    assert not any("other.invalid" in url for url in urls)
    assert hosts_held == 0

    hits = await search.open_search(settings, pool).query("apples")
    assert [hit.url for hit in hits.hits] == [site.url("/a")]


async def test_second_crawl_fetches_again_and_stores_revisits(
    pool: asyncpg.Pool, settings: Settings, site: sites.Site
) -> None:
    first = await sites.run_crawl(pool, settings, [site.url("/")])
    second = await sites.run_crawl(pool, settings, [site.url("/")])

    assert second.done == first.done
    assert site.count("/a") == 2
    # Every payload of the second crawl was stored by the first: all revisits, except
    # the empty-bodied redirect, which is always written whole.
    assert second.revisits == second.pages - 1


async def test_crawler_metrics_count_pages_and_fetch_times(
    pool: asyncpg.Pool, settings: Settings, site: sites.Site
) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    captured = value("archivestream_pages_crawled_total", region="local", outcome="captured")
    fetches = value("archivestream_fetch_duration_seconds_count", region="local")
    files = value("archivestream_warc_files_closed_total", region="local")

    await sites.run_crawl(pool, settings, [site.url("/")])

    assert (
        value("archivestream_pages_crawled_total", region="local", outcome="captured") - captured
        == 9
    )
    assert value("archivestream_fetch_duration_seconds_count", region="local") - fetches == 9
    assert value("archivestream_warc_files_closed_total", region="local") - files == 1
