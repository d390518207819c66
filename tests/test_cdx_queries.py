"""/cdx match types, time bounds, limits, sort orders, and refusals of bad queries."""

from __future__ import annotations

import json

import archived_samples
import pytest
from aiohttp.test_utils import TestClient
from archived_samples import Sample, at

SAMPLES = [
    Sample("http://example.com/", at("20230101000000")),
    Sample("http://example.com/a/1", at("20230601000000")),
    Sample("http://example.com/a/1", at("20240601000000")),
    Sample("http://example.com/a/2", at("20240101000000")),
    Sample("http://sub.example.com/x", at("20240101000000")),
    Sample("http://example.org/", at("20240101000000")),
]


@pytest.fixture
async def api(pool, settings):
    await archived_samples.archive(pool, settings, SAMPLES)
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def _lines(api: TestClient, **params: str) -> list[tuple[str, str]]:
    response = await api.get("/cdx", params=params)
    assert response.status == 200, await response.text()
    return [tuple(line.split(" ", 2)[:2]) for line in (await response.text()).splitlines()]


async def test_match_types_select_as_pywb_does(api: TestClient) -> None:
    exact = await _lines(api, url="http://example.com/a/1")
    assert exact == [
        ("com,example)/a/1", "20230601000000"),
        ("com,example)/a/1", "20240601000000"),
    ]
    prefix = await _lines(api, url="http://example.com/a/", matchType="prefix")
    assert {key for key, _ in prefix} == {"com,example)/a/1", "com,example)/a/2"}
    assert await _lines(api, url="example.com/a/*") == prefix
    host = await _lines(api, url="http://example.com/", matchType="host")
    assert {key for key, _ in host} == {"com,example)/", "com,example)/a/1", "com,example)/a/2"}
    domain = await _lines(api, url="example.com", matchType="domain")
    assert {key for key, _ in domain} == {key for key, _ in host} | {"com,example,sub)/x"}
    assert await _lines(api, url="*.example.com") == domain


async def test_from_to_limit_and_sort(api: TestClient) -> None:
    host = {"url": "example.com", "matchType": "domain"}
    in_2024 = await _lines(api, **host, **{"from": "2024", "to": "2024"})
    assert {ts[:4] for _, ts in in_2024} == {"2024"} and len(in_2024) == 3
    assert len(await _lines(api, **host, limit="2")) == 2
    reverse = await _lines(api, url="http://example.com/a/1", sort="reverse")
    assert [ts for _, ts in reverse] == ["20240601000000", "20230601000000"]
    closest = await _lines(
        api, url="http://example.com/a/1", sort="closest", closest="20240501", limit="1"
    )
    assert closest == [("com,example)/a/1", "20240601000000")]


async def test_json_output_is_one_object_per_line(api: TestClient) -> None:
    response = await api.get("/cdx", params={"url": "http://example.com/", "output": "json"})
    [entry] = [json.loads(line) for line in (await response.text()).splitlines()]
    assert entry["urlkey"] == "com,example)/"
    assert entry["timestamp"] == "20230101000000"
    assert entry["status"] == "200" and entry["mime"] == "text/html"


async def test_nothing_archived_is_an_empty_answer(api: TestClient) -> None:
    assert await _lines(api, url="http://nothing.example.net/") == []


@pytest.mark.parametrize(
    "params, words",
    [
        ({}, "url is required"),
        ({"url": "ftp://example.com/"}, "not http or https"),
        ({"url": "http://example.com/" + "a" * 3000}, "longer than"),
        ({"url": "http://example.com/", "output": "xml"}, "output"),
        ({"url": "http://example.com/", "matchType": "regex"}, "matchType"),
        ({"url": "http://example.com/", "limit": "10000000000"}, "limit"),
        ({"url": "http://example.com/", "limit": "many"}, "limit"),
        ({"url": "http://example.com/", "from": "yesterday"}, "from"),
        ({"url": "http://example.com/", "to": "20241399"}, "to"),
        ({"url": "http://example.com/", "sort": "closest"}, "closest"),
        ({"url": "http://example.com/", "sort": "random"}, "sort"),
        ({"url": "http://exa\x00mple.com/"}, "control"),
    ],
)
async def test_bad_queries_are_400_with_a_reason(api: TestClient, params, words) -> None:
    response = await api.get("/cdx", params=params)
    assert response.status == 400
    assert words in (await response.json())["error"]
