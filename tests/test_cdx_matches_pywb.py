"""pywb, run as its own server over the same WARC file, is the judge: our /cdx JSON
lines equal its CDX server's (less its own bookkeeping fields), and replaying a capture
with id_ gives the same status, payload bytes, Memento-Datetime and exact timestamp."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
from pathlib import Path

import aiohttp
import archived_samples
import capture_site
import pytest
from loopback import free_port

PATHS = ["/page/1", "/same/1", "/same/2", "/chunked", "/gzip", "/redirect", "/latin1"]
PYWB_ONLY = {"source", "source-coll", "access"}


def make_collection(warc_path: Path, collection: Path) -> None:
    """A pywb collection (found by convention, no config file) indexed by cdxj-indexer."""
    (collection / "archive").mkdir(parents=True)
    (collection / "indexes").mkdir()
    shutil.copy(warc_path, collection / "archive" / warc_path.name)
    index = capture_site.cdxj_indexer(warc_path, "--sort")
    (collection / "indexes" / "index.cdxj").write_text(index)


@contextlib.asynccontextmanager
async def pywb_serving(warc_path: Path, folder: Path):
    """pywb's `wayback` over one collection holding `warc_path`, indexed by
    cdxj-indexer; yields the collection's base URL."""
    await asyncio.to_thread(make_collection, warc_path, folder / "collections" / "judge")

    port = free_port()
    wayback = shutil.which("wayback") or str(Path(sys.executable).with_name("wayback"))
    process = await asyncio.create_subprocess_exec(
        wayback,
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        cwd=folder,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/judge"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(240):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/") as response:
                        if response.status < 500:
                            break
                await asyncio.sleep(0.25)
            else:
                pytest.fail("pywb's wayback server did not start")
        yield base
    finally:
        process.terminate()
        await process.wait()


@pytest.fixture
async def judged(pool, settings, tmp_path):
    """The capture site fetched into one indexed WARC, our API and pywb over it."""
    async with capture_site.running() as site:
        _, _, closed = await capture_site.write_file(settings, pool, [site + p for p in PATHS])
        await capture_site.index(pool, closed)
    path = settings.warc_dir / closed.filename
    async with archived_samples.serving(pool, settings) as api:
        async with pywb_serving(path, tmp_path / "pywb") as pywb:
            yield site, api, pywb


async def test_cdx_json_lines_equal_pywb_cdx_server(judged) -> None:
    site, api, pywb = judged
    params = {"url": site + "/", "matchType": "prefix", "output": "json"}

    ours = await api.get("/cdx", params=params)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{pywb}/cdx", params=params) as response:
            assert response.status == 200
            theirs = [json.loads(line) for line in (await response.text()).splitlines()]

    mine = [json.loads(line) for line in (await ours.text()).splitlines()]
    assert len(theirs) == len(PATHS)
    assert mine == [{k: v for k, v in line.items() if k not in PYWB_ONLY} for line in theirs]


async def test_id_replay_equals_pywb_byte_for_byte(judged) -> None:
    site, api, pywb = judged
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        for path in PATHS:
            wanted = f"/2030id_/{site}{path}"
            async with http.get(pywb + wanted, allow_redirects=False) as response:
                their_status = response.status
                their_body = await response.read()
                their_headers = response.headers.copy()
            ours = await api.get("/web" + wanted, allow_redirects=False, auto_decompress=False)
            assert ours.status == their_status, path
            assert ours.headers["Memento-Datetime"] == their_headers["Memento-Datetime"], path
            exact = their_headers["Content-Location"].split("/judge", 1)[1]
            assert ours.headers["Content-Location"].endswith("/web" + exact), path
            if their_status == 200:
                assert await ours.read() == their_body, path
                assert ours.headers.get("Content-Encoding") == their_headers.get(
                    "Content-Encoding"
                ), path
