"""The API's Prometheus metrics and the `/metrics` endpoint.

`frontier_depth` and `frontier_in_flight` are computed from the database at scrape
time, one database-wide value per region (so several API replicas report the same
figure and dashboards take `max()` by region). Request durations are labelled by the
route's template (`/web/{tail}`), never the raw path, to keep the label set bounded.
Whatever else lives in the process's default registry (the crawler's counters under
`archivestream up`, the pool gauges) is exposed too.
"""

from __future__ import annotations

import asyncpg
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, Histogram, generate_latest

from archivestream.api import context, frontier_status
from archivestream.core import pool_metrics  # noqa: F401  (registers the pool gauges)

log = structlog.get_logger("archivestream.api")

frontier_depth = Gauge(
    "archivestream_frontier_depth",
    "URLs queued in the frontier, database-wide, per region.",
    ["region"],
)
frontier_in_flight = Gauge(
    "archivestream_frontier_in_flight",
    "URLs claimed by workers and not yet done, database-wide, per region.",
    ["region"],
)
api_request_duration_seconds = Histogram(
    "archivestream_api_request_duration_seconds",
    "Time to answer an API request, by route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


async def refresh_frontier(pool: asyncpg.Pool, stale_seconds: float) -> None:
    """Set the frontier gauges from the database; regions that vanished are dropped."""
    regions = await frontier_status.by_region(pool, stale_seconds)
    frontier_depth.clear()
    frontier_in_flight.clear()
    for region in regions:
        frontier_depth.labels(region=region.region).set(region.depth)
        frontier_in_flight.labels(region=region.region).set(region.in_flight)


async def metrics_endpoint(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text format."""
    archive = context.of(request)
    try:
        await refresh_frontier(archive.pool, archive.settings.region_stale_seconds)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        # The other metrics are still worth scraping while the database is away.
        log.warning("frontier gauges not refreshed", error=str(error))
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
