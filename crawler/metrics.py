"""The crawler's Prometheus metrics (default registry, prefix `archivestream_`).

Names and labels are the design's contract. The WARC writer increments the bytes,
files and deduplication counters from here; the worker counts pages and fetch times.
A standalone worker (`archivestream crawler`) serves them itself with `serve`; in
`archivestream up` the API's /metrics shows them.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

pages_crawled_total = Counter(
    "archivestream_pages_crawled_total",
    "URLs whose fetch ended, by outcome (captured, failed, retried, blocked).",
    ["region", "outcome"],
)
fetch_duration_seconds = Histogram(
    "archivestream_fetch_duration_seconds",
    "Time from sending a request to the last byte of its response.",
    ["region"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
warc_bytes_written_total = Counter(
    "archivestream_warc_bytes_written_total",
    "Bytes written into WARC files (compressed, as stored).",
    ["region"],
)
warc_files_closed_total = Counter(
    "archivestream_warc_files_closed_total",
    "WARC files closed and stored.",
    ["region"],
)
payloads_deduplicated_total = Counter(
    "archivestream_payloads_deduplicated_total",
    "Responses stored as revisit records because their payload was already stored.",
    ["region"],
)


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(
        body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def serve(host: str, port: int) -> web.AppRunner | None:
    """Serve /metrics and /health on host:port until the runner is cleaned up; 0 is off."""
    if port == 0:
        return None
    app = web.Application()
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/health", _health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
