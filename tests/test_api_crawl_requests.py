"""POST /crawl creates a crawl job (202 with its id) or refuses bad input with 400."""

from __future__ import annotations

import uuid

import archived_samples
import pytest
from aiohttp.test_utils import TestClient


@pytest.fixture
async def api(pool, settings):
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def test_a_good_request_creates_a_crawl_with_its_seed_queued(api: TestClient, pool) -> None:
    response = await api.post(
        "/crawl", json={"url": "https://Example.COM:443/docs/#intro", "max_pages": 5}
    )
    assert response.status == 202
    crawl_id = uuid.UUID((await response.json())["id"])

    crawl = await pool.fetchrow(
        "SELECT seeds, max_pages, max_depth FROM crawls WHERE id = $1", crawl_id
    )
    assert crawl["max_pages"] == 5 and crawl["max_depth"] == 20
    seed = await pool.fetchrow("SELECT url, status FROM frontier WHERE crawl_id = $1", crawl_id)
    assert seed["url"] == "https://example.com/docs/"
    assert seed["status"] == "queued"


async def test_region_and_depth_are_kept(api: TestClient, pool) -> None:
    # A region is known once one of its workers has sent a heartbeat.
    await pool.execute("INSERT INTO regions (name, last_heartbeat) VALUES ('eu-west-1', now())")
    response = await api.post(
        "/crawl", json={"url": "http://example.com/", "max_depth": 2, "region": "eu-west-1"}
    )
    assert response.status == 202
    crawl_id = uuid.UUID((await response.json())["id"])
    row = await pool.fetchrow("SELECT region, max_depth FROM crawls WHERE id = $1", crawl_id)
    assert (row["region"], row["max_depth"]) == ("eu-west-1", 2)


async def test_an_unknown_region_is_400_naming_the_known_ones(api: TestClient, pool) -> None:
    await pool.execute("INSERT INTO regions (name, last_heartbeat) VALUES ('us-east-1', now())")
    response = await api.post("/crawl", json={"url": "http://example.com/", "region": "nowhere"})
    assert response.status == 400
    reason = (await response.json())["error"]
    assert "unknown region 'nowhere'" in reason and "known: us-east-1" in reason
    assert await pool.fetchval("SELECT count(*) FROM crawls") == 0


@pytest.mark.parametrize(
    "body, words",
    [
        ({"url": "ftp://example.com/"}, "not http or https"),
        ({"url": "mailto:someone@example.com"}, "not http or https"),
        ({"url": "http://example.com/" + "a" * 2100}, "longer than 2048"),
        ({"url": "http://exa mple.com/"}, "invalid URL"),
        ({"url": "example.com"}, "invalid URL"),
        ({"url": 42}, "url"),
        ({"url": "http://example.com/", "max_pages": "5"}, "max_pages"),
        ({"url": "http://example.com/", "max_pages": 0}, "max_pages"),
        ({"url": "http://example.com/", "max_depth": -1}, "max_depth"),
        ({"url": "http://example.com/", "region": "Not A Region"}, "region"),
        ({"url": "http://example.com/", "colour": "blue"}, "colour"),
        ({}, "url"),
        (["http://example.com/"], "JSON object"),
    ],
)
async def test_bad_requests_are_400_with_a_reason(api: TestClient, pool, body, words) -> None:
    response = await api.post("/crawl", json=body)
    assert response.status == 400
    assert words in (await response.json())["error"]
    assert await pool.fetchval("SELECT count(*) FROM crawls") == 0


async def test_a_body_that_is_not_json_is_400(api: TestClient) -> None:
    response = await api.post(
        "/crawl", data=b"{url: nope", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "not JSON" in (await response.json())["error"]


async def test_an_oversized_body_is_refused_with_json(api: TestClient) -> None:
    response = await api.post("/crawl", data=b"{" + b" " * 200_000 + b"}")
    assert response.status in (400, 413)
    assert "error" in await response.json()
