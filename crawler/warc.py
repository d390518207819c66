"""WARC writing: one open file per worker, rolled at a size or an age, and record reading.

Each fetch becomes a `response` record (or a `revisit` when its payload digest is
already stored) followed by its `request` record, each its own gzip member, written with
warcio in WARC/1.1 after a `warcinfo` record. A file grows in the spool folder under a
`.open` name and is handed to storage when it closes; closing returns everything needed
to index it (`ClosedWarc`). Hashing, compression and file writes run in threads and
search text is read in the page reading processes (`page`), so the event loop keeps
fetching.

The payload is stored as received minus its transfer coding (content coding kept), so a
`Transfer-Encoding` header would lie about the stored bytes: it is kept as
`X-Archive-Orig-Transfer-Encoding` and a `Content-Length` of the stored payload is set,
which is what replay tools then serve.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http
import io
import os
import re
import socket
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from warcio.recordloader import ArchiveLoadFailed, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
from warcio.warcwriter import WARCWriter
from yarl import URL

from archivestream.core.settings import Settings
from archivestream.crawler import canonical, fetcher, metrics, page, text
from archivestream.crawler.dedup import Deduplicator, Original
from archivestream.crawler.search import SearchBackend, SearchDocument
from archivestream.crawler.storage import Storage

if TYPE_CHECKING:
    from archivestream.crawler.fetcher import Fetched

log = structlog.get_logger("archivestream.warc")

WARC_VERSION = "WARC/1.1"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
FILE_PREFIX = "archivestream"
# zlib level 2: on HTML it is 3.5 times as fast as gzip's default level 6 for about 15 %
# more bytes, and compression is most of the writer's CPU time.
GZIP_LEVEL = 2
# A file also closes when the search text it holds for indexing passes this, so a fast
# crawl with a long roll-over age keeps a bounded memory.
MAX_PENDING_TEXT_CHARS = 32 * 1024 * 1024
# read_record refuses records that inflate beyond this.
MAX_RECORD_BYTES = 256 * 1024 * 1024

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class CaptureRow:
    """One row of the capture index, as cdxj-indexer would describe the record."""

    crawl_id: uuid.UUID
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
    refers_to_url: str | None = None
    refers_to_date: datetime | None = None
    region: str | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class WrittenRecord:
    """Where a fetch went: its capture record (response or revisit) in an open file."""

    record_type: str
    digest: str
    offset: int
    length: int
    filename: str
    capture_id: uuid.UUID


@dataclass
class ClosedWarc:
    """A closed, stored WARC file and what indexing it takes."""

    filename: str
    location: str
    bytes: int
    records: int
    opened_at: datetime
    region: str
    captures: list[CaptureRow]
    documents: list[SearchDocument]
    # The S3 endpoint the file was stored through (None: default endpoint or a folder).
    endpoint: str | None = None


class WarcWriteError(Exception):
    """A record could not be written; the message names the file and the reason."""


class WarcRecordError(Exception):
    """A stored record cannot be read (truncated, corrupt, not WARC); says where."""


def payload_digest(payload: bytes) -> str:
    """`sha1:` and the base32 SHA-1 of a payload: the WARC header's and cdxj-indexer's form."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


EMPTY_DIGEST = payload_digest(b"")


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date with microseconds, always in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _header_text(value: str) -> str:
    # A header must stay on one line, and undecodable bytes (surrogate escapes) are kept
    # as Latin-1 so warcio can percent-encode them instead of failing.
    value = value.replace("\r", " ").replace("\n", " ")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogateescape").decode("latin-1")
    return value


def _mime(headers: list[tuple[str, str]]) -> str | None:
    # The same rule as cdxj-indexer: up to the first ';' or space, case kept.
    value = fetcher.header(headers, "content-type")
    if value is None:
        return None
    return re.split(r"[;\s]", value.strip(), maxsplit=1)[0].strip() or None


