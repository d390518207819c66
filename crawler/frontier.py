"""The frontier: every URL of every crawl, once per crawl, and who may fetch it when.

Rows are keyed by (crawl_id, SURT) and move `queued` -> `in_flight` (claimed under a
lease) -> `fetched` (written to an open WARC file; the lease is kept) -> `done` (the file
closed and its captures are recorded) or `failed` (a permanent error, or attempts used
up; `last_error` says why). A lease that expires makes its row `queued` again, so the
URLs of a killed worker are fetched by another.

Politeness lives in the `hosts` table: a worker claims whole hosts under a lease, so
two workers never fetch from one host at once, and a host is claimable again only at
its `next_allowed_at` (the politeness delay, or its robots.txt Crawl-delay, after its
last fetch ended). With both delays at zero (loopback benchmarks) a worker may keep
`per_host_concurrency` fetches of a host in flight; otherwise it keeps one.

A robots.txt that fails (5xx, timeout) holds its whole host back, as the common crawlers
do: the URL goes back to the queue with its attempt given back, and the host waits
`robots_retry_base_seconds`, doubling with each failure in a row (at most
ROBOTS_MAX_BACKOFF_SECONDS); once robots.txt has failed for longer than
`robots_failure_give_up_seconds`, the host's URLs fail. A robots.txt that answers ends
the run of failures.

Region takeover: a worker claims the rows of its own region and of every region none
of whose workers has sent a heartbeat within `region_stale_seconds`.

All SQL is portable to PostgreSQL 15+ and CockroachDB 23.2+: row locks with
FOR UPDATE SKIP LOCKED, unnest arrays for batches, no advisory locks, no PL/pgSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg
import structlog

log = structlog.get_logger("archivestream.frontier")

Key = tuple[uuid.UUID, str]

QUEUED, IN_FLIGHT, FETCHED, DONE, FAILED = "queued", "in_flight", "fetched", "done", "failed"
MAX_ERROR_CHARS = 500
ROBOTS_MAX_BACKOFF_SECONDS = 600.0
# A robots.txt failure this long after the host's last one starts a new run of failures:
# an outage seen days ago says nothing about today (longer than any backoff above).
ROBOTS_FAILURE_RUN_GAP_SECONDS = 3600.0


@dataclass(frozen=True)
class NewURL:
    """A canonical URL to add to a crawl's frontier."""

    url: str
    surt: str
    host: str
    depth: int
    via: str | None = None
    priority: int = 0
    # Embeds followed one from another to reach this URL from a page (0 for a page).
    embed_hops: int = 0


@dataclass(frozen=True)
class Claim:
    """A frontier row claimed under this worker's lease."""

    crawl_id: uuid.UUID
    surt: str
    url: str
    host: str
    depth: int
    attempts: int
    via: str | None
    crawl_delay: float | None
    embed_hops: int = 0
    # The host's robots.txt failed when last asked (a success must end that run).
    robots_failing: bool = False

    @property
    def key(self) -> Key:
        return (self.crawl_id, self.surt)


@dataclass(frozen=True)
class RobotsFailure:
    """A claimed row not fetched because its host's robots.txt failed (`error` says how)."""

    key: Key
    host: str
    error: str


@dataclass(frozen=True)
class Outcome:
    """How one claimed row's fetch ended, recorded in a batch by `record`.

    kind: `fetched` (written to the open WARC), `retry` (queued again after `delay`
    seconds, or failed once attempts are used up), `failed` (permanent), `done` (ends
    without a record, e.g. nothing left to write), `release` (given back unfetched).
    """

    key: Key
    kind: str
    error: str | None = None
    http_status: int | None = None
    fetch_ms: int | None = None
    delay: float = 0.0


