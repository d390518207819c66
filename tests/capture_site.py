"""A small site on 127.0.0.1 for the WARC and index tests, and fetching through the
crawler's own fetcher, so records are written from real HTTP exchanges.

Pages: `/page/{n}` (HTML, distinct text), `/same/{n}` (one identical payload under many
URLs), `/chunked` (chunked transfer coding), `/gzip` (gzip content coding), `/redirect`
(302 with an empty body), `/big` (a few MB of binary), `/latin1` (Latin-1 HTML).

`write_file` writes fetched pages into one closed WARC file the way a local worker does,
`index` records that file's captures, and `cdxj_indexer` is the outside judge of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from archivestream.core.settings import Settings
from archivestream.crawler import canonical, captures, fetcher, search, storage, warc
from archivestream.crawler.dedup import Deduplicator
from archivestream.crawler.fetcher import Fetched

SAME_HTML = (
    b"<html><head><title>Shared page</title></head>"
    b"<body><p>This text is served under many URLs.</p></body></html>"
)
BIG_BYTES = 3 * 1024 * 1024


def page_html(n: int) -> bytes:
    return (
        f"<html><head><title>Page {n}</title><style>p {{color: red}}</style></head>"
        f"<body><h1>Heading {n}</h1><p>Distinct words for page number {n}: "
        f"{'zebra' if n % 2 else 'giraffe'} harbour lighthouse.</p>"
        f"<script>var hidden = 'scriptword';</script></body></html>"
    ).encode()


def big_payload() -> bytes:
    # Incompressible-ish and deterministic.
    block = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(2048))
    return (block * (BIG_BYTES // len(block) + 1))[:BIG_BYTES]


async def _page(request: web.Request) -> web.Response:
    n = int(request.match_info["n"])
    return web.Response(body=page_html(n), content_type="text/html", charset="utf-8")


async def _same(request: web.Request) -> web.Response:
    return web.Response(body=SAME_HTML, content_type="text/html")


async def _chunked(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for part in (b"<html><title>Chunked</title><body>", b"in pieces ", b"arrived</body></html>"):
        await response.write(part)
    await response.write_eof()
    return response


async def _gzip(request: web.Request) -> web.Response:
    body = gzip.compress(b"<html><title>Compressed</title><body>squeezed words</body></html>")
    return web.Response(
        body=body, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
    )


async def _redirect(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": "/page/1"})


async def _big(request: web.Request) -> web.Response:
    return web.Response(body=request.app["big"], content_type="application/octet-stream")


async def _latin1(request: web.Request) -> web.Response:
    body = "<html><title>Café crème</title><body>déjà vu</body></html>".encode("latin-1")
    return web.Response(body=body, headers={"Content-Type": "text/html; charset=ISO-8859-1"})


@contextlib.asynccontextmanager
async def running() -> AsyncIterator[str]:
    """Serve the site on 127.0.0.1 (a free port); yields its base URL."""
    app = web.Application()
    app["big"] = big_payload()
    app.router.add_get("/page/{n}", _page)
    app.router.add_get("/same/{n}", _same)
    app.router.add_get("/chunked", _chunked)
    app.router.add_get("/gzip", _gzip)
    app.router.add_get("/redirect", _redirect)
    app.router.add_get("/big", _big)
    app.router.add_get("/latin1", _latin1)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def fetch_all(settings: Settings, urls: list[str]) -> list[Fetched]:
    """Fetch `urls` with the crawler's fetcher, concurrently, in order of `urls`."""
    async with fetcher.open_session(settings) as session:
        return list(await asyncio.gather(*(fetcher.fetch(session, settings, u) for u in urls)))


def warcio_check(path: Path) -> subprocess.CompletedProcess:
    """`warcio check -v` on a file: the outside judge of every WARC file we write."""
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True,
        text=True,
    )


def warc_writer(
    settings: Settings, pool: asyncpg.Pool, *, store: storage.Storage | None = None, **extra: Any
) -> warc.WarcWriter:
    """The crawler's WARC writer as local worker w1 runs it, deduplicating through `pool`."""
    return warc.WarcWriter(
        store or storage.open_storage(settings),
        settings,
        region="local",
        worker_id="w1",
        dedup=Deduplicator(pool),
        **extra,
    )


async def write_file(
    settings: Settings,
    pool: asyncpg.Pool,
    urls: list[str],
    *,
    store: storage.Storage | None = None,
) -> tuple[uuid.UUID, list[warc.WrittenRecord], warc.ClosedWarc]:
    """Fetch `urls` and write them, in order, into one closed WARC file of a new crawl."""
    writer = warc_writer(settings, pool, store=store)
    crawl_id = uuid.uuid4()
    written = [
        await writer.write(f, crawl_id=crawl_id, surt=canonical.surt_key(f.url))
        for f in await fetch_all(settings, urls)
    ]
    closed = await writer.close()
    assert closed is not None
    return crawl_id, written, closed


async def index(pool: asyncpg.Pool, closed: warc.ClosedWarc) -> None:
    """Record the file's captures in one transaction, as the crawler does after storing it."""
    async with pool.acquire() as conn, conn.transaction():
        await captures.record(conn, closed, search.DatabaseSearch(pool))


def cdxj_indexer(path: Path, *options: str) -> str:
    """What cdxj-indexer (the outside judge of our index) writes for a WARC file."""
    done = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", *options, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout
