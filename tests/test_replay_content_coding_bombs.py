"""Replay undoes a page's content coding only within a bound: a gzip or brotli payload that
inflates past it is served as stored, byte for byte, never inflated in memory."""

from __future__ import annotations

import gzip

import aiohttp
import archived_samples
import brotli
import pytest
from archived_samples import Sample, at

from archivestream.api import replay

# One byte past the rewrite bound once decoded; a few kilobytes as stored.
INFLATED = b"<p>" + b" " * (replay.REWRITE_MAX_BYTES + 1)


COMPRESS = {
    "br": lambda data: brotli.compress(data, quality=1),
    "gzip": lambda data: gzip.compress(data, compresslevel=1),
}


@pytest.mark.parametrize("coding", sorted(COMPRESS))
async def test_a_bomb_is_served_as_stored(pool, settings, coding: str) -> None:
    payload = COMPRESS[coding](INFLATED)
    assert len(payload) < 1024 * 1024
    url = f"http://bomb.example/{coding}"
    await archived_samples.archive(
        pool,
        settings,
        [
            Sample(
                url=url,
                when=at("20240102030405"),
                body=payload,
                headers=[*archived_samples.HTML, ("Content-Encoding", coding)],
            )
        ],
    )
    async with (
        archived_samples.serving(pool, settings) as client,
        # The stored bytes as sent: this test's client must not inflate the bomb either.
        aiohttp.ClientSession(auto_decompress=False) as raw,
        raw.get(client.make_url(f"/web/20240102030405/{url}")) as response,
    ):
        body = await response.read()
        status, encoding = response.status, response.headers.get("Content-Encoding")

    assert status == 200
    assert body == payload
    assert encoding == coding


async def test_a_page_within_the_bound_is_decoded_and_rewritten(pool, settings) -> None:
    page = b'<a href="/next">next</a>'
    url = "http://small.example/"
    await archived_samples.archive(
        pool,
        settings,
        [
            Sample(
                url=url,
                when=at("20240102030405"),
                body=brotli.compress(page),
                headers=[*archived_samples.HTML, ("Content-Encoding", "br")],
            )
        ],
    )
    async with archived_samples.serving(pool, settings) as client:
        response = await client.get(f"/web/20240102030405/{url}")
        body = await response.text()

    assert response.status == 200
    assert "Content-Encoding" not in response.headers
    assert "/web/20240102030405/http://small.example/next" in body