async def enqueue(
    conn: asyncpg.Connection,
    crawl_id: uuid.UUID,
    urls: Sequence[NewURL],
    *,
    region: str,
    max_pages: int | None = None,
) -> int:
    """Add `urls` to the crawl (those already in it are skipped); returns how many were new.

    With `max_pages` the crawl's frontier never grows past that many rows: the crawl's
    row is locked while counting, so concurrent workers cannot overshoot it.
    """
    unique: dict[str, NewURL] = {}
    for entry in urls:
        unique.setdefault(entry.surt, entry)
    if not unique:
        return 0
    async with conn.transaction():
        if max_pages is not None:
            await conn.execute("SELECT id FROM crawls WHERE id = $1 FOR UPDATE", crawl_id)
            count = await conn.fetchval(
                "SELECT count(*) FROM frontier WHERE crawl_id = $1", crawl_id
            )
            room = max_pages - count
            if room <= 0:
                return 0
            known = await conn.fetch(
                "SELECT surt FROM frontier WHERE crawl_id = $1 AND surt = ANY($2::text[])",
                crawl_id,
                list(unique),
            )
            for row in known:
                unique.pop(row["surt"], None)
            entries = list(unique.values())[:room]
        else:
            entries = list(unique.values())
        if not entries:
            return 0
        # One order for every writer: concurrent inserts of the same keys never deadlock.
        entries.sort(key=lambda entry: entry.surt)

        await conn.execute(
            "INSERT INTO hosts (host, region)"
            " SELECT DISTINCT h, $2::text FROM unnest($1::text[]) AS h"
            " ON CONFLICT (host) DO NOTHING",
            sorted({entry.host for entry in entries}),
            region,
        )
        inserted = await conn.fetch(
            """
            INSERT INTO frontier
                (crawl_id, surt, url, host, region, depth, priority, via, embed_hops)
            SELECT $1::uuid, u.surt, u.url, u.host, $2::text, u.depth, u.priority, u.via,
                u.embed_hops
            FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[],
                        $9::int[])
                AS u(surt, url, host, depth, priority, via, embed_hops)
            ON CONFLICT (crawl_id, surt) DO NOTHING
            RETURNING surt
            """,
            crawl_id,
            region,
            [entry.surt for entry in entries],
            [entry.url for entry in entries],
            [entry.host for entry in entries],
            [entry.depth for entry in entries],
            [entry.priority for entry in entries],
            [entry.via for entry in entries],
            [entry.embed_hops for entry in entries],
        )
    return len(inserted)


async def claim(
    pool: asyncpg.Pool,
    *,
    worker_id: str,
    regions: Sequence[str],
    limit: int,
    lease_seconds: float,
    politeness_delay: float,
    per_host_concurrency: int = 1,
    held: Mapping[str, int] | None = None,
    busy_hosts: Iterable[str] = (),
    crawl_id: uuid.UUID | None = None,
) -> list[Claim]:
    """Claim up to `limit` due rows, leasing their hosts to `worker_id`.

    `held` counts this worker's fetches in flight per host; `busy_hosts` are hosts it
    holds that may take no more (their delay is not zero, or they are at
    `per_host_concurrency`). With `crawl_id`, only that crawl's rows are claimed.
    """
    held = dict(held or {})
    if limit <= 0:
        return []
    async with pool.acquire() as conn, conn.transaction():
        hosts = await conn.fetch(
            """
            SELECT h.host, h.crawl_delay, h.robots_failing_since IS NOT NULL AS robots_failing
            FROM hosts AS h
            WHERE h.next_allowed_at <= now()
              AND (h.lease_owner IS NULL OR h.lease_expires_at < now() OR h.lease_owner = $1)
              AND NOT (h.host = ANY($2::text[]))
              AND EXISTS (
                SELECT 1 FROM frontier AS f
                WHERE f.host = h.host AND f.region = ANY($3::text[]) AND f.status = 'queued'
                  AND f.next_attempt_at <= now()
                  AND ($4::uuid IS NULL OR f.crawl_id = $4::uuid))
            ORDER BY h.next_allowed_at
            LIMIT $5
            FOR UPDATE OF h SKIP LOCKED
            """,
            worker_id,
            list(busy_hosts),
            list(regions),
            crawl_id,
            limit,
        )
        if not hosts:
            return []
        delays = {row["host"]: row["crawl_delay"] for row in hosts}
        failing = {row["host"] for row in hosts if row["robots_failing"]}
        room: dict[str, int] = {}
        for host, crawl_delay in delays.items():
            quiet = politeness_delay <= 0 and not crawl_delay
            capacity = per_host_concurrency if quiet else 1
            room[host] = max(0, capacity - held.get(host, 0))
        widest = max(room.values(), default=0)
        if widest <= 0:
            return []

        candidates = await conn.fetch(
            """
            SELECT c.crawl_id, c.surt, c.host FROM unnest($1::text[]) AS h(host)
            CROSS JOIN LATERAL (
                SELECT f.crawl_id, f.surt, f.host FROM frontier AS f
                WHERE f.host = h.host AND f.region = ANY($2::text[]) AND f.status = 'queued'
                  AND f.next_attempt_at <= now()
                  AND ($3::uuid IS NULL OR f.crawl_id = $3::uuid)
                ORDER BY f.priority DESC, f.depth, f.created_at
                LIMIT $4) AS c
            """,
            [host for host, free in room.items() if free > 0],
            list(regions),
            crawl_id,
            widest,
        )
        chosen: list[Key] = []
        taken: dict[str, int] = {}
        for row in candidates:
            if len(chosen) >= limit:
                break
            if taken.get(row["host"], 0) < room[row["host"]]:
                taken[row["host"]] = taken.get(row["host"], 0) + 1
                chosen.append((row["crawl_id"], row["surt"]))
        if not chosen:
            return []

        rows = await conn.fetch(
            """
            UPDATE frontier AS f
            SET status = 'in_flight', lease_owner = $3,
                lease_expires_at = now() + $4::float8 * INTERVAL '1 second',
                attempts = f.attempts + 1, updated_at = now()
            FROM unnest($1::uuid[], $2::text[]) AS k(crawl_id, surt)
            WHERE f.crawl_id = k.crawl_id AND f.surt = k.surt AND f.status = 'queued'
            RETURNING f.crawl_id, f.surt, f.url, f.host, f.depth, f.attempts, f.via,
                f.embed_hops
            """,
            [key[0] for key in chosen],
            [key[1] for key in chosen],
            worker_id,
            lease_seconds,
        )
        await conn.execute(
            """
            UPDATE hosts SET lease_owner = $2,
                lease_expires_at = now() + $3::float8 * INTERVAL '1 second'
            WHERE host = ANY($1::text[])
            """,
            sorted({row["host"] for row in rows}),
            worker_id,
            lease_seconds,
        )
    return [
        Claim(
            crawl_id=row["crawl_id"],
            surt=row["surt"],
            url=row["url"],
            host=row["host"],
            depth=row["depth"],
            attempts=row["attempts"],
            via=row["via"],
            crawl_delay=delays.get(row["host"]),
            embed_hops=row["embed_hops"],
            robots_failing=row["host"] in failing,
        )
        for row in rows
    ]


