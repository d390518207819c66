"""Crawl targets for the tests: small generated websites served by aiohttp on 127.0.0.1,
and `run_crawl`, which crawls them with one real worker until the crawl is drained.

`Site` records every request it answers (path, time, concurrency at that moment), so
tests can judge politeness and retries from what the server saw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from aiohttp import web

from archivestream.core.settings import Settings
from archivestream.crawler import jobs, search, storage, worker

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Hit:
    path: str
    started: float
    ended: float = 0.0
    concurrent: int = 1


@dataclass
class Site:
    """A running test site: its base URL and what it was asked."""

    base: str
    runner: web.AppRunner
    hits: list[Hit] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def count(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit.path == path)

    async def close(self) -> None:
        await self.runner.cleanup()


async def serve(routes: dict[str, Handler | str | bytes], *, robots: str | None = "") -> Site:
    """Serve `routes` (path -> handler, or HTML text/bytes) on 127.0.0.1, a free port.

    `robots` is the robots.txt body (None: 404). Unknown paths answer 404.
    """
    site_box: list[Site] = []
    in_flight = 0

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight
        in_flight += 1
        hit = Hit(path=request.path_qs, started=time.monotonic(), concurrent=in_flight)
        site_box[0].hits.append(hit)
        try:
            return await handler(request)
        finally:
            in_flight -= 1
            hit.ended = time.monotonic()

    app = web.Application(middlewares=[record])

    def static(body: str | bytes, content_type: str = "text/html") -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            data = body.encode() if isinstance(body, str) else body
            return web.Response(body=data, content_type=content_type)

        return handler

    table: dict[str, Handler] = {}
    for path, answer in routes.items():
        table[path] = answer if callable(answer) else static(answer)
    if robots is not None and "/robots.txt" not in table:
        table["/robots.txt"] = static(robots, "text/plain")

    async def dispatch(request: web.Request) -> web.StreamResponse:
        handler = table.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)

    app.router.add_route("GET", "/{tail:.*}", dispatch)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    site = Site(base=f"http://127.0.0.1:{port}", runner=runner)
    site_box.append(site)
    return site


def static_text(body: str, content_type: str = "text/plain") -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(text=body, content_type=content_type)

    return handler


def static_bytes(body: bytes, content_type: str = "text/plain") -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, content_type=content_type)

    return handler


def page(title: str, *links: str, body: str = "") -> str:
    """An HTML page with a title, some text and links."""
    anchors = "".join(f'<a href="{link}">{link}</a> ' for link in links)
    return (
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>{body or title}</p>{anchors}</body></html>"
    )


def redirect(location: str, status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


def slow(seconds: float, answer: str = "slow", *, started: asyncio.Event | None = None) -> Handler:
    """Answers after `seconds`; sets `started` (if given) as each request comes in."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if started is not None:
            started.set()
        await asyncio.sleep(seconds)
        return web.Response(text=answer, content_type="text/html")

    return handler


async def leases_left(pool: asyncpg.Pool) -> tuple[int, int, int]:
    """URL leases, host leases and registered workers still in the database: all three
    are 0 once every worker has stopped cleanly."""
    async with pool.acquire() as conn:
        leased = await conn.fetchval("SELECT count(*) FROM frontier WHERE lease_owner IS NOT NULL")
        hosts = await conn.fetchval("SELECT count(*) FROM hosts WHERE lease_owner IS NOT NULL")
        workers = await conn.fetchval("SELECT count(*) FROM workers")
    return leased, hosts, workers


async def run_crawl(pool: asyncpg.Pool, settings: Settings, seeds: list[str], **options) -> object:
    """Create a crawl of `seeds` and run one worker until it is drained; its progress."""
    crawl_id = await jobs.create_crawl(pool, settings, seeds, **options)
    backend = search.open_search(settings, pool)
    store = storage.open_storage(settings)
    try:
        crawler = worker.Worker(settings, pool, store, backend, worker_id="e2e")
        await asyncio.wait_for(crawler.run(asyncio.Event(), until_drained=crawl_id), 60)
    finally:
        await store.close()
    return await jobs.crawl_progress(pool, crawl_id)
