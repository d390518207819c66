"""Title and visible text of an HTML capture, for the search index.

The payload is stored with its content coding, so gzip, deflate and brotli are undone
here, under a hard cap on the decoded size (a gzip bomb stops at the cap). The charset
comes from the Content-Type header, then a `<meta>` declaration, then UTF-8; an unknown
or wrong charset never raises, undecodable bytes become U+FFFD. Text is capped too.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from archivestream.crawler import fetcher

MAX_DECODED_BYTES = 10 * 1024 * 1024
MAX_TEXT_CHARS = 100_000
MAX_TITLE_CHARS = 1_000
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_INVISIBLE_SELECTOR = "script, style, noscript, template, svg, iframe, object"


@dataclass(frozen=True)
class PageText:
    """What search needs from a page: its title and visible text (both may be empty)."""

    title: str
    text: str


def media_type(headers: list[tuple[str, str]]) -> str:
    """The Content-Type's media type, lower case without parameters ('' when absent)."""
    value = fetcher.header(headers, "content-type") or ""
    return value.split(";", 1)[0].strip().lower()


def is_html(headers: list[tuple[str, str]]) -> bool:
    return media_type(headers) in HTML_TYPES


class _TooBig(Exception):
    pass


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    # Bounded output per call: the bomb's expansion is never held beyond the cap.
    inflater = zlib.decompressobj(wbits)
    out = bytearray()
    pending = data
    while pending:
        out += inflater.decompress(pending, limit + 1 - len(out))
        if len(out) > limit:
            raise _TooBig
        pending = inflater.unconsumed_tail
        if inflater.eof:
            # Concatenated gzip members: continue with the next one.
            pending = inflater.unused_data
            if not pending or wbits not in (16 + zlib.MAX_WBITS, 32 + zlib.MAX_WBITS):
                break
            inflater = zlib.decompressobj(wbits)
    return bytes(out)


def _unbrotli(data: bytes, limit: int) -> bytes:
    import brotli

    decompressor = brotli.Decompressor()
    out = bytearray()
    # brotli has no output limit here, so the input goes in small slices: one slice
    # cannot expand past a few MB, and the cap is checked after each.
    for start in range(0, len(data), 256):
        out += decompressor.decompress(data[start : start + 256])
        if len(out) > limit:
            raise _TooBig
    return bytes(out)


def decode_content(
    payload: bytes, content_encoding: str | None, *, limit: int = MAX_DECODED_BYTES
) -> bytes | None:
    """The payload with its content coding undone; None when it cannot be (unknown coding,
    corrupt data, or more than `limit` bytes once decoded)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    data = payload
    try:
        for coding in reversed(codings):
            if coding in ("identity", ""):
                continue
            if coding in ("gzip", "x-gzip"):
                data = _inflate(data, 16 + zlib.MAX_WBITS, limit)
            elif coding == "deflate":
                try:
                    data = _inflate(data, zlib.MAX_WBITS, limit)
                except zlib.error:
                    # Some servers send raw deflate without the zlib wrapper.
                    data = _inflate(data, -zlib.MAX_WBITS, limit)
            elif coding == "br":
                data = _unbrotli(data, limit)
            else:
                return None
    except (_TooBig, zlib.error, ImportError):
        return None
    except Exception:  # brotli raises its own error type, named differently per binding
        return None
    if len(data) > limit:
        return None
    return data


def charset_from_header(headers: list[tuple[str, str]]) -> str | None:
    """The Content-Type's charset parameter as given (unchecked), or None."""
    value = fetcher.header(headers, "content-type") or ""
    for part in value.split(";")[1:]:
        key, _, charset = part.partition("=")
        if key.strip().lower() == "charset":
            return charset.strip().strip("\"'") or None
    return None


def _known(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return codecs.lookup(charset).name
    except (LookupError, ValueError):
        return None


def decode_html(body: bytes, headers: list[tuple[str, str]]) -> str:
    """The document as text: header charset, else `<meta>` charset, else UTF-8."""
    charset = _known(charset_from_header(headers))
    if charset is None:
        found = _META_CHARSET.search(body[:4096])
        charset = _known(found.group(1).decode("ascii", "replace")) if found else None
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")
    return body.decode(charset or "utf-8", errors="replace")


def _clean(text: str, limit: int) -> str:
    # Whitespace runs shrink to one space, so a slice of 4x the cap is always enough;
    # split/join does it in C, several times as fast as a regex substitution.
    return " ".join(text[: limit * 4].split())[:limit]


def extract(payload: bytes, headers: list[tuple[str, str]]) -> PageText | None:
    """Title and visible text of an HTML payload; None when it is not HTML or cannot be
    decoded (unknown content coding, corrupt or oversized once decompressed)."""
    if not is_html(headers):
        return None
    body = decode_content(payload, fetcher.header(headers, "content-encoding"))
    if body is None:
        return None
    return from_tree(LexborHTMLParser(decode_html(body, headers)))


def from_tree(tree: LexborHTMLParser) -> PageText:
    """Title and visible text of a parsed page. Strips the invisible elements from `tree`,
    so anything else wanted from the tree (its links) must be taken first."""
    title_node = tree.css_first("title")
    title = _clean(title_node.text(deep=True), MAX_TITLE_CHARS) if title_node else ""
    # One walk for all invisible kinds (strip_tags walks once per kind), removed last
    # first so that an element inside another is removed before its container is.
    for node in reversed(tree.css(_INVISIBLE_SELECTOR)):
        node.decompose()
    root = tree.body or tree.root
    text = root.text(deep=True, separator=" ") if root is not None else ""
    return PageText(title=title, text=_clean(text, MAX_TEXT_CHARS))