async def record(
    conn: asyncpg.Connection, outcomes: Sequence[Outcome], *, worker_id: str, max_attempts: int
) -> None:
    """Write a batch of fetch outcomes of rows this worker holds (one statement per kind)."""
    by_kind: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_kind.setdefault(outcome.kind, []).append(outcome)
    unknown = set(by_kind) - {"fetched", "retry", "failed", "done", "release"}
    if unknown:
        raise ValueError(f"unknown frontier outcome kinds: {sorted(unknown)}")

    async with conn.transaction():
        if batch := by_kind.get("fetched"):
            await conn.execute(
                """
                UPDATE frontier AS f SET status = 'fetched', http_status = u.http_status,
                    fetch_ms = u.fetch_ms, last_error = u.error, updated_at = now()
                FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[])
                    AS u(crawl_id, surt, http_status, fetch_ms, error)
                WHERE f.crawl_id = u.crawl_id AND f.surt = u.surt
                  AND f.status = 'in_flight' AND f.lease_owner = $6
                """,
                *_columns(batch, "http_status", "fetch_ms", "error"),
                worker_id,
            )
        if batch := by_kind.get("retry"):
            await conn.execute(
                """
                UPDATE frontier AS f SET
                    status = CASE WHEN f.attempts >= $7 THEN 'failed' ELSE 'queued' END,
                    finished_at = CASE WHEN f.attempts >= $7 THEN now() ELSE NULL END,
                    next_attempt_at = now() + u.delay * INTERVAL '1 second',
                    http_status = u.http_status, fetch_ms = u.fetch_ms,
                    last_error = CASE WHEN f.attempts >= $7
                        THEN u.error || ' (gave up after ' || f.attempts::text || ' attempts)'
                        ELSE u.error END,
                    lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[],
                            $6::float8[])
                    AS u(crawl_id, surt, http_status, fetch_ms, error, delay)
                WHERE f.crawl_id = u.crawl_id AND f.surt = u.surt
                  AND f.status = 'in_flight' AND f.lease_owner = $8
                """,
                *_columns(batch, "http_status", "fetch_ms", "error"),
                [outcome.delay for outcome in batch],
                max_attempts,
                worker_id,
            )
        for kind, status in (("failed", FAILED), ("done", DONE)):
            if batch := by_kind.get(kind):
                await conn.execute(
                    """
                    UPDATE frontier AS f SET status = $6, http_status = u.http_status,
                        fetch_ms = u.fetch_ms, last_error = u.error, finished_at = now(),
                        lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                    FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[])
                        AS u(crawl_id, surt, http_status, fetch_ms, error)
                    WHERE f.crawl_id = u.crawl_id AND f.surt = u.surt
                      AND f.status IN ('in_flight', 'fetched') AND f.lease_owner = $7
                    """,
                    *_columns(batch, "http_status", "fetch_ms", "error"),
                    status,
                    worker_id,
                )
        if batch := by_kind.get("release"):
            await conn.execute(
                """
                UPDATE frontier AS f SET status = 'queued', attempts = greatest(f.attempts - 1, 0),
                    lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                FROM unnest($1::uuid[], $2::text[]) AS u(crawl_id, surt)
                WHERE f.crawl_id = u.crawl_id AND f.surt = u.surt
                  AND f.status = 'in_flight' AND f.lease_owner = $3
                """,
                [outcome.key[0] for outcome in batch],
                [outcome.key[1] for outcome in batch],
                worker_id,
            )


