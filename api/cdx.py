"""`GET /cdx`: the capture index answered as pywb's CDX server answers it.

CDXJ lines (`surt timestamp {json}`) by default, JSON lines with `output=json`; the
fields and their values are those `cdxj-indexer` writes for the same WARC record
(strings, `mime` omitted when unknown, `warc/revisit` for revisit records).
Query parameters: `url` (required; a trailing `*` means prefix, a leading `*.` domain),
`matchType` (exact, prefix, host, domain), `from` and `to` (partial timestamps),
`limit`, `sort` (`reverse`, or `closest` with `closest=timestamp`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from archivestream.api import capture_lookup, context, errors, memento, parameters

DEFAULT_LIMIT = 10_000
MAX_LIMIT = 100_000
OUTPUTS = {"cdxj": "text/x-cdxj", "json": "text/x-ndjson"}
SORTS = ("reverse", "closest")
_MIME_PARAMETERS = re.compile(r"[;\s]")


def fields_of(capture: capture_lookup.Capture) -> dict[str, str]:
    """The JSON block of a CDXJ line, in cdxj-indexer's field order and spelling."""
    if capture.record_type == "revisit":
        mime: str | None = "warc/revisit"
    elif capture.mime:
        mime = _MIME_PARAMETERS.split(capture.mime, 1)[0].strip() or None
    else:
        mime = None
    fields: dict[str, Any] = {
        "url": capture.url,
        "mime": mime,
        "status": str(capture.status) if capture.status is not None else None,
        "digest": capture.digest,
        "length": str(capture.length),
        "offset": str(capture.offset),
        "filename": capture.filename,
    }
    return {name: value for name, value in fields.items() if value is not None}


def cdxj_line(capture: capture_lookup.Capture) -> str:
    """`surt timestamp {json}`, as cdxj-indexer writes it."""
    timestamp = memento.timestamp14(capture.captured_at)
    return f"{capture.surt} {timestamp} {json.dumps(fields_of(capture))}"


def json_line(capture: capture_lookup.Capture) -> str:
    """One capture as pywb's `output=json` writes it: urlkey and timestamp first."""
    block = {
        "urlkey": capture.surt,
        "timestamp": memento.timestamp14(capture.captured_at),
        **fields_of(capture),
    }
    return json.dumps(block)


def _timestamp_param(request: web.Request, name: str, *, upper: bool) -> Any:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return memento.parse_timestamp(raw, upper=upper)
    except memento.BadTimestamp as error:
        raise errors.bad_request(f"{name}: {error}") from None


async def cdx(request: web.Request) -> web.Response:
    """GET /cdx."""
    archive = context.of(request)
    query = request.query

    url = query.get("url", "")
    if not url.strip():
        raise errors.bad_request("url is required, like /cdx?url=http://example.com/")
    output = query.get("output", "cdxj") or "cdxj"
    if output not in OUTPUTS:
        raise errors.bad_request(f"output {output[:40]!r} is not one of {', '.join(OUTPUTS)}")
    sort = query.get("sort", "") or None
    if sort is not None and sort not in SORTS:
        raise errors.bad_request(f"sort {sort[:40]!r} is not one of {', '.join(SORTS)}")
    limit = parameters.whole_number(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    since = _timestamp_param(request, "from", upper=False)
    until = _timestamp_param(request, "to", upper=True)
    closest = _timestamp_param(request, "closest", upper=False)
    if sort == "closest" and closest is None:
        raise errors.bad_request("sort=closest needs closest=<timestamp>")
    try:
        start, end = capture_lookup.search_range(url, query.get("matchType", "exact") or "exact")
    except capture_lookup.BadLookup as error:
        raise errors.bad_request(str(error)) from None

    if sort == "closest":
        captures = await capture_lookup.in_range(
            archive.pool, start, end, since=since, until=until, limit=MAX_LIMIT
        )
        captures.sort(key=lambda c: abs((c.captured_at - closest).total_seconds()))
        captures = captures[:limit]
    else:
        captures = await capture_lookup.in_range(
            archive.pool,
            start,
            end,
            since=since,
            until=until,
            limit=limit,
            reverse=sort == "reverse",
        )

    render = json_line if output == "json" else cdxj_line
    text = "".join(render(capture) + "\n" for capture in captures)
    return web.Response(text=text, content_type=OUTPUTS[output], charset="utf-8")