def response_headers(fetched: Fetched) -> StatusAndHeaders:
    """The response's status line and headers as they go into the WARC record."""
    headers = [(_header_text(k), _header_text(v)) for k, v in fetched.response_headers]
    chunked = any(k.lower() == "transfer-encoding" for k, _ in headers)
    if chunked:
        headers = [
            ("X-Archive-Orig-Transfer-Encoding", v) if k.lower() == "transfer-encoding" else (k, v)
            for k, v in headers
            if not k.lower() == "content-length"
        ]
        headers.append(("Content-Length", str(len(fetched.payload))))
    reason = fetched.reason
    if not reason:
        try:
            reason = http.HTTPStatus(fetched.status).phrase
        except ValueError:
            reason = "Unknown"
    return StatusAndHeaders(
        f"{fetched.status} {_header_text(reason)}",
        headers,
        protocol=f"HTTP/{fetched.http_version or '1.1'}",
    )


def request_headers(fetched: Fetched) -> StatusAndHeaders:
    target = URL(fetched.url).raw_path_qs or "/"
    headers = [(_header_text(k), _header_text(v)) for k, v in fetched.request_headers]
    return StatusAndHeaders(
        f"{target} HTTP/{fetched.http_version or '1.1'}", headers, protocol=fetched.method
    )


@dataclass
class _Prepared:
    """The CPU work of a fetch, done before taking the file."""

    digest: str
    http_headers: StatusAndHeaders
    block_digest: str | None


def _searchable(fetched: Fetched) -> bool:
    return 200 <= fetched.status < 300 and text.is_html(fetched.response_headers)


def _prepare(fetched: Fetched, digest: str, *, full: bool) -> _Prepared:
    """Headers for the record and, for a full response, its block digest (a revisit's
    block is its headers only)."""
    http_headers = response_headers(fetched)
    http_headers.compute_headers_buffer()
    if not full:
        return _Prepared(digest, http_headers, None)
    block = hashlib.sha1(http_headers.headers_buff)
    block.update(fetched.payload)
    block_digest = "sha1:" + base64.b32encode(block.digest()).decode("ascii")
    return _Prepared(digest, http_headers, block_digest)


# Payloads up to this size are hashed on the event loop: a thread hop costs more.
_INLINE_HASH_BYTES = 256 * 1024
# Search text is extracted beside the writing, at most this many pages at once (a write
# waits for a free slot, so payloads waiting for extraction stay bounded).
_EXTRACTIONS = 8


class _GzipMember:
    """What warcio writes into: each record (ended by warcio's flush) is one gzip member."""

    def __init__(self, file: io.BufferedWriter) -> None:
        self.file = file
        self.position = 0
        self._compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def write(self, data: bytes) -> None:
        out = self._compressor.compress(data)
        self.file.write(out)
        self.position += len(out)

    def flush(self) -> None:
        out = self._compressor.flush()
        self.file.write(out)
        self.position += len(out)
        self._compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)


