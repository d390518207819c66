"""`GET /cdx`: the capture index answered as pywb's CDX server answers it.

CDXJ lines (`surt timestamp {json}`) by default, JSON lines with `output=json`; the
fields and their values are those `cdxj-indexer` writes for the same WARC record
(strings, `mime` omitted when unknown, `warc/revisit` for revisit records).
Query parameters: `url` (required; a trailing `*` means prefix, a leading `*.` domain),
`matchType` (exact, prefix, host, domain), `from` and `to` (partial timestamps),
`limit`, `sort` (`reverse`, or `closest` with `closest=timestamp`), `fl` (the fields to
write) and `filter` (see cdx_fields). Filters run here, on the rows the indexed range
query returns, before `limit`, as pywb applies them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp import web

from archivestream.api import capture_lookup, cdx_fields, context, errors, memento, parameters

DEFAULT_LIMIT = 10_000
MAX_LIMIT = 100_000
MAX_SCAN = 100_000
SCAN_BATCH = 1000
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


def record_of(capture: capture_lookup.Capture) -> dict[str, str]:
    """Every field of a capture as pywb holds it: urlkey and timestamp first."""
    return {
        "urlkey": capture.surt,
        "timestamp": memento.timestamp14(capture.captured_at),
        **fields_of(capture),
    }


def cdxj_line(capture: capture_lookup.Capture, names: list[str] | None = None) -> str:
    """`surt timestamp {json}`, as cdxj-indexer writes it; with `fl`, as pywb does: the
    key and time always lead, the block holds only the other fields named."""
    timestamp = memento.timestamp14(capture.captured_at)
    block = cdx_fields.selected(fields_of(capture), names)
    return f"{capture.surt} {timestamp} {json.dumps(block)}"


def json_line(capture: capture_lookup.Capture, names: list[str] | None = None) -> str:
    """One capture as pywb's `output=json` writes it: urlkey and timestamp first, or only
    the fields `fl` names, in its order."""
    return json.dumps(cdx_fields.selected(record_of(capture), names))


def _passes(capture: capture_lookup.Capture, filters: list[cdx_fields.Filter]) -> bool:
    record = record_of(capture)
    return all(rule.holds(record, lambda: cdxj_line(capture)) for rule in filters)


def _kept(
    batch: list[capture_lookup.Capture], filters: list[cdx_fields.Filter]
) -> list[capture_lookup.Capture]:
    return [capture for capture in batch if _passes(capture, filters)]


async def filtered(
    pool: asyncpg.Pool,
    start: str,
    end: str,
    filters: list[cdx_fields.Filter],
    *,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    sort: str | None,
    closest: datetime | None,
    scan_limit: int = MAX_SCAN,
) -> list[capture_lookup.Capture]:
    """The captures in range that pass every filter, then limited, as pywb orders the
    steps. At most `scan_limit` captures are read; a range holding more than that without
    giving the answer is refused, as a `limit` above the cap is."""
    kept: list[capture_lookup.Capture] = []
    batch: list[capture_lookup.Capture] = []
    scanned = 0
    complete = True
    rows = capture_lookup.scan(
        pool, start, end, since=since, until=until, reverse=sort == "reverse", batch=SCAN_BATCH
    )
    async with contextlib.aclosing(rows):
        async for capture in rows:
            if scanned == scan_limit:
                complete = False
                break
            scanned += 1
            batch.append(capture)
            if len(batch) == SCAN_BATCH:
                # A user's regular expression may be slow; keep it off the event loop.
                kept += await asyncio.to_thread(_kept, batch, filters)
                batch = []
                if sort != "closest" and len(kept) >= limit:
                    return kept[:limit]
    kept += await asyncio.to_thread(_kept, batch, filters)

    if sort != "closest" and len(kept) >= limit:
        return kept[:limit]
    if not complete:
        raise errors.bad_request(
            f"filter read {scan_limit} captures without finding all {limit} wanted;"
            " narrow the url, matchType, from or to, or lower limit"
        )
    if sort == "closest":
        assert closest is not None
        kept.sort(key=lambda c: abs((c.captured_at - closest).total_seconds()))
    return kept[:limit]


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
        names = cdx_fields.field_list(query.get("fl"))
        rules = cdx_fields.filters(query.getall("filter", []))
    except cdx_fields.BadFields as error:
        raise errors.bad_request(str(error)) from None
    try:
        start, end = capture_lookup.search_range(url, query.get("matchType", "exact") or "exact")
    except capture_lookup.BadLookup as error:
        raise errors.bad_request(str(error)) from None

    if rules:
        captures = await filtered(
            archive.pool,
            start,
            end,
            rules,
            since=since,
            until=until,
            limit=limit,
            sort=sort,
            closest=closest,
        )
    elif sort == "closest":
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
    text = "".join(render(capture, names) + "\n" for capture in captures)
    return web.Response(text=text, content_type=OUTPUTS[output], charset="utf-8")
