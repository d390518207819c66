"""GET /crawl/{id} reads a crawl job back: seeds, limits, counts and failure reasons;
an unknown id is 404 and an id that is not a UUID is 400, both with a JSON reason."""

from __future__ import annotations

import uuid
from datetime import datetime

import archived_samples
import crawl_sites as sites
import pytest
from aiohttp.test_utils import TestClient

from archivestream.crawler import jobs


@pytest.fixture
async def api(pool, settings):
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def test_a_created_crawl_reads_back_queued(api: TestClient) -> None:
    created = await api.post(
        "/crawl", json={"url": "http://Example.com/docs/#top", "max_pages": 5, "max_depth": 3}
    )
    assert created.status == 202
    crawl_id = (await created.json())["id"]

    response = await api.get(f"/crawl/{crawl_id}")

    assert response.status == 200
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["id"] == crawl_id
    assert body["status"] == "running"
    assert body["seeds"] == ["http://example.com/docs/"]
    assert (body["max_pages"], body["max_depth"], body["region"]) == (5, 3, "local")
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert body["finished_at"] is None
    assert body["counts"] == {
        "queued": 1,
        "in_flight": 0,
        "fetched": 0,
        "done": 0,
        "failed": 0,
        "pages": 0,
        "warc_bytes": 0,
        "revisits": 0,
        "warc_files": 0,
    }
    assert body["failures"] == []


async def test_a_finished_crawl_reads_back_its_counts_and_failure_reasons(
    api: TestClient, pool, settings
) -> None:
    same = "<html><body>the same payload twice</body></html>"
    site = await sites.serve(
        {
            "/": sites.page("Home", "/open", "/private/secret", "/dup1", "/dup2"),
            "/open": sites.page("Open"),
            "/private/secret": "never fetched",
            "/dup1": same,
            "/dup2": same,
        },
        robots="User-agent: *\nDisallow: /private\n",
    )
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()

    response = await api.get(f"/crawl/{progress.crawl_id}")

    assert response.status == 200
    body = await response.json()
    assert body["status"] == "finished"
    assert body["seeds"] == [site.url("/")]
    assert datetime.fromisoformat(body["finished_at"]) >= datetime.fromisoformat(
        body["created_at"]
    )
    counts = body["counts"]
    assert (counts["queued"], counts["in_flight"], counts["fetched"]) == (0, 0, 0)
    assert (counts["done"], counts["failed"]) == (4, 1)
    assert (counts["pages"], counts["revisits"], counts["warc_files"]) == (4, 1, 1)
    assert counts["warc_bytes"] > 0
    assert body["failures"] == [{"reason": "disallowed by robots.txt", "count": 1}]
    # The same figures as the crawler's own summary.
    assert counts["warc_bytes"] == progress.bytes


async def test_failures_are_most_frequent_first_and_at_most_twenty(
    api: TestClient, pool, settings
) -> None:
    crawl_id = await jobs.create_crawl(pool, settings, ["http://example.com/"])
    # 25 reasons: reason-00 failed 25 times, reason-01 24 times, ... reason-24 once.
    for rank in range(25):
        for copy in range(25 - rank):
            url = f"http://example.com/r{rank}/{copy}"
            await pool.execute(
                "INSERT INTO frontier (crawl_id, url, surt, host, depth, region, status,"
                " last_error) VALUES ($1, $2, $3, 'example.com', 1, 'local', 'failed', $4)",
                crawl_id,
                url,
                f"com,example)/r{rank}/{copy}",
                f"reason-{rank:02d}",
            )

    body = await (await api.get(f"/crawl/{crawl_id}")).json()

    assert body["counts"]["failed"] == sum(range(1, 26))
    assert body["failures"] == [
        {"reason": f"reason-{rank:02d}", "count": 25 - rank} for rank in range(20)
    ]


async def test_an_unknown_id_is_404_with_a_reason(api: TestClient) -> None:
    missing = uuid.uuid4()
    response = await api.get(f"/crawl/{missing}")
    assert response.status == 404
    assert response.content_type == "application/json"
    assert (await response.json())["error"] == f"no crawl with id {missing}"


@pytest.mark.parametrize("bad", ["42", "not-a-uuid", "3f2c1d9e-8a5b-4c7d-9e0f-1a2b3c4d5e6", "é"])
async def test_an_id_that_is_not_a_uuid_is_400_with_a_reason(api: TestClient, bad: str) -> None:
    response = await api.get(f"/crawl/{bad}")
    assert response.status == 400
    reason = (await response.json())["error"]
    assert "is not a crawl id" in reason and "UUID" in reason


async def test_reads_need_no_key_and_are_timed_by_route_template(pool, settings) -> None:
    keyed = settings.model_copy(update={"api_keys": ["k-one"]})
    async with archived_samples.serving(pool, keyed) as client:
        crawl_id = await jobs.create_crawl(pool, keyed, ["http://example.com/"])
        assert (await client.get(f"/crawl/{crawl_id}")).status == 200
        metrics = await (await client.get("/metrics")).text()
    assert 'route="/crawl/{id}"' in metrics
    assert str(crawl_id) not in metrics
