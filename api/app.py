"""The aiohttp application: the routes of the design, and the one middleware that
times every request (by route template) and turns every failure into a JSON reason.

Bad input never reaches a 500: the routes refuse it with 400; a database or search
backend that is away gives 503; only a bug gives 500, logged with its traceback.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import asyncpg
import structlog
from aiohttp import web

from archivestream.api import (
    cdx,
    context,
    crawl_requests,
    crawl_status,
    errors,
    health,
    metrics,
    openapi,
    replay,
    search_routes,
    timemap,
)
from archivestream.crawler import search

log = structlog.get_logger("archivestream.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route_of(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "unmatched"


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            return error_response(error)
        return errors.as_json(error)
    except search.SearchUnavailable as error:
        return errors.as_json(errors.unavailable(f"search is unavailable: {error}"))
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as error:
        log.warning("database unavailable", path=request.path, error=str(error))
        return errors.as_json(errors.unavailable(f"the database cannot be reached: {error}"))
    except Exception:
        log.exception("request failed", method=request.method, path=request.path)
        return web.json_response(
            {"error": "internal error; the server log has the details"}, status=500
        )


def error_response(error: web.HTTPException) -> web.Response:
    """A redirect raised as an exception, as a plain response."""
    response = web.Response(status=error.status, text=error.text)
    for name, value in error.headers.items():
        if name.lower() not in ("content-length", "content-type"):
            response.headers[name] = value
    return response


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time the request under its route template and make every error JSON."""
    started = time.perf_counter()
    response = await _answer(request, handler)
    metrics.api_request_duration_seconds.labels(
        route=_route_of(request), method=request.method, status=str(response.status)
    ).observe(time.perf_counter() - started)
    return response


def create_app(archive: context.ArchiveContext) -> web.Application:
    """The application over `archive`'s pool, storage and search backend."""
    app = web.Application(middlewares=[observe], client_max_size=crawl_requests.MAX_BODY_BYTES)
    app[context.CONTEXT] = archive
    app.router.add_get("/health", health.health)
    app.router.add_get("/ready", health.ready)
    app.router.add_post("/crawl", crawl_requests.create)
    app.router.add_get("/crawl/{id}", crawl_status.show)
    app.router.add_get("/api/v1/search", search_routes.search)
    app.router.add_get("/api/health/frontier", health.frontier)
    app.router.add_get("/cdx", cdx.cdx)
    app.router.add_get("/web/{tail:.+}", replay.replay)
    app.router.add_get("/timemap/link/{tail:.+}", timemap.timemap)
    app.router.add_get("/metrics", metrics.metrics_endpoint)
    app.router.add_get("/openapi.json", openapi.openapi)
    return app
