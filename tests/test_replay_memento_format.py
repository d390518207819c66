"""Timestamps, HTTP dates and Memento Link headers (api/memento.py, pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archivestream.api import memento

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_full_and_partial_timestamps_parse_to_utc() -> None:
    assert memento.parse_timestamp("20240102030405") == WHEN
    assert memento.parse_timestamp("2024") == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert memento.parse_timestamp("2024", upper=False) == datetime(2024, 1, 1, tzinfo=UTC)
    assert memento.timestamp14(WHEN) == "20240102030405"


@pytest.mark.parametrize("bad", ["", "2024x", "202413", "20240230", "123456789012345", "-1"])
def test_garbage_timestamps_are_refused_with_the_reason(bad: str) -> None:
    with pytest.raises(memento.BadTimestamp, match="timestamp"):
        memento.parse_timestamp(bad)


def test_link_header_names_original_timegate_timemap_and_memento() -> None:
    link = memento.link_header("http://archive:3001", "http://example.com/", WHEN)
    assert '<http://example.com/>; rel="original"' in link
    assert '<http://archive:3001/web/http://example.com/>; rel="timegate"' in link
    assert (
        '<http://archive:3001/timemap/link/http://example.com/>; rel="timemap"; '
        'type="application/link-format"' in link
    )
    assert (
        '<http://archive:3001/web/20240102030405/http://example.com/>; rel="memento"; '
        'datetime="Tue, 02 Jan 2024 03:04:05 GMT"' in link
    )


def test_accept_datetime_parses_or_is_none() -> None:
    assert memento.parse_http_date("Tue, 02 Jan 2024 03:04:05 GMT") == WHEN
    assert memento.parse_http_date("yesterday") is None
