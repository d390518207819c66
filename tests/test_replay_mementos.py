"""/web/{timestamp}/{url} replays the capture nearest in time with Memento headers,
rewrites HTML links into the archive, serves id_ byte for byte, resolves revisits and
replays captured redirects as redirects into the archive."""

from __future__ import annotations

import gzip

import archived_samples
import pytest
from aiohttp.test_utils import TestClient
from archived_samples import Sample, at

PAGE = "http://example.com/page"
OLD = Sample(
    PAGE,
    at("20240101000000"),
    b'<html><head><title>Old</title></head><body><a href="/next">next</a></body></html>',
    title="Old",
)
NEW = Sample(PAGE, at("20240301000000"), b"<html><body><p>new</p></body></html>")
ZIPPED_BODY = gzip.compress(b"<html><body><a href='/z'>zipped</a></body></html>")
ZIPPED = Sample(
    "http://example.com/zipped",
    at("20240101000000"),
    ZIPPED_BODY,
    headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
)
COPY = Sample(
    "http://example.com/copy",
    at("20240201000000"),
    headers=[("Content-Type", "text/html; charset=utf-8"), ("X-Seen", "again")],
    revisit_of=OLD,
)
MOVED = Sample(
    "http://example.com/moved",
    at("20240101000000"),
    status=301,
    headers=[("Location", "/page")],
)


@pytest.fixture
async def api(pool, settings):
    await archived_samples.archive(pool, settings, [OLD, NEW, ZIPPED, COPY, MOVED])
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def test_nearest_capture_with_memento_headers(api: TestClient) -> None:
    response = await api.get(f"/web/20240115000000/{PAGE}", allow_redirects=False)
    assert response.status == 200
    assert response.headers["Memento-Datetime"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert response.headers["Content-Location"].endswith(f"/web/20240101000000/{PAGE}")
    link = response.headers["Link"]
    assert f'<{PAGE}>; rel="original"' in link
    assert f'/timemap/link/{PAGE}>; rel="timemap"' in link
    assert 'rel="memento"; datetime="Mon, 01 Jan 2024 00:00:00 GMT"' in link
    assert "<title>Old</title>" in await response.text()

    later = await api.get(f"/web/20240220000000/{PAGE}")
    assert later.headers["Memento-Datetime"] == "Fri, 01 Mar 2024 00:00:00 GMT"
    assert "new" in await later.text()


async def test_html_links_point_back_into_the_archive(api: TestClient) -> None:
    response = await api.get(f"/web/20240101000000/{PAGE}")
    assert 'href="/web/20240101000000/http://example.com/next"' in await response.text()
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_id_mode_serves_the_payload_byte_for_byte_with_its_content_coding(
    api: TestClient,
) -> None:
    response = await api.get(
        "/web/20240101000000id_/http://example.com/zipped",
        headers={"Accept-Encoding": "identity"},
        auto_decompress=False,
    )
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert await response.read() == ZIPPED_BODY


async def test_gzip_html_is_decoded_before_rewriting_without_id(api: TestClient) -> None:
    response = await api.get("/web/20240101000000/http://example.com/zipped")
    assert "Content-Encoding" not in response.headers
    assert "/web/20240101000000/http://example.com/z" in await response.text()


async def test_a_revisit_replays_the_original_payload_with_its_own_headers(
    api: TestClient,
) -> None:
    response = await api.get("/web/20240201000000id_/http://example.com/copy")
    assert response.status == 200
    assert await response.read() == OLD.body
    assert response.headers["X-Seen"] == "again"
    assert response.headers["Memento-Datetime"] == "Thu, 01 Feb 2024 00:00:00 GMT"


async def test_a_captured_redirect_replays_as_a_redirect_into_the_archive(
    api: TestClient,
) -> None:
    response = await api.get("/web/20240101000000/http://example.com/moved", allow_redirects=False)
    assert response.status == 301
    assert response.headers["Location"] == "/web/20240101000000/http://example.com/page"


async def test_timegate_redirects_to_the_memento_nearest_accept_datetime(
    api: TestClient,
) -> None:
    response = await api.get(
        f"/web/{PAGE}",
        headers={"Accept-Datetime": "Wed, 03 Jan 2024 00:00:00 GMT"},
        allow_redirects=False,
    )
    assert response.status == 302
    assert response.headers["Location"].endswith(f"/web/20240101000000/{PAGE}")
    assert response.headers["Vary"] == "accept-datetime"


async def test_nothing_archived_is_a_404_with_a_reason(api: TestClient) -> None:
    response = await api.get("/web/2024/http://never.example.org/")
    assert response.status == 404
    assert "not archived" in (await response.json())["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/web/garbage/http://example.com/page",
        "/web/20241399/http://example.com/page",
        "/web/123456789012345/http://example.com/page",
        "/web/2024/ftp://example.com/page",
        "/web/2024/http://",
    ],
)
async def test_bad_timestamps_and_urls_are_400_with_a_reason(api: TestClient, path: str) -> None:
    response = await api.get(path)
    assert response.status == 400
    assert (await response.json())["error"]


async def test_a_percent_encoded_url_segment_is_understood(api: TestClient) -> None:
    response = await api.get("/web/20240101000000id_/http%3A%2F%2Fexample.com%2Fpage")
    assert response.status == 200
    assert await response.read() == OLD.body
