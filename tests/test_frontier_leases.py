"""Leases: a URL claimed by a worker that died is claimable again once its lease expires;
a worker that stops gives back what it holds."""

from __future__ import annotations

import asyncio

import asyncpg
import crawl_sites as sites
from test_frontier_claims import claim

from archivestream.core.settings import Settings
from archivestream.crawler import frontier, jobs, search, storage, worker


async def test_expired_lease_makes_the_url_claimable_again(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    await jobs.create_crawl(pool, settings, ["http://a.test/"])
    (dead,) = await claim(pool, "dead-worker", lease_seconds=0.2)
    assert await claim(pool, "live-worker") == []

    # Before expiry nothing is requeued; after it, the row and its host are free again.
    assert await frontier.requeue_expired(pool, ["local"], max_attempts=3) == 0
    await asyncio.sleep(0.3)
    assert await frontier.requeue_expired(pool, ["local"], max_attempts=3) == 1
    (again,) = await claim(pool, "live-worker")
    assert again.key == dead.key
    assert again.attempts == 2


async def test_a_url_that_keeps_killing_workers_fails(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    crawl = await jobs.create_crawl(pool, settings, ["http://a.test/"])
    for attempt in range(2):
        assert len(await claim(pool, f"doomed-{attempt}", lease_seconds=0.05)) == 1
        await asyncio.sleep(0.1)
        await frontier.requeue_expired(pool, ["local"], max_attempts=2)
    progress = await jobs.crawl_progress(pool, crawl)
    assert progress.failures == {"lease expired 2 times: its worker stopped": 1}


async def test_a_stopped_worker_records_its_file_and_releases_its_leases(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    started = asyncio.Event()

    slow = sites.slow(0.3, sites.page("Slow"), started=started)
    site = await sites.serve(
        {
            "/": sites.page("Home", *[f"/slow{i}" for i in range(20)]),
            **{f"/slow{i}": slow for i in range(20)},
        }
    )
    settings = settings.model_copy(update={"per_host_concurrency": 2})
    crawl_id = await jobs.create_crawl(pool, settings, [site.url("/")])
    store = storage.open_storage(settings)
    stop = asyncio.Event()
    crawler = worker.Worker(settings, pool, store, search.open_search(settings, pool))
    try:
        running = asyncio.create_task(crawler.run(stop, until_drained=crawl_id))
        await asyncio.wait_for(started.wait(), 10)
        stop.set()
        await asyncio.wait_for(running, 10)
    finally:
        await store.close()
        await site.close()

    progress = await jobs.crawl_progress(pool, crawl_id)
    leased, hosts, workers = await sites.leases_left(pool)
    # The fetches in flight finished and were recorded; the rest waits in the queue.
    assert progress.done >= 2
    assert progress.in_flight == 0 and progress.fetched == 0
    assert progress.queued == 21 - progress.done
    assert progress.pages == progress.done
    assert leased == 0 and hosts == 0 and workers == 0


async def test_rows_of_an_unrecorded_file_go_back_to_the_queue(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    crawl = await jobs.create_crawl(pool, settings, ["http://a.test/"])
    (row,) = await claim(pool, "w1")
    async with pool.acquire() as conn:
        await frontier.record(
            conn, [frontier.Outcome(key=row.key, kind="fetched")], worker_id="w1", max_attempts=3
        )
    # Another worker's requeue touches nothing it does not hold.
    await frontier.requeue(pool, "w2", [row.key])
    assert (await jobs.crawl_progress(pool, crawl)).fetched == 1

    await frontier.requeue(pool, "w1", [row.key])
    progress = await jobs.crawl_progress(pool, crawl)
    assert progress.fetched == 0 and progress.queued == 1
