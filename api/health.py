"""Liveness and readiness: `/health` answers while the process can serve, `/ready`
only when the database answers too, and `/api/health/frontier` shows each region's
frontier and whether its workers are alive."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web

from archivestream.api import context, errors, frontier_status

READY_TIMEOUT_SECONDS = 5.0


async def health(request: web.Request) -> web.Response:
    """GET /health."""
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """GET /ready: 200 when a query runs, 503 with the reason otherwise."""
    archive = context.of(request)
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await archive.pool.fetchval("SELECT 1 FROM schema_migrations LIMIT 1")
    except TimeoutError:
        raise errors.unavailable(
            f"the database did not answer within {READY_TIMEOUT_SECONDS:g} s"
        ) from None
    except asyncpg.UndefinedTableError:
        raise errors.unavailable(
            "the database has no schema yet; run `archivestream migrate`"
        ) from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise errors.unavailable(f"the database cannot be reached: {error}") from None
    return web.json_response({"status": "ok"})


async def frontier(request: web.Request) -> web.Response:
    """GET /api/health/frontier."""
    archive = context.of(request)
    regions = await frontier_status.by_region(archive.pool, archive.settings.region_stale_seconds)
    body = frontier_status.FrontierHealth(regions=regions)
    return web.json_response(text=body.model_dump_json())
