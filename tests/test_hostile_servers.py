"""Hostile and broken servers: each URL ends captured or failed with a reason, the crawl
goes on and finishes. The servers write raw bytes on asyncio sockets."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable

import asyncpg
import crawl_sites as sites
import pytest

from archivestream.core.settings import Settings

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A TCP server on 127.0.0.1 answering robots.txt with 404 and anything else with
    `behaviour`, byte by byte as the test wrote it."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET /robots.txt "):
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    continue
                self.requests += 1
                await self.behaviour(reader, writer)
                return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def endless_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
    chunk = b"x" * 65536
    for _ in range(100_000):  # ~6 GB if nobody stops reading
        writer.write(chunk)
        await writer.drain()


async def malformed_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nThis line is no header\r\n\x00\x01: \xff\r\n\r\nbody")
    await writer.drain()


async def slow_drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(10_000):
        writer.write(b"<")
        await writer.drain()
        await asyncio.sleep(0.1)


async def connection_reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # SO_LINGER 0: close() sends a RST instead of a FIN.
    import socket
    import struct

    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


BOMB = gzip.compress(b"<html><body>" + b"\0" * (32 * 1024 * 1024), compresslevel=6)


async def gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
        + f"Content-Length: {len(BOMB)}\r\n\r\n".encode()
        + BOMB
    )
    await writer.drain()


async def wrong_charset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    body = "<html><head><title>Caf\xe9 cr\xe8me</title></head><body>na\xefve</body></html>"
    data = body.encode("latin-1") + b"\xff\xfe\xc3"
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8-but-not-really\r\n"
        + f"Content-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    await writer.drain()


CASES = {
    "endless": endless_body,
    "malformed": malformed_headers,
    "drip": slow_drip,
    "reset": connection_reset,
    "bomb": gzip_bomb,
    "charset": wrong_charset,
}


EXPECTED = {
    "endless": ("done", "body truncated at 262144 bytes"),
    "malformed": ("failed", "malformed HTTP response: Invalid header token"),
    "drip": ("failed", "timed out"),
    "reset": ("failed", "gave up after 2 attempts"),
    # Content coding is kept: the bomb is stored as the few KB that were sent, and
    # decompression for links and text stops at a cap.
    "bomb": ("done", ""),
    "charset": ("done", ""),
}


def hostile_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "max_body_bytes": 256 * 1024,
            "total_timeout": 1.0,
            "read_timeout": 0.8,
            "max_attempts": 2,
            "retry_base_seconds": 0.01,
        }
    )


async def crawl_with(
    pool: asyncpg.Pool, settings: Settings, routes: dict, *hostile_urls: str
) -> tuple[sites.Site, dict[str, tuple[str, str]], set[str]]:
    site = await sites.serve(
        {"/": sites.page("Home", *hostile_urls, "/good"), "/good": "still crawled", **routes}
    )
    try:
        progress = await sites.run_crawl(pool, hostile_settings(settings), [site.url("/")])
    finally:
        await site.close()
    assert progress.unfinished == 0
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT url, status, last_error FROM frontier")
        captured = {r["url"] for r in await conn.fetch("SELECT url FROM captures")}
    state = {r["url"]: (r["status"], r["last_error"] or "") for r in rows}
    # The crawl went on past the hostile server.
    assert state[site.url("/good")] == ("done", "")
    assert site.url("/good") in captured
    return site, state, captured


@pytest.mark.parametrize("case", sorted(CASES))
async def test_hostile_server_is_recorded_and_the_crawl_goes_on(
    pool: asyncpg.Pool, settings: Settings, case: str
) -> None:
    server = RawServer(CASES[case])
    url = await server.start() + f"/{case}"
    try:
        _, state, captured = await crawl_with(pool, settings, {}, url)
    finally:
        await server.close()

    status, reason = state[url]
    expected_status, fragment = EXPECTED[case]
    assert status == expected_status, reason
    assert fragment in reason
    assert "\n" not in reason
    assert (url in captured) == (status == "done")
    if expected_status == "failed" and case != "malformed":
        assert "gave up after 2 attempts" in reason
        # aiohttp itself retries once when a reused connection is reset.
        assert server.requests >= 2


async def test_redirect_loop_ends_as_a_recorded_failure(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    routes = {"/loop-a": sites.redirect("/loop-b"), "/loop-b": sites.redirect("/loop-a")}
    site, state, captured = await crawl_with(pool, settings, routes, "/loop-a")

    status, reason = state[site.url("/loop-b")]
    assert status == "failed"
    assert reason == (
        f"redirect loop: {site.url('/loop-a')} -> {site.url('/loop-b')} -> {site.url('/loop-a')}"
    )
    # Every hop was captured.
    assert {site.url("/loop-a"), site.url("/loop-b")} <= captured


async def test_endless_redirect_chain_stops_at_max_redirects(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    async def onwards(request):
        step = int(request.query.get("n", "0"))
        return await sites.redirect(f"/chain?n={step + 1}")(request)

    settings = settings.model_copy(update={"max_redirects": 3})
    site, state, _ = await crawl_with(pool, settings, {"/chain": onwards}, "/chain?n=0")

    failed = [(url, reason) for url, (status, reason) in state.items() if status == "failed"]
    assert failed == [(site.url("/chain?n=3"), "more than 3 redirects in a row (max_redirects)")]
