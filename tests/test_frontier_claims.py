"""Frontier claims: once per crawl, leases, politeness per host, batches across hosts."""

from __future__ import annotations

import uuid

import asyncpg

from archivestream.core.settings import Settings
from archivestream.crawler import canonical, frontier, jobs


def new_url(url: str, depth: int = 1) -> frontier.NewURL:
    url = canonical.canonicalize(url)
    return frontier.NewURL(
        url=url, surt=canonical.surt_key(url), host=canonical.host_of(url), depth=depth
    )


async def add(pool: asyncpg.Pool, crawl_id: uuid.UUID, *urls: str, max_pages=None) -> int:
    async with pool.acquire() as conn:
        return await frontier.enqueue(
            conn, crawl_id, [new_url(u) for u in urls], region="local", max_pages=max_pages
        )


async def claim(pool: asyncpg.Pool, worker: str = "w1", **options) -> list[frontier.Claim]:
    defaults = dict(
        worker_id=worker,
        regions=["local"],
        limit=50,
        lease_seconds=60,
        politeness_delay=0,
    )
    defaults.update(options)
    return await frontier.claim(pool, **defaults)


async def test_a_url_is_stored_once_per_crawl(pool: asyncpg.Pool, settings: Settings) -> None:
    crawl = await jobs.create_crawl(pool, settings, ["http://a.test/"])
    added = await add(pool, crawl, "http://a.test/x", "http://A.test:80/x#frag", "http://a.test/")
    assert added == 1

    second = await jobs.create_crawl(pool, settings, ["http://a.test/"])
    assert await add(pool, second, "http://a.test/x") == 1


async def test_max_pages_caps_the_rows_of_a_crawl(pool: asyncpg.Pool, settings: Settings) -> None:
    crawl = await jobs.create_crawl(pool, settings, ["http://a.test/"], max_pages=3)
    added = await add(pool, crawl, *[f"http://a.test/{i}" for i in range(10)], max_pages=3)
    assert added == 2
    assert await add(pool, crawl, "http://a.test/more", max_pages=3) == 0
    progress = await jobs.crawl_progress(pool, crawl)
    assert progress.queued == 3


async def test_one_host_is_claimed_by_one_worker_one_url_at_a_time(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    crawl = await jobs.create_crawl(pool, settings, ["http://a.test/"])
    await add(pool, crawl, "http://a.test/1", "http://a.test/2", "http://b.test/1")

    first = await claim(pool, "w1")
    assert sorted(c.host for c in first) == ["a.test", "b.test"]
    # The hosts are leased to w1: another worker gets nothing while they are held.
    assert await claim(pool, "w2") == []
    # w1 itself may not stack a second fetch on a host it holds at capacity.
    assert await claim(pool, "w1", held={"a.test": 1, "b.test": 1}, busy_hosts=["a.test"]) == []


async def test_per_host_concurrency_applies_only_without_delay(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    crawl = await jobs.create_crawl(pool, settings, ["http://a.test/"])
    await add(pool, crawl, *[f"http://a.test/{i}" for i in range(10)])

    polite = await claim(pool, "w1", politeness_delay=1.0, per_host_concurrency=8)
    assert len(polite) == 1
    async with pool.acquire() as conn:
        await frontier.record(
            conn,
            [frontier.Outcome(key=polite[0].key, kind="release")],
            worker_id="w1",
            max_attempts=3,
        )
        await frontier.release_hosts(conn, "w1", {"a.test": 0}, politeness_delay=0)

    quick = await claim(pool, "w1", politeness_delay=0, per_host_concurrency=8)
    assert len(quick) == 8
    assert len({c.surt for c in quick}) == 8


async def test_released_host_waits_for_its_delay(pool: asyncpg.Pool, settings: Settings) -> None:
    crawl = await jobs.create_crawl(pool, settings, ["http://a.test/"])
    await add(pool, crawl, "http://a.test/1")
    (seed,) = [c for c in await claim(pool, "w1") if c.url == "http://a.test/"]
    async with pool.acquire() as conn:
        await frontier.record(
            conn, [frontier.Outcome(key=seed.key, kind="done")], worker_id="w1", max_attempts=3
        )
        await frontier.set_crawl_delays(conn, {"a.test": 30.0})
        await frontier.release_hosts(conn, "w1", {"a.test": 0}, politeness_delay=0)
        wait = await conn.fetchval(
            "SELECT extract(epoch FROM next_allowed_at - now()) FROM hosts WHERE host = 'a.test'"
        )
    # Crawl-delay 30 s: the host is not claimable now, by anyone.
    assert wait > 25
    assert await claim(pool, "w1") == []
    assert await claim(pool, "w2") == []


async def test_claims_spread_over_hosts_in_one_batch(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    crawl = await jobs.create_crawl(pool, settings, ["http://h0.test/"])
    await add(pool, crawl, *[f"http://h{i}.test/page" for i in range(1, 30)])
    claimed = await claim(pool, "w1", limit=20)
    assert len(claimed) == 20
    assert len({c.host for c in claimed}) == 20
