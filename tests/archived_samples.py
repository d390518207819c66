"""Test data for the API's tests: WARC files written with warcio (the outside
reference, not the project's writer) and the capture-index rows that describe them,
plus `serving`, which serves the real application on 127.0.0.1."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestClient, TestServer
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archivestream.api import app as app_module
from archivestream.api import context
from archivestream.core.settings import Settings
from archivestream.crawler import canonical, search, storage

HTML = [("Content-Type", "text/html; charset=utf-8")]


@dataclass
class Sample:
    """One archived exchange: a response, or a revisit of an earlier sample."""

    url: str
    when: datetime
    body: bytes = b""
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=lambda: list(HTML))
    revisit_of: Sample | None = None
    title: str | None = None


def at(timestamp: str) -> datetime:
    """A UTC datetime from a 14-digit timestamp."""
    return datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def write_warc(path: Path, samples: list[Sample]) -> list[dict]:
    """Write `samples` into a gzip-per-record WARC at `path`; returns capture rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    digests: dict[int, str] = {}
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
        for sample in samples:
            reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found"}
            http = StatusAndHeaders(
                f"{sample.status} {reason.get(sample.status, 'Status')}",
                [*sample.headers, ("Content-Length", str(len(sample.body)))],
                protocol="HTTP/1.1",
            )
            date = sample.when.strftime("%Y-%m-%dT%H:%M:%SZ")
            if sample.revisit_of is None:
                record = writer.create_warc_record(
                    sample.url,
                    "response",
                    payload=BytesIO(sample.body),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": date},
                )
            else:
                original = sample.revisit_of
                record = writer.create_revisit_record(
                    sample.url,
                    digests[id(original)],
                    original.url,
                    original.when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    http_headers=http,
                )
                record.rec_headers.replace_header("WARC-Date", date)
            offset = out.tell()
            writer.write_record(record)
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            if sample.revisit_of is None:
                digests[id(sample)] = digest
            else:
                digest = digests[id(sample.revisit_of)]
            mime = dict((k.lower(), v) for k, v in sample.headers).get("content-type")
            rows.append(
                {
                    "surt": canonical.surt_key(sample.url),
                    "url": sample.url,
                    "captured_at": sample.when,
                    "mime": mime.split(";")[0].strip() if mime else None,
                    "status": sample.status,
                    "digest": digest,
                    "length": out.tell() - offset,
                    "offset": offset,
                    "filename": path.name,
                    "record_type": "revisit" if sample.revisit_of else "response",
                    "refers_to_url": sample.revisit_of.url if sample.revisit_of else None,
                    "refers_to_date": sample.revisit_of.when if sample.revisit_of else None,
                    "title": sample.title,
                    "text": sample.body.decode("utf-8", "replace"),
                }
            )
    return rows


async def index(pool: asyncpg.Pool, rows: list[dict]) -> None:
    """Insert capture rows, first payload digests and search documents."""
    crawl_id = uuid.uuid4()
    async with pool.acquire() as conn:
        for row in rows:
            capture_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO captures (id, crawl_id, surt, url, captured_at, mime, status,"
                ' digest, length, "offset", filename, record_type, refers_to_url,'
                " refers_to_date, region)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,'local')",
                capture_id,
                crawl_id,
                row["surt"],
                row["url"],
                row["captured_at"],
                row["mime"],
                row["status"],
                row["digest"],
                row["length"],
                row["offset"],
                row["filename"],
                row["record_type"],
                row["refers_to_url"],
                row["refers_to_date"],
            )
            if row["record_type"] == "response":
                await conn.execute(
                    'INSERT INTO payload_digests (digest, url, captured_at, filename, "offset",'
                    " length) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING",
                    row["digest"],
                    row["url"],
                    row["captured_at"],
                    row["filename"],
                    row["offset"],
                    row["length"],
                )
            if row["title"] is not None:
                await search.DatabaseSearch(pool).store(
                    conn,
                    [
                        search.SearchDocument(
                            capture_id=capture_id,
                            url=row["url"],
                            surt=row["surt"],
                            captured_at=row["captured_at"],
                            title=row["title"],
                            text=row["text"],
                        )
                    ],
                )


async def archive(
    pool: asyncpg.Pool, settings: Settings, samples: list[Sample], name: str = "t.warc.gz"
) -> list[dict]:
    """Write the samples into a WARC in the settings' WARC folder and index them."""
    rows = write_warc(settings.warc_dir / name, samples)
    await index(pool, rows)
    return rows


@contextlib.asynccontextmanager
async def serving(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[TestClient]:
    """The real application over the test's database, served on 127.0.0.1."""
    archive_context = context.ArchiveContext(
        settings=settings,
        pool=pool,
        storage=storage.open_storage(settings),
        search=search.open_search(settings, pool),
    )
    server = TestServer(app_module.create_app(archive_context), host="127.0.0.1", port=0)
    async with TestClient(server) as client:
        yield client
