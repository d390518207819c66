"""What every route of the application shares: settings, the database pool, the WARC
storage and the search backend, opened once per process (never per request)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
from aiohttp import web

from archivestream.core.settings import Settings


@dataclass
class ArchiveContext:
    """The process's long-lived resources, handed to the application at start-up."""

    settings: Settings
    pool: asyncpg.Pool
    storage: Any = None  # archivestream.crawler.storage.Storage
    search: Any = None  # archivestream.crawler.search.SearchBackend

    def base_url(self, request: web.Request) -> str:
        """The archive's absolute origin for links: settings.public_url, or the request's."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return f"{request.scheme}://{request.host}"


CONTEXT = web.AppKey("archivestream_context", ArchiveContext)


def of(request: web.Request) -> ArchiveContext:
    """The context of the application serving `request`."""
    return request.app[CONTEXT]
