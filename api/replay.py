"""`GET /web/{timestamp}/{url}`: replay of the capture nearest in time, as pywb does it.

The answer carries the Memento headers (`Memento-Datetime`, `Link` with original,
timegate, timemap and memento) and `Content-Location` naming the capture's exact
timestamp. With `id_` after the timestamp the payload is served as stored, byte for
byte (content coding kept, Content-Encoding passed through); without it, HTML and CSS
are decoded and their links rewritten into the archive (api/rewrite.py), and the
original headers are passed as `X-Archive-Orig-*`. A revisit record is replayed with
its own headers and the payload of the record it refers to. A captured redirect
replays as a redirect into the archive. `/web/{url}` without a timestamp is the
TimeGate: a 302 to the memento nearest `Accept-Datetime` (or the latest).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import structlog
from aiohttp import web

from archivestream.api import capture_lookup, context, errors, memento, rewrite
from archivestream.crawler import fetcher, storage, warc
from archivestream.crawler import text as text_module

log = structlog.get_logger("archivestream.api")

_TIMESTAMP = re.compile(r"^([0-9]+)([a-z]{2}_)?$")
_LOOKS_LIKE_URL = re.compile(r"^(https?:|[^/]*\.[^/]*(/|$))", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)

# Headers that describe one hop's transfer, or that the archive sets itself.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}
# Headers that must not act on the archive's own origin.
_UNSAFE = {"set-cookie", "strict-transport-security", "public-key-pins", "alt-svc"}
HTML_TYPES = ("text/html", "application/xhtml+xml")
CSS_TYPES = ("text/css",)
REWRITE_MAX_BYTES = 50 * 1024 * 1024


@dataclass
class StoredResponse:
    """An archived HTTP response: status line, headers in order, payload as stored."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    payload: bytes
    has_http: bool

    def header(self, name: str) -> str | None:
        return fetcher.header(self.headers, name)


def stored_response(record: warc.ParsedRecord) -> StoredResponse:
    """The HTTP response a WARC record holds; a record without HTTP headers (resource)
    answers 200 with its block and the record's Content-Type."""
    if record.status is None:
        mime = record.warc_header("Content-Type") or "application/octet-stream"
        return StoredResponse(200, "OK", [("Content-Type", mime)], record.payload, False)
    return StoredResponse(
        record.status, record.reason, list(record.http_headers), record.payload, True
    )


async def load(archive: context.ArchiveContext, capture: capture_lookup.Capture) -> StoredResponse:
    """Read and parse the record of `capture` from the WARC storage."""
    record = await warc.read_record(
        archive.storage, capture.filename, capture.offset, capture.length
    )
    return stored_response(record)


def split_tail(tail: str) -> tuple[str | None, str, str]:
    """`20240102030405id_/http://x/` -> (timestamp, modifier, url); a tail with no
    timestamp segment (`http://x/`, `example.com/`) gives timestamp None."""
    first, _, rest = tail.partition("/")
    match = _TIMESTAMP.match(first)
    if match:
        return match.group(1), match.group(2) or "", rest
    if _LOOKS_LIKE_URL.match(tail):
        return None, "", tail
    raise errors.bad_request(
        f"{first[:40]!r} is not a timestamp: use /web/YYYYMMDDhhmmss/http://example.com/ "
        "(or a partial timestamp like 2024)"
    )


