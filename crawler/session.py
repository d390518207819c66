"""`archivestream crawl`: one crawl on this machine, from seeds to an indexed archive.

Starts (or joins) the embedded database under the data folder, applies the migrations,
creates the crawl and runs a worker until the crawl's frontier is drained or its page
limit is reached, then prints a summary. On a terminal a single progress line is
refreshed while it runs; when the output is not a terminal nothing is shown until the
summary. An invalid seed or pattern ends it at once with one line and exit code 2.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

import typer

from archivestream.core import shutdown
from archivestream.core.settings import Settings
from archivestream.crawler import jobs

PROGRESS_SECONDS = 0.5


async def crawl_command(
    settings: Settings,
    urls: list[str],
    *,
    max_pages: int | None = None,
    max_depth: int = 20,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
) -> int:
    """Run one crawl to its end; the exit code: 0 done (failed URLs are in the summary),
    2 invalid seed or pattern, 130 interrupted."""
    from archivestream.crawler import backends, worker

    include, exclude = include or [], exclude or []
    try:
        jobs.validate_seeds(urls, include=include, exclude=exclude)
    except jobs.InvalidSeed as error:
        typer.echo(f"archivestream crawl: {error}", err=True)
        return 2

    began = time.monotonic()
    async with backends.opened(settings, writing=True) as parts:
        pool = parts.pool
        crawl_id = await jobs.create_crawl(
            pool,
            settings,
            urls,
            max_pages=max_pages,
            max_depth=max_depth,
            include=include,
            exclude=exclude,
        )
        crawler = worker.Worker(settings, pool, parts.store, parts.search)
        progress = None
        if sys.stdout.isatty():
            progress = asyncio.create_task(_show_progress(pool, crawl_id, began))
        try:
            with shutdown.stop_event() as stop:
                await crawler.run(stop, until_drained=crawl_id)
        finally:
            if progress is not None:
                progress.cancel()
                typer.echo("\r\033[K", nl=False)

        result = await jobs.crawl_progress(pool, crawl_id)

    _print_summary(result, time.monotonic() - began, interrupted=stop.is_set())
    if stop.is_set():
        return 130
    return 0


async def _show_progress(pool, crawl_id: uuid.UUID, began: float) -> None:
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        try:
            now = await jobs.crawl_progress(pool, crawl_id)
        except Exception:  # a progress line is never worth a crash
            continue
        line = (
            f"\r\033[Kcrawling: {now.done + now.fetched} fetched, {now.queued} queued, "
            f"{now.in_flight} in flight, {now.failed} failed, "
            f"{time.monotonic() - began:.0f} s"
        )
        typer.echo(line, nl=False)


def _print_summary(result: jobs.CrawlProgress, elapsed: float, *, interrupted: bool) -> None:
    state = "interrupted" if interrupted else "finished"
    typer.echo(f"crawl {result.crawl_id} {state} in {elapsed:.1f} s")
    typer.echo(
        f"pages: {result.pages}  WARC bytes: {result.bytes}  failures: {result.failed}  "
        f"deduplicated payloads: {result.revisits}  WARC files: {result.warc_files}"
    )
    if result.unfinished:
        typer.echo(
            f"left in the frontier: {result.unfinished} "
            "(a running worker, as in `archivestream up`, takes them up)"
        )
    for reason, count in result.failures.items():
        typer.echo(f"  failed {count}: {reason}")
