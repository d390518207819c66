"""A failing robots.txt (5xx, timeout) holds its whole host back with a growing backoff
and is asked again each time the host comes back; the URLs keep their attempts, and fail
only once robots.txt has failed for longer than `robots_failure_give_up_seconds`."""

from __future__ import annotations

import asyncpg
import crawl_sites as sites
from aiohttp import web
from prometheus_client import REGISTRY

from archivestream.core.settings import Settings
from archivestream.crawler import frontier, jobs


def _pages_counted(region: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "archivestream_pages_crawled_total", {"region": region, "outcome": outcome}
    )
    return value or 0.0


async def test_a_robots_txt_that_recovers_lets_the_host_be_captured_without_using_attempts(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    answers = iter([500, 500])

    async def failing_twice(request: web.Request) -> web.StreamResponse:
        code = next(answers, 200)
        return web.Response(status=code, text="User-agent: *\nAllow: /\n")

    site = await sites.serve(
        {"/": "home", "/two": "two", "/robots.txt": failing_twice}, robots=None
    )
    # One attempt per URL: a robots.txt failure that used one would fail the URL at once.
    settings = settings.model_copy(
        update={
            "max_attempts": 1,
            "robots_retry_base_seconds": 0.01,
            "robots_failure_give_up_seconds": 600,
        }
    )
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/"), site.url("/two")])
    finally:
        await site.close()

    assert site.count("/robots.txt") == 3
    assert site.paths()[:3] == ["/robots.txt"] * 3
    assert sorted(site.paths()[3:]) == ["/", "/two"]
    assert progress.done == 2 and progress.failed == 0
    async with pool.acquire() as conn:
        attempts = await conn.fetch("SELECT attempts FROM frontier")
        host = await conn.fetchrow(
            "SELECT robots_failing_since, robots_failed_at, robots_failures FROM hosts"
        )
    assert [row["attempts"] for row in attempts] == [1, 1]
    # robots.txt answering again ended the run of failures.
    assert host["robots_failing_since"] is None and host["robots_failed_at"] is None
    assert host["robots_failures"] == 0


async def test_a_robots_txt_that_keeps_failing_fails_its_urls_and_the_crawl_ends(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    async def down(request: web.Request) -> web.StreamResponse:
        return web.Response(status=503, text="down")

    site = await sites.serve({"/": "home", "/two": "two", "/robots.txt": down}, robots=None)
    settings = settings.model_copy(
        update={"robots_retry_base_seconds": 0.01, "robots_failure_give_up_seconds": 0.1}
    )
    failed_before = _pages_counted(settings.region, "failed")
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/"), site.url("/two")])
    finally:
        await site.close()

    assert site.count("/") == 0 and site.count("/two") == 0
    # The alert on the crawler failure rate sees the URLs given up as failed.
    assert _pages_counted(settings.region, "failed") - failed_before == 2
    # Asked again when the host came back, not once and cached.
    assert site.count("/robots.txt") >= 2
    assert progress.failed == 2 and progress.done == 0
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT attempts, last_error FROM frontier")
        failures = await conn.fetchval("SELECT robots_failures FROM hosts")
    assert failures >= 2
    for row in rows:
        assert row["attempts"] == 1
        assert row["last_error"].startswith("robots.txt unavailable for ")
        assert row["last_error"].endswith("robots.txt answered HTTP 503: host retried later")


async def claim_one(pool: asyncpg.Pool) -> frontier.Claim:
    (claimed,) = await frontier.claim(
        pool,
        worker_id="w1",
        regions=["local"],
        limit=1,
        lease_seconds=60,
        politeness_delay=0,
    )
    return claimed


async def host_wait(pool: asyncpg.Pool, claimed: frontier.Claim, *, give_up: float) -> dict:
    async with pool.acquire() as conn, conn.transaction():
        given_up = await frontier.robots_unavailable(
            conn,
            [frontier.RobotsFailure(key=claimed.key, host=claimed.host, error="HTTP 500")],
            worker_id="w1",
            base_seconds=30,
            give_up_seconds=give_up,
        )
        await frontier.release_hosts(conn, "w1", {claimed.host: 0.0}, politeness_delay=0)
        # One transaction, one now(): the wait is exactly what was set.
        row = await conn.fetchrow(
            "SELECT extract(epoch FROM next_allowed_at - robots_failed_at)::float8 AS wait,"
            " robots_failures FROM hosts"
        )
        status = await conn.fetchrow("SELECT status, attempts, last_error FROM frontier")
    return {"given_up": given_up, **dict(row), **dict(status)}


async def test_the_host_backoff_doubles_and_the_attempt_is_given_back(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    await jobs.create_crawl(pool, settings, ["http://down.test/"])
    first = await host_wait(pool, await claim_one(pool), give_up=3600)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE hosts SET next_allowed_at = now()")
    second = await host_wait(pool, await claim_one(pool), give_up=3600)

    assert (first["wait"], second["wait"]) == (30.0, 60.0)
    assert (first["robots_failures"], second["robots_failures"]) == (1, 2)
    assert first["status"] == second["status"] == "queued"
    assert first["attempts"] == second["attempts"] == 0
    assert second["last_error"] == "HTTP 500"
    assert first["given_up"] == second["given_up"] == {}


async def test_after_the_give_up_bound_the_url_fails_with_how_long(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    await jobs.create_crawl(pool, settings, ["http://down.test/"])
    await host_wait(pool, await claim_one(pool), give_up=3600)
    async with pool.acquire() as conn:
        # The run of failures began 100 s ago.
        await conn.execute(
            "UPDATE hosts SET next_allowed_at = now(),"
            " robots_failing_since = now() - INTERVAL '100 seconds'"
        )
    result = await host_wait(pool, await claim_one(pool), give_up=50)

    reason = "robots.txt unavailable for 100 s: HTTP 500"
    assert result["given_up"] == {"down.test": reason}
    assert result["status"] == "failed" and result["last_error"] == reason
    assert result["attempts"] == 1
