"""/cdx `fl` (the fields written, in order) and `filter` (which lines are kept, before
`limit`), checked on known samples and against pywb's own CDX server over one WARC."""

from __future__ import annotations

import json

import aiohttp
import archived_samples
import capture_site
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from archived_samples import Sample, at
from test_cdx_matches_pywb import PATHS, PYWB_ONLY, pywb_serving

from archivestream.api import capture_lookup, cdx

SAMPLES = [
    Sample("http://example.com/", at("20230101000000")),
    Sample("http://example.com/a/1", at("20230601000000")),
    Sample("http://example.com/a/1", at("20240601000000"), status=404),
    Sample(
        "http://example.com/a/2", at("20240101000000"), headers=[("Content-Type", "image/png")]
    ),
    Sample("http://example.com/a/3", at("20240201000000"), status=404),
    Sample("http://example.org/", at("20240101000000")),
]
SITE = {"url": "http://example.com/", "matchType": "host"}


@pytest.fixture
async def api(pool, settings):
    await archived_samples.archive(pool, settings, SAMPLES)
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def _json(api: TestClient, params: dict | list) -> list[dict]:
    response = await api.get("/cdx", params=[*SITE.items(), ("output", "json"), *_items(params)])
    assert response.status == 200, await response.text()
    return [json.loads(line) for line in (await response.text()).splitlines()]


def _items(params: dict | list) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, dict) else params


async def test_fl_selects_and_orders_json_fields(api: TestClient) -> None:
    lines = await _json(api, {"fl": "status,urlkey,timestamp"})
    assert [list(line) for line in lines] == [["status", "urlkey", "timestamp"]] * 5
    assert lines[0] == {"status": "200", "urlkey": "com,example)/", "timestamp": "20230101000000"}


async def test_fl_with_cdxj_keeps_key_and_time_before_the_named_fields(api: TestClient) -> None:
    response = await api.get("/cdx", params={**SITE, "fl": "status,urlkey,url", "limit": "1"})
    [line] = (await response.text()).splitlines()
    key, timestamp, block = line.split(" ", 2)
    assert (key, timestamp) == ("com,example)/", "20230101000000")
    assert json.loads(block) == {"status": "200", "url": "http://example.com/"}
    assert list(json.loads(block)) == ["status", "url"]


async def test_filter_kinds_and_negation(api: TestClient) -> None:
    def urls(lines: list[dict]) -> list[str]:
        return [line["url"].removeprefix("http://example.com") for line in lines]

    assert urls(await _json(api, {"filter": "status:40"})) == ["/a/1", "/a/3"]
    assert urls(await _json(api, {"filter": "=status:40"})) == []
    assert urls(await _json(api, {"filter": "=mime:image/png"})) == ["/a/2"]
    assert urls(await _json(api, {"filter": "~url:.*/a/[23]$"})) == ["/a/2", "/a/3"]
    # A regular expression matches from the start of the value, as re.match does.
    assert urls(await _json(api, {"filter": "~url:a/2"})) == []
    assert urls(await _json(api, {"filter": "!status:200"})) == ["/a/1", "/a/3"]
    assert urls(await _json(api, {"filter": "!~timestamp:2024"})) == ["/", "/a/1"]
    # pywb's short names: m is mime; with no field the whole CDXJ line is tested.
    assert urls(await _json(api, {"filter": "m:png"})) == ["/a/2"]
    assert urls(await _json(api, {"filter": "image/png"})) == ["/a/2"]


async def test_several_filters_must_all_hold(api: TestClient) -> None:
    both = await _json(api, [("filter", "status:404"), ("filter", "~timestamp:2024")])
    assert [(line["url"], line["timestamp"]) for line in both] == [
        ("http://example.com/a/1", "20240601000000"),
        ("http://example.com/a/3", "20240201000000"),
    ]