def to_text(body: bytes, content_type: str) -> str:
    """Decode an HTML or CSS body: its declared charset, a <meta charset>, then UTF-8,
    then Windows-1252 (which decodes any byte sequence)."""
    candidates = []
    declared = _CHARSET.search(content_type)
    if declared:
        candidates.append(declared.group(1))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    for charset in [*candidates, "utf-8"]:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def build_response(
    stored: StoredResponse,
    capture: capture_lookup.Capture,
    modifier: str,
    base: str,
) -> web.Response:
    """The replay answer for a stored response (pure apart from CPU: run in a thread)."""
    timestamp = memento.timestamp14(capture.captured_at)
    raw = modifier == "id_"
    headers: list[tuple[str, str]] = []
    content_type = stored.header("Content-Type") or ""
    coding = stored.header("Content-Encoding")
    body = stored.payload

    rewritten = False
    media = _media_type(content_type)
    if not raw and (media in HTML_TYPES or media in CSS_TYPES) and body:
        # Bounded, so a content-coding bomb is served as stored rather than inflated.
        decoded = text_module.decode_content(body, coding, limit=REWRITE_MAX_BYTES)
        if decoded is not None:
            text = to_text(decoded, content_type)
            if media in CSS_TYPES:
                text = rewrite.rewrite_css(text, capture.url, timestamp)
            else:
                text = rewrite.rewrite_html(text, capture.url, timestamp)
            body = text.encode("utf-8")
            content_type = f"{media}; charset=utf-8"
            rewritten = True

    for name, value in stored.headers:
        lowered = name.lower()
        if lowered in _HOP_BY_HOP:
            continue
        if lowered == "location":
            try:
                target = urljoin(capture.url, value.strip())
            except ValueError:
                continue
            headers.append(
                ("Location", rewrite.archive_url(target, capture.url, timestamp, modifier))
            )
            continue
        if lowered == "content-type":
            continue
        if lowered == "content-encoding" and not rewritten:
            headers.append((name, value))
            continue
        if raw and lowered not in _UNSAFE and lowered != "content-encoding":
            headers.append((name, value))
        else:
            headers.append((f"X-Archive-Orig-{name}", value))
    if content_type:
        headers.append(("Content-Type", content_type))

    headers.append(("Memento-Datetime", memento.http_date(capture.captured_at)))
    headers.append(
        ("Link", memento.link_header(base, capture.url, capture.captured_at, modifier=modifier))
    )
    headers.append(
        (
            "Content-Location",
            f"{base}{memento.memento_path(capture.captured_at, capture.url, modifier)}",
        )
    )

    response = web.Response(status=stored.status, reason=stored.reason or None, body=body)
    # The archived headers repeat (several Link, X-Archive-Orig-Set-Cookie...): add, not set.
    for name, value in headers:
        response.headers.add(name, value)
    return response


async def replay(request: web.Request) -> web.StreamResponse:
    """GET /web/{timestamp}{modifier}/{url} and the TimeGate GET /web/{url}."""
    archive = context.of(request)
    tail = request.raw_path[len("/web/") :]
    timestamp, modifier, url = split_tail(tail)
    try:
        url = capture_lookup.normalise_url(url)
        key = capture_lookup.surt_of(url)
    except capture_lookup.BadLookup as error:
        raise errors.bad_request(str(error)) from None

    if timestamp is None:
        return await _timegate(request, archive, url, key)
    try:
        moment = memento.parse_timestamp(timestamp)
    except memento.BadTimestamp as error:
        raise errors.bad_request(str(error)) from None

    capture = await capture_lookup.nearest(archive.pool, key, moment)
    if capture is None:
        raise errors.not_found(f"{url} is not archived; see /cdx?url={url} for what is")

    stored = await _stored_response(archive, capture)
    base = archive.base_url(request)
    return await asyncio.to_thread(build_response, stored, capture, modifier, base)


async def _stored_response(
    archive: context.ArchiveContext, capture: capture_lookup.Capture
) -> StoredResponse:
    try:
        stored = await load(archive, capture)
        if capture.record_type != "revisit":
            return stored
        original = await capture_lookup.original_of(archive.pool, capture)
        if original is None:
            raise errors.not_found(
                f"the capture of {capture.url} at {memento.timestamp14(capture.captured_at)} "
                f"is a revisit of {capture.refers_to_url or capture.digest}, "
                "whose record is not in the index"
            )
        payload = await load(archive, original)
    except warc.WarcRecordError as error:
        log.error("capture unreadable", url=capture.url, error=str(error))
        raise errors.bad_gateway(
            f"{capture.url} cannot be replayed: its WARC record is unreadable"
        ) from None
    except storage.StorageError as error:
        log.error("capture unreadable", url=capture.url, error=str(error))
        raise errors.bad_gateway(
            f"{capture.url} cannot be replayed: its WARC file cannot be read ({error})"
        ) from None
    # The revisit's own headers (status, dates) with the original's payload.
    if stored.has_http:
        return StoredResponse(stored.status, stored.reason, stored.headers, payload.payload, True)
    return payload


async def _timegate(
    request: web.Request, archive: context.ArchiveContext, url: str, key: str
) -> web.StreamResponse:
    wanted = request.headers.get("Accept-Datetime")
    moment = memento.parse_http_date(wanted) if wanted else None
    if wanted and moment is None:
        raise errors.bad_request(
            f"Accept-Datetime {wanted[:60]!r} is not an HTTP date like "
            "'Tue, 02 Jan 2024 03:04:05 GMT'"
        )
    capture = await capture_lookup.nearest(archive.pool, key, moment or datetime.now(UTC))
    if capture is None:
        raise errors.not_found(f"{url} is not archived; see /cdx?url={url} for what is")
    base = archive.base_url(request)
    location = f"{base}{memento.memento_path(capture.captured_at, capture.url)}"
    return web.Response(
        status=302,
        headers={
            "Location": location,
            "Vary": "accept-datetime",
            "Link": memento.link_header(base, capture.url, capture.captured_at),
        },
    )
