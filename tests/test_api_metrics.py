"""/metrics: frontier gauges per region from the database, request durations by route
template (never the raw path), and the database pool gauges."""

from __future__ import annotations

import uuid

import archived_samples
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from archivestream.core import pool_metrics

STATES = {"eu": {"queued": 3, "in_flight": 1, "fetched": 1, "done": 2}, "us": {"queued": 1}}


async def fill_frontier(pool) -> None:
    crawl_id = uuid.uuid4()
    n = 0
    for region, states in STATES.items():
        for status, count in states.items():
            for _ in range(count):
                n += 1
                await pool.execute(
                    "INSERT INTO frontier (crawl_id, surt, url, host, region, status)"
                    " VALUES ($1, $2, $3, 'example.com', $4, $5)",
                    crawl_id,
                    f"com,example)/{n}",
                    f"http://example.com/{n}",
                    region,
                    status,
                )


@pytest.fixture
async def api(pool, settings):
    await fill_frontier(pool)
    pool_metrics.track(pool, "api")
    async with archived_samples.serving(pool, settings) as client:
        yield client
    pool_metrics.untrack("api")


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_frontier_gauges_are_one_value_per_region(api: TestClient) -> None:
    response = await api.get("/metrics")
    assert response.status == 200
    found = samples(await response.text())
    assert found[("archivestream_frontier_depth", (("region", "eu"),))] == 3
    assert found[("archivestream_frontier_depth", (("region", "us"),))] == 1
    assert found[("archivestream_frontier_in_flight", (("region", "eu"),))] == 2
    assert found[("archivestream_frontier_in_flight", (("region", "us"),))] == 0


async def test_request_durations_are_labelled_by_route_template(api: TestClient) -> None:
    await api.get("/web/2024/http://example.com/some/raw/path")
    await api.get("/no/such/route")
    text = await (await api.get("/metrics")).text()
    routes = {
        dict(labels).get("route")
        for name, labels in samples(text)
        if name == "archivestream_api_request_duration_seconds_count"
    }
    assert "/web/{tail}" in routes
    assert "unmatched" in routes
    assert not any("raw/path" in route for route in routes)
    assert (
        "archivestream_api_request_duration_seconds_count",
        (("method", "GET"), ("route", "/web/{tail}"), ("status", "404")),
    ) in samples(text)


async def test_pool_gauges_report_size_and_use(api: TestClient, settings) -> None:
    found = samples(await (await api.get("/metrics")).text())
    assert found[("archivestream_db_pool_size", (("component", "api"),))] == settings.db_pool_size
    in_use = found[("archivestream_db_pool_connections_in_use", (("component", "api"),))]
    assert 0 <= in_use <= settings.db_pool_size


async def test_frontier_health_lists_each_region(api: TestClient, pool) -> None:
    await pool.execute("INSERT INTO regions (name, last_heartbeat) VALUES ('eu', now())")
    await pool.execute(
        "INSERT INTO regions (name, last_heartbeat) VALUES ('us', now() - interval '1 hour')"
    )
    body = await (await api.get("/api/health/frontier")).json()
    regions = {entry["region"]: entry for entry in body["regions"]}
    assert regions["eu"] | {"last_heartbeat": None} == {
        "region": "eu",
        "depth": 3,
        "in_flight": 2,
        "crawled": 2,
        "failed": 0,
        "last_heartbeat": None,
        "up": True,
    }
    assert regions["eu"]["last_heartbeat"] is not None
    assert regions["us"]["depth"] == 1 and regions["us"]["up"] is False
