"""The capture index: what a closed WARC file adds to the database.

`record` runs inside the caller's transaction (the worker marks the file's frontier rows
done in the same one), so a capture becomes visible together with its file and nothing
is done before its records are durable. Each table gets one statement over arrays, fast
enough for thousands of captures per file, and every insert is idempotent (capture ids
are made when the record is written), so indexing a file twice adds nothing.
"""

from __future__ import annotations

import asyncpg

from archivestream.crawler.search import SearchBackend
from archivestream.crawler.warc import EMPTY_DIGEST, CaptureRow, ClosedWarc


async def record(
    conn: asyncpg.Connection, closed: ClosedWarc, search_backend: SearchBackend
) -> None:
    """Insert the file's captures, new payload digests, its `warc_files` row and (for the
    database search) its search documents, in the caller's transaction."""
    rows = closed.captures
    if rows:
        await conn.execute(
            """
            INSERT INTO captures (id, crawl_id, surt, url, captured_at, mime, status, digest,
                                  length, "offset", filename, record_type, refers_to_url,
                                  refers_to_date, region)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],
                                 $5::timestamptz[], $6::text[], $7::int[], $8::text[],
                                 $9::bigint[], $10::bigint[], $11::text[], $12::text[],
                                 $13::text[], $14::timestamptz[], $15::text[])
            ON CONFLICT (id) DO NOTHING
            """,
            [r.id for r in rows],
            [r.crawl_id for r in rows],
            [r.surt for r in rows],
            [r.url for r in rows],
            [r.captured_at for r in rows],
            [r.mime for r in rows],
            [r.status for r in rows],
            [r.digest for r in rows],
            [r.length for r in rows],
            [r.offset for r in rows],
            [r.filename for r in rows],
            [r.record_type for r in rows],
            [r.refers_to_url for r in rows],
            [r.refers_to_date for r in rows],
            [r.region for r in rows],
        )

    # Only full, non-empty responses are originals; the first one of each digest wins.
    originals: dict[str, CaptureRow] = {}
    for r in rows:
        if r.record_type != "response" or r.digest in (None, EMPTY_DIGEST):
            continue
        if r.digest not in originals:
            originals[r.digest] = r
    if originals:
        first = list(originals.values())
        await conn.execute(
            """
            INSERT INTO payload_digests (digest, url, captured_at, filename, "offset", length)
            SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[],
                                 $5::bigint[], $6::bigint[])
            ON CONFLICT (digest) DO NOTHING
            """,
            [r.digest for r in first],
            [r.url for r in first],
            [r.captured_at for r in first],
            [r.filename for r in first],
            [r.offset for r in first],
            [r.length for r in first],
        )

    await conn.execute(
        """
        INSERT INTO warc_files (filename, location, region, bytes, records, opened_at, endpoint)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (filename) DO NOTHING
        """,
        closed.filename,
        closed.location,
        closed.region,
        closed.bytes,
        closed.records,
        closed.opened_at,
        closed.endpoint,
    )

    await search_backend.store(conn, closed.documents)