def _columns(batch: Sequence[Outcome], *names: str) -> list[list[object]]:
    columns: list[list[object]] = [
        [outcome.key[0] for outcome in batch],
        [outcome.key[1] for outcome in batch],
    ]
    for name in names:
        values = [getattr(outcome, name) for outcome in batch]
        if name == "error":
            values = [None if v is None else one_line(str(v)) for v in values]
        columns.append(values)
    return columns


def one_line(reason: str) -> str:
    """An error reason as one line of at most MAX_ERROR_CHARS characters."""
    return " ".join(reason.split())[:MAX_ERROR_CHARS]


async def complete(conn: asyncpg.Connection, keys: Iterable[Key]) -> int:
    """Mark rows done: call in the transaction that records their WARC file's captures."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return 0
    result = await conn.execute(
        """
        UPDATE frontier AS f SET status = 'done', finished_at = now(),
            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        FROM unnest($1::uuid[], $2::text[]) AS k(crawl_id, surt)
        WHERE f.crawl_id = k.crawl_id AND f.surt = k.surt
          AND f.status IN ('in_flight', 'fetched')
        """,
        [key[0] for key in keys],
        [key[1] for key in keys],
    )
    return int(result.split()[-1])


async def release_hosts(
    conn: asyncpg.Connection,
    worker_id: str,
    hosts: Mapping[str, float],
    *,
    politeness_delay: float,
) -> None:
    """Give hosts back; each is claimable again after the largest of the politeness
    delay, its Crawl-delay and the given wait (a Retry-After, say), and not before a
    backoff set while it was held (`robots_unavailable`)."""
    if not hosts:
        return
    await conn.execute(
        """
        UPDATE hosts AS h SET lease_owner = NULL, lease_expires_at = NULL,
            next_allowed_at = greatest(h.next_allowed_at, now()
                + greatest($3::float8, coalesce(h.crawl_delay, 0), u.wait)
                * INTERVAL '1 second')
        FROM unnest($1::text[], $2::float8[]) AS u(host, wait)
        WHERE h.host = u.host AND h.lease_owner = $4
        """,
        list(hosts),
        [float(wait) for wait in hosts.values()],
        politeness_delay,
        worker_id,
    )


async def robots_unavailable(
    conn: asyncpg.Connection,
    failures: Sequence[RobotsFailure],
    *,
    worker_id: str,
    base_seconds: float,
    give_up_seconds: float,
) -> dict[str, str]:
    """Record robots.txt failures of rows this worker holds (one failure per host per call).

    While the host's run of failures is no longer than `give_up_seconds`, its rows go back
    to the queue with their attempt given back and the host waits its backoff; after
    that they fail, naming how long robots.txt failed. Returns the reasons of the hosts
    given up.
    """
    errors: dict[str, str] = {}
    for failure in failures:
        errors[failure.host] = failure.error
    if not errors:
        return {}
    # SET sees the row as it was: both CASEs test the previous failure's time.
    rows = await conn.fetch(
        """
        UPDATE hosts AS h SET
            robots_failing_since = CASE WHEN h.robots_failed_at IS NULL
                    OR h.robots_failed_at < now() - $2::float8 * INTERVAL '1 second'
                THEN now() ELSE h.robots_failing_since END,
            robots_failures = CASE WHEN h.robots_failed_at IS NULL
                    OR h.robots_failed_at < now() - $2::float8 * INTERVAL '1 second'
                THEN 1 ELSE h.robots_failures + 1 END,
            robots_failed_at = now()
        WHERE h.host = ANY($1::text[])
        RETURNING h.host, h.robots_failures, h.robots_failing_since, now() AS at
        """,
        sorted(errors),
        ROBOTS_FAILURE_RUN_GAP_SECONDS,
    )
    waits: dict[str, float] = {}
    given_up: dict[str, str] = {}
    for row in rows:
        failing_for = (row["at"] - row["robots_failing_since"]).total_seconds()
        if failing_for > give_up_seconds:
            given_up[row["host"]] = one_line(
                f"robots.txt unavailable for {round(failing_for)} s: {errors[row['host']]}"
            )
        else:
            doublings = min(max(row["robots_failures"] - 1, 0), 30)
            waits[row["host"]] = min(base_seconds * 2**doublings, ROBOTS_MAX_BACKOFF_SECONDS)
            log.info(
                "robots.txt failing, host held back",
                host=row["host"],
                failures=row["robots_failures"],
                wait=waits[row["host"]],
                error=errors[row["host"]],
            )
    if waits:
        await conn.execute(
            """
            UPDATE hosts AS h SET next_allowed_at = greatest(h.next_allowed_at,
                now() + u.wait * INTERVAL '1 second')
            FROM unnest($1::text[], $2::float8[]) AS u(host, wait)
            WHERE h.host = u.host
            """,
            list(waits),
            list(waits.values()),
        )
    waiting = [failure for failure in failures if failure.host in waits]
    if waiting:
        await conn.execute(
            """
            UPDATE frontier AS f SET status = 'queued', attempts = greatest(f.attempts - 1, 0),
                last_error = u.error, lease_owner = NULL, lease_expires_at = NULL,
                updated_at = now()
            FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(crawl_id, surt, error)
            WHERE f.crawl_id = u.crawl_id AND f.surt = u.surt
              AND f.status = 'in_flight' AND f.lease_owner = $4
            """,
            [failure.key[0] for failure in waiting],
            [failure.key[1] for failure in waiting],
            [one_line(failure.error) for failure in waiting],
            worker_id,
        )
    failed = [failure for failure in failures if failure.host in given_up]
    if failed:
        await conn.execute(
            """
            UPDATE frontier AS f SET status = 'failed', last_error = u.error,
                finished_at = now(), lease_owner = NULL, lease_expires_at = NULL,
                updated_at = now()
            FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(crawl_id, surt, error)
            WHERE f.crawl_id = u.crawl_id AND f.surt = u.surt
              AND f.status = 'in_flight' AND f.lease_owner = $4
            """,
            [failure.key[0] for failure in failed],
            [failure.key[1] for failure in failed],
            [given_up[failure.host] for failure in failed],
            worker_id,
        )
    return given_up


async def robots_recovered(conn: asyncpg.Connection, hosts: Iterable[str]) -> None:
    """End the run of robots.txt failures of hosts whose robots.txt answered again."""
    hosts = sorted(set(hosts))
    if not hosts:
        return
    await conn.execute(
        """
        UPDATE hosts SET robots_failing_since = NULL, robots_failed_at = NULL,
            robots_failures = 0
        WHERE host = ANY($1::text[]) AND robots_failing_since IS NOT NULL
        """,
        hosts,
    )


async def set_crawl_delays(conn: asyncpg.Connection, delays: Mapping[str, float | None]) -> None:
    """Store each host's robots.txt Crawl-delay (None when it has none)."""
    if not delays:
        return
    await conn.execute(
        """
        UPDATE hosts AS h SET crawl_delay = u.delay
        FROM unnest($1::text[], $2::float8[]) AS u(host, delay)
        WHERE h.host = u.host
        """,
        list(delays),
        list(delays.values()),
    )