class _OpenWarc:
    """One WARC file being written in the spool; its methods run in a worker thread."""

    def __init__(self, path: Path, filename: str, info: dict[str, str]) -> None:
        self.path = path
        self.filename = filename
        self.opened_at = datetime.now(UTC)
        self.opened_clock = time.monotonic()
        self.records = 0
        self.text_chars = 0
        self.captures: list[CaptureRow] = []
        self.documents: list[SearchDocument] = []
        self.extracting: set[asyncio.Task[None]] = set()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "xb", buffering=1024 * 1024)  # noqa: SIM115 (closed in finish)
        self.out = _GzipMember(self.file)
        self.writer = WARCWriter(self.out, gzip=False, warc_version=WARC_VERSION)
        self.writer.write_record(self.writer.create_warcinfo_record(filename, info))
        self.records = 1

    @property
    def size(self) -> int:
        return self.out.position

    def write_exchange(
        self, fetched: Fetched, prepared: _Prepared, original: Original | None
    ) -> tuple[int, int]:
        """Write the capture record and its request; returns the capture's (offset, length)."""
        writer = self.writer
        common = {"WARC-Date": warc_date(fetched.started_at)}
        if fetched.ip:
            common["WARC-IP-Address"] = fetched.ip

        if original is None:
            headers = dict(common)
            headers["WARC-Payload-Digest"] = prepared.digest
            headers["WARC-Block-Digest"] = prepared.block_digest
            if fetched.truncated:
                headers["WARC-Truncated"] = "length"
            record = writer.create_warc_record(
                fetched.url,
                "response",
                payload=io.BytesIO(fetched.payload),
                length=len(fetched.payload),
                http_headers=prepared.http_headers,
                warc_headers_dict=headers,
            )
        else:
            record = writer.create_revisit_record(
                fetched.url,
                digest=prepared.digest,
                refers_to_uri=original.url,
                refers_to_date=warc_date(original.captured_at),
                http_headers=prepared.http_headers,
                warc_headers_dict=dict(common),
            )
            record.rec_headers.replace_header("WARC-Profile", REVISIT_PROFILE)

        offset = self.out.position
        writer.write_record(record)
        length = self.out.position - offset

        request = writer.create_warc_record(
            fetched.url,
            "request",
            http_headers=request_headers(fetched),
            warc_headers_dict={
                **common,
                "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        writer.write_record(request)
        self.records += 2
        return offset, length

    def finish(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()

    def abandon(self) -> None:
        if not self.file.closed:
            self.file.close()


class WarcWriter:
    """The WARC output of one worker: one open file at a time, safe for concurrent fetches.

    Call `write` for every fetch, `roll_if_due` after writes and now and then (it closes
    the file at its size or age), and `close` when the worker runs out of work or stops.
    """

    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        *,
        region: str,
        worker_id: str,
        dedup: Deduplicator,
        search_backend: SearchBackend | None = None,
    ) -> None:
        self.storage = storage
        self.search_backend = search_backend
        self.settings = settings
        self.region = region
        self.worker_id = worker_id
        self.dedup = dedup
        self.spool = settings.data_dir / "spool"
        self._worker_name = _UNSAFE_NAME.sub("_", worker_id) or "worker"
        self._serial = 0
        self._file: _OpenWarc | None = None
        self._lock = asyncio.Lock()
        self._extraction_slots = asyncio.Semaphore(_EXTRACTIONS)

    @property
    def open_filename(self) -> str | None:
        """The file being written now, if any."""
        return self._file.filename if self._file else None

    def _info(self) -> dict[str, str]:
        from importlib.metadata import PackageNotFoundError, version

        try:
            ours = version("archivestream")
        except PackageNotFoundError:
            ours = "dev"
        return {
            "software": f"ArchiveStream/{ours} (warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "http-header-user-agent": self.settings.user_agent,
            "robots": "obey",
            "isPartOf": f"region {self.region}, worker {self.worker_id}",
        }

    def _new_file(self) -> _OpenWarc:
        self._serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        filename = (
            f"{FILE_PREFIX}-{self.region}-{stamp}-{self._worker_name}-{self._serial:05d}.warc.gz"
        )
        opened = _OpenWarc(self.spool / f"{filename}.open", filename, self._info())
        log.info("warc opened", filename=filename, region=self.region)
        return opened

    async def write(
        self,
        fetched: Fetched,
        *,
        crawl_id: uuid.UUID,
        surt: str,
        page_work: page.PageWork | None = None,
    ) -> WrittenRecord:
        """Write one fetch: request + response, or request + revisit for a known payload.

        An HTML response's search text comes from `page_work` when given (the worker reads
        each page once, for its links and its text); it is started here, with its text
        only when the payload is new.
        """
        if len(fetched.payload) <= _INLINE_HASH_BYTES:
            digest = payload_digest(fetched.payload)
        else:
            digest = await asyncio.to_thread(payload_digest, fetched.payload)
        empty = not fetched.payload
        # An empty payload (a redirect, a 204) is always written out in full: a revisit
        # would save nothing.
        original = None if empty else await self.dedup.lookup(digest)
        if original is None and len(fetched.payload) > _INLINE_HASH_BYTES:
            prepared = await asyncio.to_thread(_prepare, fetched, digest, full=True)
        else:
            prepared = _prepare(fetched, digest, full=original is None)

        async with self._lock:
            if original is None and not empty:
                # Written by a concurrent fetch while the lookup was under way.
                original = self.dedup.in_open_files(prepared.digest)
            if self._file is None:
                self._file = await asyncio.to_thread(self._new_file)
            current = self._file
            before = current.size
            try:
                offset, length = await asyncio.to_thread(
                    current.write_exchange, fetched, prepared, original
                )
            except Exception as error:
                raise WarcWriteError(
                    f"cannot write {fetched.url} into {current.filename}: {error}"
                ) from error

            captured_at = fetched.started_at.astimezone(UTC)
            record_type = "response" if original is None else "revisit"
            capture_id = uuid.uuid4()
            if original is None and not empty:
                self.dedup.remember_written(
                    current.filename,
                    prepared.digest,
                    Original(fetched.url, captured_at, capture_id),
                )
            row = CaptureRow(
                id=capture_id,
                crawl_id=crawl_id,
                surt=surt,
                url=fetched.url,
                captured_at=captured_at,
                mime=_mime(fetched.response_headers) if original is None else "warc/revisit",
                status=fetched.status,
                digest=prepared.digest,
                length=length,
                offset=offset,
                filename=current.filename,
                record_type=record_type,
                refers_to_url=original.url if original else None,
                refers_to_date=original.captured_at if original else None,
                region=self.region,
            )
            current.captures.append(row)
            document = None
            if original is not None and _searchable(fetched):
                # Same payload, same text: the search backend takes the original's.
                document = SearchDocument(
                    capture_id=row.id,
                    url=fetched.url,
                    surt=surt,
                    captured_at=captured_at,
                    title="",
                    text="",
                    refers_to_surt=canonical.surt_key(original.url),
                    refers_to_date=original.captured_at,
                    refers_to_capture=original.capture_id,
                )
            if document is not None:
                current.documents.append(document)
            written = current.size - before

        if document is not None and self.search_backend is not None:
            self.search_backend.prepare([document])
        wants_text = original is None and _searchable(fetched)
        if page_work is None and wants_text:
            page_work = page.PageWork(fetched, want_links=False)
        if page_work is not None:
            if wants_text:
                await self._extraction_slots.acquire()
            page_work.start(want_text=wants_text)
        if wants_text:
            assert page_work is not None
            task = asyncio.create_task(self._extract(current, row, page_work))
            current.extracting.add(task)
            task.add_done_callback(current.extracting.discard)
        metrics.warc_bytes_written_total.labels(region=self.region).inc(written)
        if original is not None:
            metrics.payloads_deduplicated_total.labels(region=self.region).inc()
        return WrittenRecord(
            record_type=record_type,
            digest=prepared.digest,
            offset=offset,
            length=length,
            filename=row.filename,
            capture_id=row.id,
        )

    async def _extract(
        self, current: _OpenWarc, row: CaptureRow, page_work: page.PageWork
    ) -> None:
        """The search document of a written HTML response, made beside the writing."""
        try:
            found = await page_work.text()
        except Exception as error:  # a page that breaks the parser is not worth a crawl
            log.warning("search text not extracted", url=row.url, error=str(error))
            return
        finally:
            self._extraction_slots.release()
        if found is None:
            return
        document = SearchDocument(
            capture_id=row.id,
            url=row.url,
            surt=row.surt,
            captured_at=row.captured_at,
            title=found.title,
            text=found.text,
        )
        current.documents.append(document)
        current.text_chars += len(found.text)
        if self.search_backend is not None:
            self.search_backend.prepare([document])

    def _due(self, current: _OpenWarc) -> bool:
        return (
            current.size >= self.settings.warc_max_bytes
            or time.monotonic() - current.opened_clock >= self.settings.warc_max_age_seconds
            or current.text_chars >= MAX_PENDING_TEXT_CHARS
        )

    async def roll_if_due(self) -> ClosedWarc | None:
        """Close the open file if it reached its size or age; the closed file, or None."""
        current = self._file
        if current is None or not self._due(current):
            return None
        return await self.close()

    async def close(self) -> ClosedWarc | None:
        """Close the open file, store it and return it for indexing (None when none is open)."""
        async with self._lock:
            current = self._file
            if current is None:
                return None
            self._file = None
            if current.extracting:
                await asyncio.gather(*current.extracting)
            try:
                await asyncio.to_thread(current.finish)
            except OSError as error:
                current.abandon()
                self.dedup.file_failed(current.filename)
                raise WarcWriteError(f"cannot finish {current.filename}: {error}") from error

        try:
            location = await self.storage.put(current.path, current.filename)
        except Exception:
            # The file stays in the spool; its records are not indexed, so revisits must
            # not point at them.
            self.dedup.file_failed(current.filename)
            log.error("warc not stored", filename=current.filename, path=str(current.path))
            raise
        self.dedup.file_closed(current.filename)
        metrics.warc_files_closed_total.labels(region=self.region).inc()
        log.info(
            "warc closed",
            filename=current.filename,
            region=self.region,
            bytes=current.size,
            records=current.records,
            captures=len(current.captures),
        )
        return ClosedWarc(
            filename=current.filename,
            location=location,
            bytes=current.size,
            records=current.records,
            opened_at=current.opened_at,
            region=self.region,
            captures=current.captures,
            documents=current.documents,
            endpoint=self.storage.endpoint,
        )


@dataclass
class ParsedRecord:
    """One WARC record read back: its WARC headers, HTTP status and headers, payload."""

    record_type: str
    target_uri: str
    date: str
    warc_headers: list[tuple[str, str]]
    status: int | None
    reason: str
    http_headers: list[tuple[str, str]]
    payload: bytes

    def warc_header(self, name: str) -> str | None:
        return fetcher.header(self.warc_headers, name)

    def http_header(self, name: str) -> str | None:
        return fetcher.header(self.http_headers, name)


def _inflate_member(data: bytes, where: str) -> bytes:
    if data[:2] != b"\x1f\x8b":
        raise WarcRecordError(f"{where} is not a gzip-compressed WARC record")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(data, MAX_RECORD_BYTES)
    except zlib.error as error:
        raise WarcRecordError(f"{where} is corrupt: {error}") from None
    if inflater.unconsumed_tail:
        raise WarcRecordError(f"{where} inflates beyond {MAX_RECORD_BYTES} bytes")
    if not inflater.eof:
        raise WarcRecordError(f"{where} is truncated: the gzip member ends early")
    return raw


def parse_record(data: bytes, where: str = "record") -> ParsedRecord:
    """Parse one gzip-compressed WARC record (blocking; see `read_record`)."""
    raw = _inflate_member(data, where)
    if not raw.startswith(b"WARC/"):
        raise WarcRecordError(f"{where} is not a WARC record: no WARC/ version line")
    try:
        record = ArcWarcRecordLoader().parse_record_stream(
            io.BytesIO(raw), ensure_http_headers=True
        )
        declared = int(record.rec_headers.get_header("Content-Length") or -1)
        payload = record.raw_stream.read()
    except (
        ArchiveLoadFailed,
        StatusAndHeadersParserException,
        ValueError,
        IndexError,
        UnicodeError,
    ) as error:
        raise WarcRecordError(f"{where} is not a WARC record: {error}") from None
    head = record.http_headers.total_len if record.http_headers else 0
    if record.rec_type in ("response", "request", "revisit") and head + len(payload) != declared:
        raise WarcRecordError(
            f"{where} is truncated: its block holds {head + len(payload)} of {declared} bytes"
        )
    status: int | None = None
    reason = ""
    http_headers: list[tuple[str, str]] = []
    if record.http_headers and record.rec_type in ("response", "revisit"):
        code, _, reason = record.http_headers.statusline.partition(" ")
        status = int(code) if code.isdigit() else None
        http_headers = list(record.http_headers.headers)
    return ParsedRecord(
        record_type=record.rec_type,
        target_uri=record.rec_headers.get_header("WARC-Target-URI") or "",
        date=record.rec_headers.get_header("WARC-Date") or "",
        warc_headers=list(record.rec_headers.headers),
        status=status,
        reason=reason,
        http_headers=http_headers,
        payload=payload,
    )


async def read_record(storage: Storage, filename: str, offset: int, length: int) -> ParsedRecord:
    """Read and parse the record at `offset` (`length` compressed bytes) of a stored file.

    Raises StorageError when the bytes cannot be read, WarcRecordError when they are not
    one whole WARC record (a truncated file, a wrong offset).
    """
    data = await storage.read(filename, offset, length)
    return await asyncio.to_thread(parse_record, data, f"record {filename}@{offset}+{length}")
