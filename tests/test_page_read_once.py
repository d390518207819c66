"""A page read once gives the same links and text as reading it twice did, whatever its
content coding; a payload too big to decode still gives the links of its first part."""

from __future__ import annotations

import gzip

from archivestream.crawler import links, page, text

PAGE = (
    "<html><head><title>Le café</title><link rel=stylesheet href=style.css>"
    "<script>var x = '<a href=/not-a-link>';</script></head>"
    "<body><h1>Menu</h1><a href='/menu.html#top'>menu</a>"
    "<img src='crème.png'><p>Crème brûlée</p></body></html>"
)
URL = "http://example.com/cafe/index.html"


def headers(encoding: str | None = None) -> list[tuple[str, str]]:
    found = [("Content-Type", "text/html; charset=utf-8")]
    if encoding:
        found.append(("Content-Encoding", encoding))
    return found


def test_one_reading_gives_what_two_parses_gave() -> None:
    body = PAGE.encode()
    reading = page.read(body, headers(), URL, want_links=True, want_text=True)
    assert reading.links == links.extract(body, URL)
    assert reading.links == links.Links(
        navigation=["http://example.com/menu.html"],
        embeds=["http://example.com/cafe/style.css", "http://example.com/cafe/cr%C3%A8me.png"],
    )
    assert reading.text == text.extract(body, headers())
    assert reading.text == text.PageText(title="Le café", text="Menu menu Crème brûlée")


def test_a_compressed_page_is_decoded_once_for_both() -> None:
    reading = page.read(
        gzip.compress(PAGE.encode()), headers("gzip"), URL, want_links=True, want_text=True
    )
    assert "http://example.com/menu.html" in reading.links.navigation
    assert reading.text is not None and reading.text.title == "Le café"


def test_only_what_is_wanted_is_read() -> None:
    body = PAGE.encode()
    unread = page.read(body, headers(), URL, want_links=False, want_text=True).links
    assert unread == links.Links()
    assert page.read(body, headers(), URL, want_links=True, want_text=False).text is None


def test_a_page_too_big_to_decode_keeps_the_links_of_its_start() -> None:
    # Past the decoding cap there is no search text, but the link cap still applies.
    big = b"<a href='/first.html'>x</a>" + b" " * (text.MAX_DECODED_BYTES + 1)
    reading = page.read(
        gzip.compress(big, 1), headers("gzip"), URL, want_links=True, want_text=True
    )
    assert reading.text is None
    assert reading.links.navigation == ["http://example.com/first.html"]


async def test_page_work_reads_in_the_reading_thread() -> None:
    from datetime import UTC, datetime

    from archivestream.crawler.fetcher import Fetched

    fetched = Fetched(
        url=URL,
        status=200,
        reason="OK",
        http_version="1.1",
        request_headers=[],
        response_headers=headers(),
        payload=PAGE.encode(),
        started_at=datetime.now(UTC),
    )
    work = page.PageWork(fetched, want_links=True)
    work.start(want_text=True)
    assert await work.links() == links.extract(PAGE.encode(), URL)
    assert (await work.text()).title == "Le café"

    links_only = page.PageWork(fetched, want_links=True)
    links_only.start(want_text=False)
    assert (await links_only.text()).text == "Menu menu Crème brûlée"
    assert await page.PageWork(fetched, want_links=False).links() == links.Links()
