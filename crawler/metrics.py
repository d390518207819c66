"""The crawler's Prometheus metrics (default registry), named as the design lists them.

Every crawler module increments these; the API's `/metrics` serves them.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

pages_crawled_total = Counter(
    "archivestream_pages_crawled_total",
    "Fetch attempts finished, by outcome (ok, revisit, failed, retry, ...).",
    ["region", "outcome"],
)
fetch_duration_seconds = Histogram(
    "archivestream_fetch_duration_seconds",
    "Time from request sent to body received.",
    ["region"],
)
warc_bytes_written_total = Counter(
    "archivestream_warc_bytes_written_total",
    "Compressed bytes written to WARC files.",
    ["region"],
)
warc_files_closed_total = Counter(
    "archivestream_warc_files_closed_total",
    "WARC files closed and handed to storage.",
    ["region"],
)
payloads_deduplicated_total = Counter(
    "archivestream_payloads_deduplicated_total",
    "Payloads written as revisit records because their digest was stored before.",
    ["region"],
)
