"""Database pool gauges for every component: `archivestream_db_pool_connections_in_use`
and `archivestream_db_pool_size`, labelled by component (api, crawler, operator).

Read from the pools at scrape time, so the figures are never stale and nothing has to
update them; a component calls `track(pool, "api")` once after opening its pool and
`untrack` when it closes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_pools: dict[str, Any] = {}


def track(pool: Any, component: str) -> None:
    """Report `pool` (an asyncpg.Pool) under `component` from now on."""
    _pools[component] = pool


def untrack(component: str) -> None:
    """Stop reporting the pool of `component` (it is closing)."""
    _pools.pop(component, None)


class PoolCollector(Collector):
    """Collects both gauges from the tracked pools when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        in_use = GaugeMetricFamily(
            "archivestream_db_pool_connections_in_use",
            "Database connections checked out of the pool right now.",
            labels=["component"],
        )
        size = GaugeMetricFamily(
            "archivestream_db_pool_size",
            "Most connections the pool may open.",
            labels=["component"],
        )
        for component, pool in sorted(_pools.items()):
            opened = pool.get_size()
            in_use.add_metric([component], opened - pool.get_idle_size())
            size.add_metric([component], pool.get_max_size())
        yield in_use
        yield size


_collector = PoolCollector()
REGISTRY.register(_collector)
