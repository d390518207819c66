"""One fetch as it happened: headers in order as sent and received, content coding kept,
redirects not followed, the body capped, the user agent configurable."""

from __future__ import annotations

import gzip

import crawl_sites as sites
import pytest
from aiohttp import web

from archivestream.core.settings import Settings
from archivestream.crawler import fetcher


async def fetch(settings: Settings, handler: sites.Handler, **options) -> fetcher.Fetched:
    site = await sites.serve({"/x": handler})
    try:
        async with fetcher.open_session(settings) as session:
            return await fetcher.fetch(session, settings, site.url("/x"), **options)
    finally:
        await site.close()


async def test_response_headers_are_kept_raw_and_in_order() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.Response(text="ok")
        response.headers.add("X-Zebra", "1")
        response.headers.add("set-cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        response.headers.add("X-Alpha", "2")
        return response

    fetched = await fetch(Settings(), handler)
    names = [name for name, _ in fetched.response_headers]
    assert names.index("X-Zebra") < names.index("set-cookie") < names.index("Set-Cookie")
    assert names.index("Set-Cookie") < names.index("X-Alpha")
    assert [v for n, v in fetched.response_headers if n.lower() == "set-cookie"] == ["a=1", "b=2"]
    assert fetched.status == 200 and fetched.reason == "OK" and fetched.http_version == "1.1"
    assert fetched.ip == "127.0.0.1"
    assert fetched.started_at.tzinfo is not None


async def test_request_headers_are_those_sent_with_the_user_agent() -> None:
    seen = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.update(request.headers)
        return web.Response(text="ok")

    fetched = await fetch(Settings(user_agent="TestBot/9 (+http://test)"), handler)
    sent = dict(fetched.request_headers)
    assert sent["User-Agent"] == "TestBot/9 (+http://test)" == seen["User-Agent"]
    assert sent["Accept-Encoding"] == "gzip"
    assert sent["Host"] == seen["Host"]
    assert set(seen) <= set(sent)


async def test_content_coding_is_kept_in_the_payload() -> None:
    html = b"<html><body>" + b"compressible " * 1000 + b"</body></html>"
    packed = gzip.compress(html)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=packed, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}
        )

    fetched = await fetch(Settings(), handler)
    assert fetched.payload == packed
    assert fetcher.decoded_payload(fetched, max_bytes=10**6) == html
    assert fetcher.decoded_payload(fetched, max_bytes=100) == html[:100]


async def test_chunked_transfer_coding_is_removed() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b"first,", b"second,", b"third"):
            await response.write(part)
        await response.write_eof()
        return response

    fetched = await fetch(Settings(), handler)
    assert fetched.payload == b"first,second,third"


async def test_redirects_are_not_followed() -> None:
    fetched = await fetch(Settings(), sites.redirect("/elsewhere", status=301))
    assert fetched.status == 301
    assert fetched.header("location") == "/elsewhere"
    assert fetched.payload == b""


async def test_a_body_over_the_cap_is_truncated() -> None:
    fetched = await fetch(Settings(max_body_bytes=1000), sites.static_bytes(b"y" * 200_000))
    assert fetched.truncated
    assert fetched.payload == b"y" * 1000


async def test_nothing_listening_is_a_retryable_error() -> None:
    site = await sites.serve({})
    url = site.url("/x")
    await site.close()
    async with fetcher.open_session(Settings()) as session:
        with pytest.raises(fetcher.FetchError) as error:
            await fetcher.fetch(session, Settings(), url)
    assert error.value.retryable
    assert error.value.reason.startswith("cannot connect")


def test_retry_after_in_seconds_or_as_a_date() -> None:
    from datetime import UTC, datetime

    def answer(value: str) -> fetcher.Fetched:
        return fetcher.Fetched(
            url="http://a/",
            status=429,
            reason="",
            http_version="1.1",
            request_headers=[],
            response_headers=[("Retry-After", value)],
            payload=b"",
            started_at=datetime.now(UTC),
        )

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert fetcher.retry_after_seconds(answer("120"), now=now) == 120
    assert fetcher.retry_after_seconds(answer("Thu, 01 Jan 2026 12:00:30 GMT"), now=now) == 30
    assert fetcher.retry_after_seconds(answer("soon"), now=now) is None
