"""/cdx answers, line for line, what cdxj-indexer writes for the same WARC file (the
file written by the crawler's own WARC writer from real HTTP exchanges)."""

from __future__ import annotations

import json

import archived_samples
import capture_site
import pytest
from aiohttp.test_utils import TestClient

PATHS = ["/page/1", "/page/2", "/same/1", "/same/2", "/chunked", "/gzip", "/redirect"]


@pytest.fixture
async def api(pool, settings):
    async with archived_samples.serving(pool, settings) as client:
        yield client


@pytest.fixture
async def crawled(settings, pool):
    """The capture site fetched into one closed, indexed WARC file."""
    async with capture_site.running() as site:
        _, _, closed = await capture_site.write_file(settings, pool, [site + p for p in PATHS])
        await capture_site.index(pool, closed)
        yield site, settings.warc_dir / closed.filename


def indexer_lines(path) -> list[str]:
    return capture_site.cdxj_indexer(path).splitlines()


async def test_cdxj_lines_equal_cdxj_indexer_output(api: TestClient, crawled) -> None:
    site, path = crawled
    response = await api.get("/cdx", params={"url": site + "/", "matchType": "prefix"})
    assert response.status == 200
    ours = (await response.text()).splitlines()

    judged = indexer_lines(path)
    assert len(judged) == len(PATHS)
    assert sorted(ours) == sorted(judged)
    # pywb's order: SURT, then time.
    assert ours == sorted(ours, key=lambda line: line.split(" ", 2)[:2])


async def test_json_output_has_the_same_fields_plus_urlkey_and_timestamp(
    api: TestClient, crawled
) -> None:
    site, path = crawled
    response = await api.get("/cdx", params={"url": site + "/same/2", "output": "json"})
    assert response.status == 200
    [line] = (await response.text()).splitlines()
    ours = json.loads(line)

    [judged] = [entry for entry in indexer_lines(path) if "/same/2" in entry.split(" ", 2)[2]]
    urlkey, timestamp, fields = judged.split(" ", 2)
    assert ours == {"urlkey": urlkey, "timestamp": timestamp, **json.loads(fields)}
    assert ours["mime"] == "warc/revisit"
    assert list(ours) == [
        "urlkey",
        "timestamp",
        "url",
        "mime",
        "status",
        "digest",
        "length",
        "offset",
        "filename",
    ]
