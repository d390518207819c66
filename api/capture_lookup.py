"""Finding captures in the capture index: by SURT range (CDX), nearest in time (replay),
all of one URL (TimeMap), and the original payload a revisit record names.

Every query walks the `captures_surt_time` index (surt, captured_at). SURT ranges are
compared as strings, which matches pywb's CDX search order on byte-ordered collations
(the embedded PostgreSQL is created with C.UTF-8; CockroachDB compares bytes).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

import asyncpg

from archivestream.crawler import canonical

MATCH_TYPES = ("exact", "prefix", "host", "domain")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_ENCODED_SCHEME = re.compile(r"^https?(%3a|:)%2f", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_COLUMNS = (
    'surt, url, captured_at, mime, status, digest, length, "offset", filename, '
    "record_type, refers_to_url, refers_to_date"
)


class BadLookup(ValueError):
    """A URL or match type the index cannot be searched with; the message says why."""


@dataclass(frozen=True)
class Capture:
    """One row of the capture index: where a response or revisit record lies."""

    surt: str
    url: str
    captured_at: datetime
    mime: str | None
    status: int | None
    digest: str | None
    length: int
    offset: int
    filename: str
    record_type: str
    refers_to_url: str | None
    refers_to_date: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Capture:
        return cls(**dict(row))


def normalise_url(url: str) -> str:
    """An archive-side URL made absolute: `http:/x` (a slash lost by a client or proxy)
    and a bare `example.com/` (as pywb accepts) become http(s)://; refused when too long,
    empty or of another scheme."""
    text = url.strip()
    if not text:
        raise BadLookup("url is empty: give the archived URL, like http://example.com/")
    if len(text) > canonical.MAX_URL_LENGTH:
        raise BadLookup(f"url is longer than {canonical.MAX_URL_LENGTH} characters ({len(text)})")
    if _ENCODED_SCHEME.match(text):
        # The whole URL percent-encoded into one path segment, as some clients send it.
        text = unquote(text)
    if _CONTROL.search(text):
        raise BadLookup("url holds control characters; percent-encode them")
    match = _SCHEME.match(text)
    if match is None:
        return f"http://{text}"
    scheme = match.group(1).lower()
    rest = text[match.end() :]
    if scheme in ("http", "https"):
        return f"{scheme}://{rest.lstrip('/')}"
    if rest[:1].isdigit():
        # `example.com:8080/` is a host and port, not a scheme.
        return f"http://{text}"
    raise BadLookup(f"url scheme {scheme[:20]!r} is not http or https")


def surt_of(url: str) -> str:
    """The SURT key of an archive-side URL, as pywb computes it."""
    try:
        key = canonical.surt_key(url)
    except Exception as error:  # surt raises many kinds on garbage; all mean the same
        raise BadLookup(f"url {url[:120]!r} cannot be parsed: {error}") from None
    if not key or ")" not in key:
        raise BadLookup(f"url {url[:120]!r} has no host")
    return key


def search_range(url: str, match_type: str) -> tuple[str, str]:
    """The [start, end) SURT range pywb's CDX server searches for `url` and `matchType`.

    A trailing `*` means prefix and a leading `*.` means domain, as in pywb.
    """
    if match_type not in MATCH_TYPES:
        raise BadLookup(f"matchType {match_type[:40]!r} is not one of {', '.join(MATCH_TYPES)}")
    if url.startswith("*."):
        url, match_type = url[2:], "domain"
    elif url.endswith("*"):
        url, match_type = url[:-1], "prefix"

    absolute = normalise_url(url)
    start = surt_of(absolute)

    if match_type == "exact":
        return start, start + "!"
    if match_type == "prefix":
        if url.endswith("/") and not start.endswith("/"):
            start += "/"
        if url.endswith("?") and not start.endswith("?"):
            start += "?"
        return start, start[:-1] + chr(ord(start[-1]) + 1)
    host = start.split(")/", 1)[0]
    if match_type == "host":
        return host + ")/", host + "*"
    if "," not in host:
        return host + ",", host + "-"
    return host + ")/", host + "-"


async def in_range(
    pool: asyncpg.Pool,
    start: str,
    end: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
    reverse: bool = False,
) -> list[Capture]:
    """Captures whose SURT lies in [start, end), in (surt, time) order (or reversed)."""
    order = "DESC" if reverse else "ASC"
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM captures"
        " WHERE surt >= $1 AND surt < $2"
        " AND ($3::timestamptz IS NULL OR captured_at >= $3)"
        " AND ($4::timestamptz IS NULL OR captured_at <= $4)"
        f" ORDER BY surt {order}, captured_at {order} LIMIT $5",
        start,
        end,
        since,
        until,
        limit,
    )
    return [Capture.from_row(row) for row in rows]


async def scan(
    pool: asyncpg.Pool,
    start: str,
    end: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    reverse: bool = False,
    batch: int = 1000,
) -> AsyncIterator[Capture]:
    """Every capture whose SURT lies in [start, end), in (surt, time) order (or reversed),
    fetched `batch` rows at a time so a caller that filters holds one batch, not the range.

    Pages by keyset on (surt, captured_at, id): `id` breaks ties of one SURT captured in
    the same instant, so no row is skipped or read twice between pages.
    """
    order = "DESC" if reverse else "ASC"
    after = "<" if reverse else ">"
    last: tuple[str, datetime, object] | None = None
    while True:
        rows = await pool.fetch(
            f"SELECT {_COLUMNS}, id FROM captures"
            " WHERE surt >= $1 AND surt < $2"
            " AND ($3::timestamptz IS NULL OR captured_at >= $3)"
            " AND ($4::timestamptz IS NULL OR captured_at <= $4)"
            f" AND ($5::text IS NULL OR (surt, captured_at, id) {after} ($5, $6, $7))"
            f" ORDER BY surt {order}, captured_at {order}, id {order} LIMIT $8",
            start,
            end,
            since,
            until,
            last[0] if last else None,
            last[1] if last else None,
            last[2] if last else None,
            batch,
        )
        for row in rows:
            fields = dict(row)
            del fields["id"]
            yield Capture(**fields)
        if len(rows) < batch:
            return
        last = (rows[-1]["surt"], rows[-1]["captured_at"], rows[-1]["id"])


async def nearest(pool: asyncpg.Pool, surt: str, moment: datetime) -> Capture | None:
    """The capture of `surt` closest in time to `moment` (the earlier one on a tie)."""
    rows = await pool.fetch(
        f"(SELECT {_COLUMNS} FROM captures WHERE surt = $1 AND captured_at <= $2"
        " ORDER BY captured_at DESC LIMIT 1)"
        " UNION ALL "
        f"(SELECT {_COLUMNS} FROM captures WHERE surt = $1 AND captured_at > $2"
        " ORDER BY captured_at ASC LIMIT 1)",
        surt,
        moment,
    )
    captures = [Capture.from_row(row) for row in rows]
    if not captures:
        return None
    return min(
        captures, key=lambda c: (abs((c.captured_at - moment).total_seconds()), c.captured_at)
    )


async def times_of(pool: asyncpg.Pool, surt: str, *, limit: int = 100_000) -> list[datetime]:
    """Every capture time of `surt`, oldest first (for the TimeMap)."""
    rows = await pool.fetch(
        "SELECT DISTINCT captured_at FROM captures WHERE surt = $1 ORDER BY captured_at LIMIT $2",
        surt,
        limit,
    )
    return [row["captured_at"] for row in rows]


async def original_of(pool: asyncpg.Pool, revisit: Capture) -> Capture | None:
    """The response record holding a revisit's payload: the capture of its
    WARC-Refers-To-Target-URI at its WARC-Refers-To-Date with the same digest, or else
    the first stored copy of that digest."""
    if revisit.refers_to_url and revisit.refers_to_date:
        try:
            key = surt_of(revisit.refers_to_url)
        except BadLookup:
            key = None
        if key is not None:
            row = await pool.fetchrow(
                f"SELECT {_COLUMNS} FROM captures"
                " WHERE surt = $1 AND captured_at = $2 AND record_type = 'response'"
                " ORDER BY (digest IS NOT DISTINCT FROM $3) DESC LIMIT 1",
                key,
                revisit.refers_to_date,
                revisit.digest,
            )
            if row is not None:
                return Capture.from_row(row)
    if revisit.digest:
        row = await pool.fetchrow(
            'SELECT url, captured_at, filename, "offset", length FROM payload_digests'
            " WHERE digest = $1",
            revisit.digest,
        )
        if row is not None:
            return Capture(
                surt=revisit.surt,
                url=row["url"],
                captured_at=row["captured_at"],
                mime=revisit.mime,
                status=revisit.status,
                digest=revisit.digest,
                length=row["length"],
                offset=row["offset"],
                filename=row["filename"],
                record_type="response",
                refers_to_url=None,
                refers_to_date=None,
            )
    return None
