"""One fetched HTML page read once: its links and its search text from a single parse;
and the references of a fetched stylesheet.

Undoing the content coding, decoding the charset and parsing are most of a crawl's CPU
time, so a page is decoded and parsed once and both `links` and `text` read that one
tree (links first: text extraction strips elements from the tree).

The reading runs in one thread of its own, off the event loop (see `_reader`).
A stylesheet's references are read there too (`stylesheet_links`): all of them are
embeds, resolved against the stylesheet's own URL.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from selectolax.lexbor import LexborHTMLParser

from archivestream.crawler import fetcher, links, stylesheet, text

if TYPE_CHECKING:
    from archivestream.crawler.fetcher import Fetched

# Links are looked for in the first 8 MiB of decoded HTML: enough for any real page, and
# the cap that keeps a gzip bomb from filling memory.
MAX_LINK_BYTES = 8 * 1024 * 1024
# ONE reading thread. lexbor parses without the GIL, so a parse overlaps the event loop;
# the rest of a reading (walking the links, cleaning the text) is Python holding the
# GIL. Measured on 2 cores (bench/crawl_vs_wget.py): one thread beat two threads, and
# beat one or two processes, whose pickling and start-up cost more than they saved.
_reader = ThreadPoolExecutor(1, thread_name_prefix="page-reader")


@dataclass(frozen=True)
class Reading:
    """What a page gave: the canonical URLs it links to and its search text (None when
    not wanted, or when the payload cannot be decoded)."""

    links: links.Links
    text: text.PageText | None


def read(
    payload: bytes,
    headers: list[tuple[str, str]],
    page_url: str,
    *,
    want_links: bool,
    want_text: bool,
) -> Reading:
    """Read a page (blocking: `PageWork` runs it in the reading thread)."""
    coding = fetcher.header(headers, "content-encoding")
    body = text.decode_content(payload, coding)
    if body is None:
        # Too big, corrupt or an unknown coding: no search text, but the links of what
        # can be decoded, as far as the link cap.
        if not want_links:
            return Reading(links.Links(), None)
        prefix = fetcher.decoded_prefix(payload, coding, max_bytes=MAX_LINK_BYTES)
        return Reading(links.extract(prefix, page_url) if prefix else links.Links(), None)

    source = text.decode_html(body, headers)
    tree = LexborHTMLParser(source)
    found = links.Links()
    if want_links:
        if len(body) <= MAX_LINK_BYTES:
            found = links.from_tree(tree, page_url, source=source)
        else:
            found = links.extract(body[:MAX_LINK_BYTES], page_url)
    return Reading(found, text.from_tree(tree) if want_text else None)


def _submit(fetched: Fetched, *, want_links: bool, want_text: bool) -> asyncio.Future[Reading]:
    job = functools.partial(
        read,
        fetched.payload,
        fetched.response_headers,
        fetched.url,
        want_links=want_links,
        want_text=want_text,
    )
    return asyncio.get_running_loop().run_in_executor(_reader, job)


def read_stylesheet(payload: bytes, headers: list[tuple[str, str]], css_url: str) -> list[str]:
    """The canonical URLs a stylesheet refers to (blocking: see `stylesheet_links`).

    A payload that cannot be decoded (unknown coding, corrupt, past the link cap once
    decoded: a gzip bomb) refers to nothing.
    """
    coding = fetcher.header(headers, "content-encoding")
    body = text.decode_content(payload, coding, limit=MAX_LINK_BYTES)
    if body is None:
        return []
    charset = text.charset_from_header(headers)
    return links.resolve(stylesheet.from_bytes(body, charset=charset), css_url)


async def stylesheet_links(fetched: Fetched) -> links.Links:
    """The references of a fetched stylesheet, all embeds, read in the reading thread."""
    job = functools.partial(
        read_stylesheet, fetched.payload, fetched.response_headers, fetched.url
    )
    found = await asyncio.get_running_loop().run_in_executor(_reader, job)
    return links.Links(embeds=found)


class PageWork:
    """The reading of one fetched HTML page, started once by whoever first knows what is
    wanted of it: the WARC writer wants its text when its payload is new, the worker its
    links. A revisit's text is never read: the search index reuses the original's."""

    def __init__(self, fetched: Fetched, *, want_links: bool) -> None:
        self.fetched = fetched
        self.want_links = want_links
        self._reading: asyncio.Future[Reading] | None = None
        self._with_text = False

    def start(self, *, want_text: bool) -> None:
        """Start reading the page in the reading thread, unless it is under way already
        (or nothing is wanted of it)."""
        if self._reading is None and (want_text or self.want_links):
            self._with_text = want_text
            self._reading = _submit(self.fetched, want_links=self.want_links, want_text=want_text)

    async def links(self) -> links.Links:
        """The page's links, if they are wanted (reading it now if nobody started it)."""
        self.start(want_text=False)
        if self._reading is None:
            return links.Links()
        return (await self._reading).links

    async def text(self) -> text.PageText | None:
        """The page's title and text (reading it now if nobody started it)."""
        self.start(want_text=True)
        assert self._reading is not None
        if not self._with_text:
            # Started for its links only: its text takes a reading of its own.
            reading = await _submit(self.fetched, want_links=False, want_text=True)
            return reading.text
        return (await self._reading).text
