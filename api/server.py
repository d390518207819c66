"""Running the API: `archivestream api` (against DATABASE_URL and friends) and
`archivestream up` (the API and a crawler worker in one process, on the embedded
defaults). Opens the pool, WARC storage and search backend once, migrates the embedded
database, serves on `api_host:api_port`, and on SIGINT or SIGTERM stops the worker
(which closes its WARC file and releases its leases), then the server, then the rest.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiohttp import web

from archivestream.api import app as app_module
from archivestream.api import context
from archivestream.core import shutdown
from archivestream.core.settings import Settings
from archivestream.crawler import backends

log = structlog.get_logger("archivestream.api")

SHUTDOWN_GRACE_SECONDS = 10.0


async def serve(
    settings: Settings, *, with_crawler: bool, started: asyncio.Event | None = None
) -> None:
    """Serve until SIGINT or SIGTERM; `started` is set once the port is open."""
    # `up` also writes WARC files (through its worker); the API reads every region's.
    async with backends.opened(
        settings, writing=with_crawler, component="api", recorded=True
    ) as parts:
        await _serve(settings, parts, with_crawler, started)


async def _serve(
    settings: Settings,
    parts: backends.Backends,
    with_crawler: bool,
    started: asyncio.Event | None,
) -> None:
    archive = context.ArchiveContext(
        settings=settings, pool=parts.pool, storage=parts.store, search=parts.search
    )
    runner = web.AppRunner(
        app_module.create_app(archive),
        access_log=None,
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.api_host, settings.api_port)
        try:
            await site.start()
        except OSError as error:
            raise SystemExit(
                f"archivestream: cannot listen on {settings.api_host}:{settings.api_port}: "
                f"{error.strerror or error}; choose another with --port"
            ) from None

        with shutdown.stop_event() as stop:
            await _until_stopped(settings, parts, with_crawler, started, stop)
        log.info("api stopping", host=settings.api_host, port=settings.api_port)
    finally:
        await runner.cleanup()


async def _until_stopped(
    settings: Settings,
    parts: backends.Backends,
    with_crawler: bool,
    started: asyncio.Event | None,
    stop: asyncio.Event,
) -> None:
    crawling: asyncio.Task[None] | None = None
    if with_crawler:
        from archivestream.crawler import worker

        crawling = asyncio.create_task(
            worker.Worker(settings, parts.pool, parts.store, parts.search).run(stop)
        )
    log.info(
        "api listening",
        host=settings.api_host,
        port=settings.api_port,
        crawler=with_crawler,
        region=settings.region,
    )
    if started is not None:
        started.set()
    try:
        if crawling is not None:
            # A worker that dies takes the process down rather than serving stale.
            await asyncio.wait(
                [crawling, asyncio.create_task(stop.wait())],
                return_when=asyncio.FIRST_COMPLETED,
            )
            stop.set()
            await crawling
        else:
            await stop.wait()
    finally:
        if crawling is not None and not crawling.done():
            crawling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await crawling
