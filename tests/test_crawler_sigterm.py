"""`archivestream crawler` stops on SIGTERM: it finishes the fetches in flight, records
its WARC file and gives back every lease."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import asyncpg
import cli_process
import crawl_sites as sites

from archivestream.core.settings import Settings
from archivestream.crawler import jobs


async def test_sigterm_is_a_graceful_stop(
    pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    first_request = asyncio.Event()

    slow = sites.slow(0.5, sites.page("Slow"), started=first_request)
    pages = {f"/slow{i}": slow for i in range(30)}
    site = await sites.serve({"/": sites.page("Home", *pages), **pages})
    crawl_id = await jobs.create_crawl(pool, settings, [site.url("/")])
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "ARCHIVESTREAM_DATA_DIR": str(tmp_path / "data"),
        "ARCHIVESTREAM_POLITENESS_DELAY": "0",
        "ARCHIVESTREAM_PER_HOST_CONCURRENCY": "2",
        "ARCHIVESTREAM_METRICS_PORT": "0",
    }
    process = await cli_process.start("crawler", "--log-level", "WARNING", env=env)
    try:
        await asyncio.wait_for(first_request.wait(), 60)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
        await site.close()

    assert process.returncode == 0, err.decode()
    progress = await jobs.crawl_progress(pool, crawl_id)
    leased, hosts, workers = await sites.leases_left(pool)
    # What was in flight finished and is recorded; what was not waits in the queue.
    assert progress.done >= 2
    assert progress.pages == progress.done
    assert progress.in_flight == 0 and progress.fetched == 0
    assert progress.queued == 31 - progress.done
    assert leased == 0 and hosts == 0 and workers == 0
    assert list((tmp_path / "data" / "warcs").glob("*.warc.gz"))
