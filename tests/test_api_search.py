"""/api/v1/search returns matching captures with replay links; bad input is 400."""

from __future__ import annotations

import archived_samples
import pytest
from aiohttp.test_utils import TestClient
from archived_samples import Sample, at

LIGHTHOUSE = Sample(
    "http://example.com/lighthouse",
    at("20240102030405"),
    b"<html><title>Lighthouse keeping</title><body>The lighthouse keeper</body></html>",
    title="Lighthouse keeping",
)
HARBOUR = Sample(
    "http://example.com/harbour",
    at("20240102030406"),
    b"<html><title>Harbour</title><body>Boats in the harbour</body></html>",
    title="Harbour",
)


@pytest.fixture
async def api(pool, settings):
    await archived_samples.archive(pool, settings, [LIGHTHOUSE, HARBOUR])
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def test_hits_carry_title_timestamp_snippet_and_replay_url(api: TestClient) -> None:
    response = await api.get("/api/v1/search", params={"q": "lighthouse"})
    assert response.status == 200
    body = await response.json()
    assert body["total"] == 1
    [hit] = body["results"]
    assert hit["url"] == LIGHTHOUSE.url
    assert hit["title"] == "Lighthouse keeping"
    assert hit["timestamp"] == "20240102030405"
    assert "lighthouse" in hit["snippet"].lower()
    base = str(api.make_url("")).rstrip("/")
    assert hit["replay_url"] == f"{base}/web/20240102030405/{LIGHTHOUSE.url}"

    replay = await api.get(hit["replay_url"].removeprefix(base))
    assert replay.status == 200


async def test_limit_and_offset_page_through_results(api: TestClient) -> None:
    first = await (
        await api.get("/api/v1/search", params={"q": "harbour OR lighthouse", "limit": "1"})
    ).json()
    second = await (
        await api.get(
            "/api/v1/search", params={"q": "harbour OR lighthouse", "limit": "1", "offset": "1"}
        )
    ).json()
    assert first["total"] == second["total"] == 2
    assert {first["results"][0]["url"], second["results"][0]["url"]} == {
        LIGHTHOUSE.url,
        HARBOUR.url,
    }


async def test_no_match_is_an_empty_page(api: TestClient) -> None:
    body = await (await api.get("/api/v1/search", params={"q": "zeppelin"})).json()
    assert body == {"results": [], "total": 0}


@pytest.mark.parametrize(
    "params, words",
    [
        ({}, "q is required"),
        ({"q": "  "}, "q is required"),
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": "x", "limit": "1000000"}, "limit"),
        ({"q": "x", "limit": "ten"}, "limit"),
        ({"q": "x", "offset": "-1"}, "offset"),
        ({"q": "x" * 600}, "longer than"),
    ],
)
async def test_bad_search_input_is_400(api: TestClient, params, words) -> None:
    response = await api.get("/api/v1/search", params=params)
    assert response.status == 400
    assert words in (await response.json())["error"]