async def extend_leases(pool: asyncpg.Pool, worker_id: str, lease_seconds: float) -> None:
    """Renew the leases of everything this worker holds (called with its heartbeat)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            UPDATE frontier SET lease_expires_at = now() + $2::float8 * INTERVAL '1 second'
            WHERE lease_owner = $1 AND status IN ('in_flight', 'fetched')
            """,
            worker_id,
            lease_seconds,
        )
        await conn.execute(
            """
            UPDATE hosts SET lease_expires_at = now() + $2::float8 * INTERVAL '1 second'
            WHERE lease_owner = $1
            """,
            worker_id,
            lease_seconds,
        )


async def requeue_expired(pool: asyncpg.Pool, regions: Sequence[str], *, max_attempts: int) -> int:
    """Put rows whose lease expired (their worker died) back in the queue; a row that has
    used up its attempts this way fails instead. Returns how many rows were touched."""
    async with pool.acquire() as conn:
        result = await conn.execute(
            """
            UPDATE frontier SET
                status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'queued' END,
                last_error = CASE WHEN attempts >= $2
                    THEN 'lease expired ' || attempts::text || ' times: its worker stopped'
                    ELSE last_error END,
                finished_at = CASE WHEN attempts >= $2 THEN now() ELSE NULL END,
                lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE region = ANY($1::text[]) AND status IN ('in_flight', 'fetched')
              AND lease_expires_at < now()
            """,
            list(regions),
            max_attempts,
        )
    touched = int(result.split()[-1])
    if touched:
        log.info("expired leases requeued", rows=touched, regions=list(regions))
    return touched


