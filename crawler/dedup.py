"""Payload deduplication: which payload digests are already stored, and where.

A payload whose digest was stored before (any URL, any earlier crawl) is written as a
revisit record naming the original's URL and date. Originals are looked up in three
places, cheapest first: the digests written into this worker's WARC files that are not
closed yet (they reach `payload_digests` only when their file is indexed), an LRU cache
of digests seen stored, and the `payload_digests` table. Lookups that arrive together
go to the database as one query.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

log = structlog.get_logger("archivestream.dedup")


@dataclass(frozen=True)
class Original:
    """The first stored copy of a payload: what a revisit record refers to."""

    url: str
    captured_at: datetime
    # Known for originals written by this worker; None when read from payload_digests.
    capture_id: uuid.UUID | None = None


class Deduplicator:
    """Digest -> original capture, for one worker (digests as `sha1:BASE32`)."""

    def __init__(self, pool: asyncpg.Pool | None, *, cache_size: int = 200_000) -> None:
        self.pool = pool
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Original] = OrderedDict()
        # Digests written into still-open WARC files, by file name.
        self._open: dict[str, dict[str, Original]] = {}
        self._pending: dict[str, asyncio.Future[Original | None]] = {}
        self._flush_scheduled = False
        self._flushes: set[asyncio.Task[None]] = set()

    def in_open_files(self, digest: str) -> Original | None:
        """The original among this worker's not-yet-closed files, if any (no I/O)."""
        for digests in self._open.values():
            found = digests.get(digest)
            if found is not None:
                return found
        return None

    def remember_written(self, filename: str, digest: str, original: Original) -> None:
        """A response with this digest was written into the open file `filename`."""
        self._open.setdefault(filename, {}).setdefault(digest, original)

    def file_closed(self, filename: str) -> None:
        """The file is closed and about to be indexed: its digests move to the cache."""
        for digest, original in self._open.pop(filename, {}).items():
            self._remember(digest, original)

    def file_failed(self, filename: str) -> None:
        """The file was not stored: its payloads must not be referred to."""
        self._open.pop(filename, None)

    def _remember(self, digest: str, original: Original) -> None:
        self._cache[digest] = original
        self._cache.move_to_end(digest)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def lookup(self, digest: str) -> Original | None:
        """The original of `digest`, or None when the payload was never stored."""
        found = self.in_open_files(digest)
        if found is not None:
            return found
        found = self._cache.get(digest)
        if found is not None:
            self._cache.move_to_end(digest)
            return found
        if self.pool is None:
            return None
        waiting = self._pending.get(digest)
        if waiting is None:
            waiting = asyncio.get_running_loop().create_future()
            self._pending[digest] = waiting
            if not self._flush_scheduled:
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._start_flush)
        return await asyncio.shield(waiting)

    def _start_flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, {}
        if batch:
            task = asyncio.get_running_loop().create_task(self._flush(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: dict[str, asyncio.Future[Original | None]]) -> None:
        assert self.pool is not None
        try:
            rows = await self.pool.fetch(
                "SELECT digest, url, captured_at FROM payload_digests WHERE digest = ANY($1)",
                list(batch),
            )
        except Exception as error:
            for future in batch.values():
                if not future.done():
                    future.set_exception(error)
            return
        found = {row["digest"]: Original(row["url"], row["captured_at"]) for row in rows}
        for digest, original in found.items():
            self._remember(digest, original)
        for digest, future in batch.items():
            if not future.done():
                future.set_result(found.get(digest))
