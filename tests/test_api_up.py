"""`archivestream up` in one process: the API takes a crawl request, the embedded
crawler worker fetches it into WARC files, and the API finds and replays the captures;
SIGTERM stops both cleanly."""

from __future__ import annotations

import asyncio
import gzip
import os
import signal

import aiohttp
import capture_site
import pytest
from loopback import free_port

from archivestream.api import server

PATHS = ["/gzip", "/redirect", "/same/1", "/same/2"]
WAIT_SECONDS = 90


async def cdx_lines(http: aiohttp.ClientSession, api: str, url: str) -> list[str]:
    async with http.get(f"{api}/cdx", params={"url": url, "matchType": "prefix"}) as response:
        assert response.status == 200
        return (await response.text()).splitlines()


@pytest.fixture
async def site():
    async with capture_site.running() as base:
        yield base


async def test_up_archives_a_requested_site_and_replays_it(pool, settings, site) -> None:
    settings = settings.model_copy(
        update={"api_port": free_port(), "warc_max_age_seconds": 1, "heartbeat_seconds": 1}
    )
    api = f"http://127.0.0.1:{settings.api_port}"
    started = asyncio.Event()
    serving = asyncio.create_task(server.serve(settings, with_crawler=True, started=started))
    await asyncio.wait_for(started.wait(), timeout=60)
    try:
        async with aiohttp.ClientSession(auto_decompress=False) as http:
            for path in PATHS:
                async with http.post(f"{api}/crawl", json={"url": site + path}) as response:
                    assert response.status == 202, await response.text()

            # Captures appear once the worker closes its WARC file; wait for all of them.
            lines: list[str] = []
            for _ in range(WAIT_SECONDS * 4):
                lines = await cdx_lines(http, api, site + "/")
                if len(lines) >= len(PATHS) + 1:  # the redirect's target too
                    break
                await asyncio.sleep(0.25)
            urls = {line.split('"url": "', 1)[1].split('"', 1)[0] for line in lines}
            assert {site + p for p in [*PATHS, "/page/1"]} <= urls

            async with http.get(f"{api}/web/2030id_/{site}/gzip") as response:
                assert response.status == 200
                assert response.headers["Content-Encoding"] == "gzip"
                assert gzip.decompress(await response.read()).startswith(b"<html><title>Compr")
                assert response.headers["Memento-Datetime"].endswith("GMT")

            for path in ("/same/1", "/same/2"):
                async with http.get(f"{api}/web/2030id_/{site}{path}") as response:
                    assert response.status == 200
                    assert await response.read() == capture_site.SAME_HTML

            async with http.get(
                f"{api}/web/2030/{site}/redirect", allow_redirects=False
            ) as response:
                assert response.status == 302
                location = response.headers["Location"]
                assert location.startswith("/web/") and location.endswith(f"/{site}/page/1")

            async with http.get(f"{api}/metrics") as response:
                text = await response.text()
                assert "archivestream_pages_crawled_total{" in text
                assert 'archivestream_frontier_depth{region="local"}' in text
    finally:
        # Only while serve() holds the handler: an unhandled SIGTERM would end pytest.
        if not serving.done():
            os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(serving, timeout=60)
    assert serving.exception() is None
