"""Search documents for the tests of both search backends (embedded PostgreSQL and
OpenSearch): one fixed capture time, a URL that is its own SURT, a fresh capture id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from archivestream.crawler import search

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def doc(
    url: str,
    title: str,
    body: str,
    *,
    minutes: int = 0,
    capture_id: uuid.UUID | None = None,
) -> search.SearchDocument:
    """A document captured `minutes` after T0."""
    return search.SearchDocument(
        capture_id=capture_id or uuid.uuid4(),
        url=url,
        surt=url,
        captured_at=T0 + timedelta(minutes=minutes),
        title=title,
        text=body,
    )
