"""The frontier seen per region: how many URLs wait, are in flight, are done or failed,
and whether the region's workers are alive (a heartbeat newer than
`settings.region_stale_seconds`). Read by `/api/health/frontier` and by the
`frontier_depth` and `frontier_in_flight` gauges of `/metrics`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from pydantic import BaseModel


class RegionFrontier(BaseModel):
    """One region's frontier and liveness."""

    region: str
    depth: int
    in_flight: int
    crawled: int
    failed: int
    last_heartbeat: datetime | None
    up: bool


class FrontierHealth(BaseModel):
    """The answer of GET /api/health/frontier."""

    regions: list[RegionFrontier]


async def by_region(pool: asyncpg.Pool, stale_seconds: float) -> list[RegionFrontier]:
    """Every region that has frontier rows or a heartbeat, sorted by name."""
    counts = await pool.fetch(
        "SELECT region, status, count(*) AS n FROM frontier GROUP BY region, status"
    )
    beats = await pool.fetch(
        "SELECT name AS region, last_heartbeat FROM regions"
        " UNION ALL SELECT region, max(last_heartbeat) FROM workers GROUP BY region"
    )

    tallies: dict[str, dict[str, int]] = {}
    for row in counts:
        tallies.setdefault(row["region"], {})[row["status"]] = row["n"]
    heartbeats: dict[str, datetime | None] = {}
    for row in beats:
        tallies.setdefault(row["region"], {})
        known = heartbeats.get(row["region"])
        beat = row["last_heartbeat"]
        if beat is not None and (known is None or beat > known):
            heartbeats[row["region"]] = beat
        else:
            heartbeats.setdefault(row["region"], known)

    fresh_after = datetime.now(UTC) - timedelta(seconds=stale_seconds)
    regions = []
    for region in sorted(tallies):
        tally = tallies[region]
        beat = heartbeats.get(region)
        regions.append(
            RegionFrontier(
                region=region,
                depth=tally.get("queued", 0),
                in_flight=tally.get("in_flight", 0) + tally.get("fetched", 0),
                crawled=tally.get("done", 0),
                failed=tally.get("failed", 0),
                last_heartbeat=beat,
                up=beat is not None and beat >= fresh_after,
            )
        )
    return regions
