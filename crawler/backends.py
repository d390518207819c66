"""What a process of the archive opens before it works, and closes after: the database
pool (its schema checked, or migrated when embedded), the WARC store and the search
backend. Every command (`crawl`, `crawler`, `api`, `up`, `search`) opens them here, in one
order, and they are closed in the reverse order whatever happens in between."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from archivestream.core import database, pool_metrics
from archivestream.core.settings import Settings
from archivestream.crawler import search, storage


@dataclass(frozen=True)
class Backends:
    """The opened parts a command works with."""

    pool: asyncpg.Pool
    store: storage.Storage
    search: search.SearchBackend


@contextlib.asynccontextmanager
async def opened(
    settings: Settings,
    *,
    writing: bool,
    component: str | None = None,
    recorded: bool = False,
) -> AsyncIterator[Backends]:
    """Open the parts for one command.

    `writing`: this process stores WARC files, so its store must be usable now (checked
    at start, with a one-line error) and an S3 endpoint needs a bucket. `component`: its
    pool is reported in the `db_pool_*` gauges under that name. `recorded`: files are read
    from where their writers recorded them (the API, which serves every region).
    """
    pool = await database.create_pool(settings)
    try:
        await database.prepare(pool, settings)
        if component is not None:
            pool_metrics.track(pool, component)
        own = storage.open_for_writing(settings) if writing else storage.open_storage(settings)
        store: storage.Storage = storage.RecordedLocations(pool, own) if recorded else own
        try:
            if writing:
                await store.check()
            backend = search.open_search(settings, pool)
            try:
                yield Backends(pool=pool, store=store, search=backend)
            finally:
                await backend.close()
        finally:
            await store.close()
    finally:
        if component is not None:
            pool_metrics.untrack(component)
        await pool.close()