async def requeue(pool: asyncpg.Pool, worker_id: str, keys: Iterable[Key]) -> None:
    """Put rows this worker holds back in the queue (their WARC file could not be
    recorded): they are fetched again, into another file."""
    keys = list(keys)
    if not keys:
        return
    async with pool.acquire() as conn:
        await conn.execute(
            """
            UPDATE frontier AS f SET status = 'queued', lease_owner = NULL,
                lease_expires_at = NULL, updated_at = now()
            FROM unnest($1::uuid[], $2::text[]) AS k(crawl_id, surt)
            WHERE f.crawl_id = k.crawl_id AND f.surt = k.surt
              AND f.status IN ('in_flight', 'fetched') AND f.lease_owner = $3
            """,
            [key[0] for key in keys],
            [key[1] for key in keys],
            worker_id,
        )


async def release_worker(pool: asyncpg.Pool, worker_id: str) -> None:
    """On shutdown: every row and host this worker still holds goes back to the queue.

    Rows claimed but not fetched get their attempt back; rows fetched into a WARC file
    that was not recorded are fetched again.
    """
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            UPDATE frontier SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL,
                attempts = CASE WHEN status = 'in_flight' THEN greatest(attempts - 1, 0)
                    ELSE attempts END,
                updated_at = now()
            WHERE lease_owner = $1 AND status IN ('in_flight', 'fetched')
            """,
            worker_id,
        )
        await conn.execute(
            "UPDATE hosts SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
            worker_id,
        )


async def heartbeat(pool: asyncpg.Pool, worker_id: str, region: str) -> None:
    """Record that this worker, and so its region, is alive."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            INSERT INTO workers (id, region, last_heartbeat) VALUES ($1, $2, now())
            ON CONFLICT (id) DO UPDATE SET region = excluded.region, last_heartbeat = now()
            """,
            worker_id,
            region,
        )
        await conn.execute(
            """
            INSERT INTO regions (name, last_heartbeat) VALUES ($1, now())
            ON CONFLICT (name) DO UPDATE SET last_heartbeat = now()
            """,
            region,
        )


async def forget_worker(pool: asyncpg.Pool, worker_id: str) -> None:
    """Remove a stopped worker's heartbeat row."""
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM workers WHERE id = $1", worker_id)


async def serving_regions(pool: asyncpg.Pool, region: str, *, stale_seconds: float) -> list[str]:
    """This worker's region plus every region with no live worker (taken over)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """
            SELECT r.name FROM regions AS r
            WHERE r.name <> $1
              AND (r.last_heartbeat IS NULL
                   OR r.last_heartbeat < now() - $2::float8 * INTERVAL '1 second')
              AND NOT EXISTS (
                SELECT 1 FROM workers AS w WHERE w.region = r.name
                  AND w.last_heartbeat >= now() - $2::float8 * INTERVAL '1 second')
            ORDER BY r.name
            """,
            region,
            stale_seconds,
        )
    return [region, *(row["name"] for row in rows)]


async def unfinished(pool: asyncpg.Pool, crawl_id: uuid.UUID) -> int:
    """Rows of the crawl not yet done or failed (0 when its frontier is drained)."""
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM frontier WHERE crawl_id = $1"
                " AND status IN ('queued', 'in_flight', 'fetched')",
                crawl_id,
            )
        )
