"""Replay of less tidy captures: a Latin-1 page, a style sheet, a capture whose WARC
file has gone, a resource with no content type, a HEAD request."""

from __future__ import annotations

import archived_samples
import pytest
from aiohttp.test_utils import TestClient
from archived_samples import Sample, at

TS = "20240101000000"
LATIN = Sample(
    "http://example.com/cafe",
    at(TS),
    "<html><body><a href='/menu'>Café crème</a></body></html>".encode("latin-1"),
    headers=[("Content-Type", "text/html; charset=ISO-8859-1")],
)
CSS = Sample(
    "http://example.com/css/site.css",
    at(TS),
    b"body { background: url('../img/bg.png') }",
    headers=[("Content-Type", "text/css")],
)
BLOB = Sample("http://example.com/blob", at(TS), b"\x00\x01\x02", headers=[])
GONE = Sample("http://example.com/gone", at(TS), b"<p>gone</p>")


@pytest.fixture
async def api(pool, settings):
    await archived_samples.archive(pool, settings, [LATIN, CSS, BLOB])
    await archived_samples.archive(pool, settings, [GONE], name="gone.warc.gz")
    (settings.warc_dir / "gone.warc.gz").unlink()
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def test_a_latin1_page_is_decoded_rewritten_and_served_as_utf8(api: TestClient) -> None:
    response = await api.get(f"/web/{TS}/http://example.com/cafe")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    text = (await response.read()).decode("utf-8")
    assert "Café crème" in text
    assert f"/web/{TS}/http://example.com/menu" in text


async def test_style_sheets_are_rewritten_relative_to_their_own_url(api: TestClient) -> None:
    response = await api.get(f"/web/{TS}/http://example.com/css/site.css")
    assert f"url('/web/{TS}/http://example.com/img/bg.png')" in await response.text()


async def test_a_payload_without_content_type_is_served_as_stored(api: TestClient) -> None:
    response = await api.get(f"/web/{TS}/http://example.com/blob")
    assert response.status == 200
    assert await response.read() == b"\x00\x01\x02"


async def test_a_missing_warc_file_is_a_502_with_a_reason(api: TestClient) -> None:
    response = await api.get(f"/web/{TS}/http://example.com/gone")
    assert response.status == 502
    assert "cannot be read" in (await response.json())["error"]


async def test_head_gives_the_memento_headers_without_a_body(api: TestClient) -> None:
    response = await api.head(f"/web/{TS}/http://example.com/cafe")
    assert response.status == 200
    assert response.headers["Memento-Datetime"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert await response.read() == b""