async def test_limit_counts_lines_after_filtering(api: TestClient) -> None:
    first = await _json(api, {"filter": "=status:404", "limit": "1"})
    assert [line["url"] for line in first] == ["http://example.com/a/1"]
    last = await _json(api, {"filter": "=status:404", "limit": "1", "sort": "reverse"})
    assert [line["url"] for line in last] == ["http://example.com/a/3"]
    nearest = await _json(
        api, {"filter": "=status:200", "sort": "closest", "closest": "20240115", "limit": "1"}
    )
    assert [line["url"] for line in nearest] == ["http://example.com/a/2"]


@pytest.mark.parametrize(
    "params, words",
    [
        ({"fl": "urlkey,original"}, "fl field 'original'"),
        ({"fl": "urlkey,,status"}, "fl field ''"),
        ({"filter": "statu:200"}, "filter field 'statu'"),
        ({"filter": "~url:(unclosed"}, "not a valid regular expression"),
        ({"filter": "~url:" + "a" * 2000}, "longer than"),
        ([("filter", "status:200")] * 17, "at most 16 filter"),
    ],
)
async def test_bad_fl_and_filter_are_400_with_a_reason(api: TestClient, params, words) -> None:
    response = await api.get("/cdx", params=[("url", "http://example.com/"), *_items(params)])
    assert response.status == 400
    assert words in (await response.json())["error"]


async def test_a_filter_reads_at_most_the_scan_cap(api: TestClient, pool) -> None:
    # The five captures of example.com, in order; the 404s are the third and the fifth.
    start, end = capture_lookup.search_range("example.com", "host")
    rule = cdx.cdx_fields.filters(["=status:404"])
    common = {"since": None, "until": None, "sort": None, "closest": None}

    found = await cdx.filtered(pool, start, end, rule, limit=1, scan_limit=3, **common)
    assert [c.url for c in found] == ["http://example.com/a/1"]
    with pytest.raises(web.HTTPBadRequest) as refused:
        await cdx.filtered(pool, start, end, rule, limit=2, scan_limit=4, **common)
    assert "read 4 captures" in json.loads(refused.value.text)["error"]
    everything = await cdx.filtered(pool, start, end, rule, limit=9, scan_limit=5, **common)
    assert len(everything) == 2


async def test_scan_pages_through_ties_once_each(pool, settings) -> None:
    same = [Sample("http://example.com/t", at("20240101000000")) for _ in range(5)]
    await archived_samples.archive(pool, settings, same)
    start, end = capture_lookup.search_range("http://example.com/t", "exact")
    for reverse in (False, True):
        seen = [
            c.offset async for c in capture_lookup.scan(pool, start, end, reverse=reverse, batch=2)
        ]
        assert len(seen) == 5 and len(set(seen)) == 5, reverse


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


QUERIES = [
    [("output", "json"), ("fl", "timestamp,status,url")],
    [("output", "json"), ("filter", "!status:200")],
    [("output", "json"), ("filter", "~url:.*/same/"), ("filter", "!=mime:text/plain")],
    [("output", "json"), ("filter", "=status:200"), ("limit", "2"), ("sort", "reverse")],
    [("output", "json"), ("filter", "same"), ("fl", "url,digest")],
    [("fl", "mime,urlkey,status"), ("filter", "~mimetype:text/")],
    [("filter", "!gzip"), ("limit", "3")],
]


async def test_fl_and_filter_answers_equal_pywb(judged) -> None:
    site, api, pywb = judged
    async with aiohttp.ClientSession() as http:
        for query in QUERIES:
            params = [("url", site + "/"), ("matchType", "prefix"), *query]
            async with http.get(f"{pywb}/cdx", params=params) as response:
                assert response.status == 200, query
                theirs = (await response.text()).splitlines()
            ours = await api.get("/cdx", params=params)
            mine = (await ours.text()).splitlines()

            assert theirs, query
            assert len(mine) == len(theirs), query
            for my_line, their_line in zip(mine, theirs, strict=True):
                assert _comparable(my_line) == _comparable(their_line), query


def _comparable(line: str) -> tuple[str, list]:
    """A JSON line or a CDXJ line's block, in order, less pywb's own bookkeeping fields."""
    prefix, _, block = line.partition("{")
    fields = json.loads("{" + block)
    return prefix, [(k, v) for k, v in fields.items() if k not in PYWB_ONLY]
