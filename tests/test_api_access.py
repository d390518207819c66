"""API keys guard POST /crawl (reads stay open) and a fixed-window rate limit, kept in
the rate_limits table, answers 429 with Retry-After."""

from __future__ import annotations

import archived_samples
import pytest
from aiohttp.test_utils import TestClient

from archivestream.api import access

SEED = {"url": "http://example.com/"}


@pytest.fixture
async def keyed(pool, settings):
    settings = settings.model_copy(update={"api_keys": ["k-one", "k-two"], "api_rate_limit": 2})
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def test_without_a_key_crawl_requests_are_401_and_reads_stay_open(keyed: TestClient):
    response = await keyed.post("/crawl", json=SEED)
    assert response.status == 401
    assert "API key" in (await response.json())["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    wrong = await keyed.post("/crawl", json=SEED, headers={"X-API-Key": "nope"})
    assert wrong.status == 401
    assert (await keyed.get("/health")).status == 200
    assert (await keyed.get("/cdx", params={"url": "http://example.com/"})).status == 200


async def test_bearer_and_x_api_key_both_work(keyed: TestClient) -> None:
    bearer = await keyed.post("/crawl", json=SEED, headers={"Authorization": "Bearer k-one"})
    assert bearer.status == 202
    header = await keyed.post("/crawl", json=SEED, headers={"X-API-Key": "k-two"})
    assert header.status == 202


async def test_over_the_limit_is_429_with_retry_after_per_key(keyed: TestClient, pool) -> None:
    one = {"Authorization": "Bearer k-one"}
    assert (await keyed.post("/crawl", json=SEED, headers=one)).status == 202
    assert (await keyed.post("/crawl", json=SEED, headers=one)).status == 202
    refused = await keyed.post("/crawl", json=SEED, headers=one)
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "try again" in (await refused.json())["error"]

    # Another key has its own window; the key itself is never stored.
    other = await keyed.post("/crawl", json=SEED, headers={"X-API-Key": "k-two"})
    assert other.status == 202
    keys = [row["key"] for row in await pool.fetch("SELECT key FROM rate_limits")]
    assert len(keys) == 2 and not any("k-one" in key for key in keys)


async def test_fixed_window_resets_and_old_windows_are_dropped(pool) -> None:
    window = 60
    assert (
        await access.count_request(pool, "ip:1", limit=1, window_seconds=window, now=120) is None
    )
    wait = await access.count_request(pool, "ip:1", limit=1, window_seconds=window, now=150)
    assert wait == 30
    assert (
        await access.count_request(pool, "ip:1", limit=1, window_seconds=window, now=180) is None
    )
    assert await pool.fetchval("SELECT count(*) FROM rate_limits WHERE key = 'ip:1'") == 1
