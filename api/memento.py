"""Memento vocabulary (RFC 7089): 14-digit timestamps, HTTP dates and Link headers.

Everything here is pure, so the replay, timemap and CDX routes agree on how a capture
time is written and parsed: `YYYYMMDDhhmmss` in UTC in URLs and CDX lines, RFC 1123
dates in headers, and the Link relations pywb sends (original, timegate, timemap,
memento).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from warcio.timeutils import (
    PAD_14_DOWN,
    datetime_to_http_date,
    datetime_to_timestamp,
    timestamp_to_datetime,
)

_DIGITS = re.compile(r"^[0-9]{1,14}$")


class BadTimestamp(ValueError):
    """A timestamp that is not 1 to 14 digits of a real UTC date; the message says which."""


def _checked(timestamp: str) -> str:
    if not _DIGITS.match(timestamp):
        raise BadTimestamp(
            f"timestamp {timestamp[:40]!r} is not 1 to 14 digits (YYYYMMDDhhmmss, UTC)"
        )
    # Pad with the smallest values and build the date, so a month 13 or a hour 25 in
    # the digits given is refused rather than silently clamped.
    padded = timestamp + PAD_14_DOWN[len(timestamp) :]
    try:
        datetime.strptime(padded, "%Y%m%d%H%M%S")
    except ValueError:
        raise BadTimestamp(
            f"timestamp {timestamp!r} is not a valid date (YYYYMMDDhhmmss, UTC)"
        ) from None
    return timestamp


def parse_timestamp(timestamp: str, *, upper: bool = True) -> datetime:
    """The UTC datetime of a full or partial timestamp; `upper` pads `2024` to its last
    second (as pywb does for replay and `to`), otherwise to its first (for `from`)."""
    _checked(timestamp)
    if upper:
        moment = timestamp_to_datetime(timestamp)
    else:
        moment = datetime.strptime(timestamp + PAD_14_DOWN[len(timestamp) :], "%Y%m%d%H%M%S")
    return moment.replace(tzinfo=UTC)


def timestamp14(moment: datetime) -> str:
    """`YYYYMMDDhhmmss` of a datetime, in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return datetime_to_timestamp(moment)


def http_date(moment: datetime) -> str:
    """RFC 1123 date (`Tue, 02 Jan 2024 03:04:05 GMT`) for Memento-Datetime and Link."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return datetime_to_http_date(moment)


def parse_http_date(value: str) -> datetime | None:
    """The datetime of an Accept-Datetime header, or None when it is not an HTTP date."""
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def memento_path(moment: datetime, url: str, modifier: str = "") -> str:
    """The archive path of a capture: `/web/{timestamp}{modifier}/{url}`."""
    return f"/web/{timestamp14(moment)}{modifier}/{url}"


def link_header(base: str, url: str, memento: datetime, *, modifier: str = "") -> str:
    """The Link header of a memento, with the relations pywb sends."""
    when = http_date(memento)
    return ", ".join(
        [
            f'<{url}>; rel="original"',
            f'<{base}/web/{url}>; rel="timegate"',
            f'<{base}/timemap/link/{url}>; rel="timemap"; type="application/link-format"',
            f'<{base}{memento_path(memento, url, modifier)}>; rel="memento"; datetime="{when}"',
        ]
    )


def link_timemap(base: str, url: str, mementos: Sequence[datetime]) -> str:
    """An RFC 7089 TimeMap in application/link-format for `url` and its capture times."""
    first, last = mementos[0], mementos[-1]
    lines = [
        f'<{url}>; rel="original"',
        f'<{base}/timemap/link/{url}>; rel="self"; type="application/link-format"; '
        f'from="{http_date(first)}"; until="{http_date(last)}"',
        f'<{base}/web/{url}>; rel="timegate"',
    ]
    for index, moment in enumerate(mementos):
        rel = "memento"
        if index == 0:
            rel = "first memento"
        if index == len(mementos) - 1:
            rel = "last memento" if index else "first last memento"
        lines.append(
            f'<{base}{memento_path(moment, url)}>; rel="{rel}"; datetime="{http_date(moment)}"'
        )
    return ",\n".join(lines) + "\n"
