"""A crawler worker: claim, check robots.txt, fetch, write WARC, follow links, index.

One worker keeps up to `concurrency` fetches in flight, on different hosts (or up to
`per_host_concurrency` on one host whose delay is zero). Frontier updates are batched:
outcomes, new links, Crawl-delays and released hosts of all fetches that ended since
the last pass go to the database in one transaction, before the next claim.

When a WARC file closes (at its size or age, or when the worker runs out of work) its
captures are recorded and its frontier rows marked done in ONE transaction, so nothing
is done before its records are durable; the search index is fed after that commit.

SIGTERM (in `run_forever`) stops claiming, lets the fetches in flight finish, closes
and records the open WARC file and gives back every lease the worker still holds.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import uuid

import aiohttp
import asyncpg
import structlog
from yarl import URL

from archivestream.core.settings import Settings
from archivestream.crawler import (
    canonical,
    fetcher,
    frontier,
    jobs,
    links,
    metrics,
    page,
    robots,
    scope,
)

log = structlog.get_logger("archivestream.worker")

CLAIM_BATCH = 50
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_BACKOFF_SECONDS = 3600.0
MAX_RETRY_AFTER_SECONDS = 3600.0
IDLE_SLEEP_SECONDS = 0.25
# Links this worker already offered to a crawl's frontier, remembered up to this many
# (then forgotten: the frontier's ON CONFLICT still keeps each URL once).
MAX_SEEN_URLS = 1_000_000
MAX_SEEN_CRAWLS = 8
RECORD_ATTEMPTS = 3
# Embeds followed one from another from a page: its stylesheet, three @imports deep and
# their images, with room to spare. The frontier ends cycles (a URL is queued once a
# crawl); this ends chains of URLs a site makes up as it goes, since embeds add no depth.
MAX_EMBED_HOPS = 6
TRANSACTION_ATTEMPTS = 5


async def _retrying(operation, what: str):
    """Run a database pass again when the database asks for it (a serialization failure
    under CockroachDB's serializable isolation, or a deadlock victim)."""
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            return await operation()
        except (asyncpg.SerializationError, asyncpg.DeadlockDetectedError) as error:
            if attempt == TRANSACTION_ATTEMPTS:
                raise
            log.info("transaction retried", what=what, attempt=attempt, error=str(error))
            await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)
    return None


def default_worker_id(region: str) -> str:
    """A worker id unique enough across pods and processes, safe in a file name."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Exponential backoff with jitter after the `attempts`-th failed try."""
    base = settings.retry_base_seconds * (2 ** max(attempts - 1, 0))
    return min(base * random.uniform(0.75, 1.25), MAX_BACKOFF_SECONDS)


class Worker:
    """One crawler worker of `settings.region` (see the module's docstring)."""

    def __init__(
        self,
        settings: Settings,
        pool: asyncpg.Pool,
        storage: object,
        search_backend: object,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.storage = storage
        self.search_backend = search_backend
        self.region = settings.region
        self.worker_id = worker_id or default_worker_id(self.region)
        self.regions: list[str] = [self.region]
        self.log = log.bind(worker=self.worker_id, region=self.region)

        self._tasks: set[asyncio.Task[None]] = set()
        self._held: dict[str, int] = {}
        self._host_delay: dict[str, float | None] = {}
        self._outcomes: list[frontier.Outcome] = []
        self._robots_failures: list[frontier.RobotsFailure] = []
        self._robots_recovered: set[str] = set()
        self._links: dict[uuid.UUID, list[frontier.NewURL]] = {}
        self._releases: dict[str, float] = {}
        self._crawl_delays: dict[str, float | None] = {}
        self._crawls: dict[uuid.UUID, tuple[jobs.CrawlSpec, scope.Scope]] = {}
        self._seen: dict[uuid.UUID, set[str]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._robots: robots.RobotsCache | None = None
        self._writer = None

    # The loop.

    async def run(self, stop: asyncio.Event, *, until_drained: uuid.UUID | None = None) -> None:
        """Crawl until `stop` is set, or (with `until_drained`) until that crawl is done."""
        from archivestream.crawler import dedup, warc

        await self._beat()
        heartbeat = asyncio.create_task(self._heartbeat_loop())
        self._session = fetcher.open_session(self.settings)
        self._robots = robots.RobotsCache(self._session, self.settings)
        self._writer = warc.WarcWriter(
            self.storage,
            self.settings,
            region=self.region,
            worker_id=self.worker_id,
            dedup=dedup.Deduplicator(self.pool),
            search_backend=self.search_backend,
        )
        self.log.info("worker started", crawl=str(until_drained) if until_drained else None)
        idle = 0
        try:
            while True:
                await self._flush()
                if stop.is_set():
                    break

                claims = await self._claim(until_drained)
                for claim in claims:
                    self._start(claim)
                await self._roll()

                if self._tasks:
                    idle = 0
                    await self._wait_for_fetches(stop)
                    continue
                if claims:
                    continue

                # Nothing in flight and nothing claimable now.
                await self._flush()
                if not await self._work_waiting(until_drained):
                    await self._close_warc()
                    if until_drained is not None:
                        if await frontier.unfinished(self.pool, until_drained) == 0:
                            await jobs.finish_crawl(self.pool, until_drained)
                            self.log.info("crawl drained", crawl=str(until_drained))
                            break
                idle += 1
                await _wait(stop, min(0.02 * idle, IDLE_SLEEP_SECONDS))
        finally:
            await self._shutdown(heartbeat)

    async def _claim(self, crawl_id: uuid.UUID | None) -> list[frontier.Claim]:
        free = self.settings.concurrency - len(self._tasks)
        if free <= 0:
            return []
        return await _retrying(
            lambda: frontier.claim(
                self.pool,
                worker_id=self.worker_id,
                regions=self.regions,
                limit=min(free, CLAIM_BATCH),
                lease_seconds=self.settings.lease_seconds,
                politeness_delay=self.settings.politeness_delay,
                per_host_concurrency=self.settings.per_host_concurrency,
                held=self._held,
                busy_hosts=self._busy_hosts(),
                crawl_id=crawl_id,
            ),
            "claim",
        )

    def _busy_hosts(self) -> list[str]:
        busy = []
        for host, count in self._held.items():
            quiet = self.settings.politeness_delay <= 0 and not self._host_delay.get(host)
            capacity = self.settings.per_host_concurrency if quiet else 1
            if count >= capacity:
                busy.append(host)
        return busy

    def _start(self, claim: frontier.Claim) -> None:
        self._held[claim.host] = self._held.get(claim.host, 0) + 1
        if claim.host not in self._host_delay:
            self._host_delay[claim.host] = claim.crawl_delay
        task = asyncio.create_task(self._process(claim))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _wait_for_fetches(self, stop: asyncio.Event) -> None:
        # Wake on the first fetch to end, then gather the others that end right after,
        # so that one database pass records many of them.
        await asyncio.wait(set(self._tasks), timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
        wanted = max(1, self.settings.concurrency // 4)
        if self._tasks and self.settings.concurrency - len(self._tasks) < wanted:
            await asyncio.wait(set(self._tasks), timeout=0.005)

    async def _work_waiting(self, crawl_id: uuid.UUID | None) -> bool:
        """True when rows are queued (due later) for this worker, so its file stays open."""
        async with self.pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM frontier WHERE region = ANY($1::text[])"
                    " AND status = 'queued' AND ($2::uuid IS NULL OR crawl_id = $2::uuid))",
                    self.regions,
                    crawl_id,
                )
            )

    # One URL.

    async def _process(self, claim: frontier.Claim) -> None:
        wait = 0.0
        try:
            outcome, wait = await self._fetch_and_write(claim)
        except Exception as error:  # a bug must cost one URL a retry, not the worker
            self.log.exception("fetch crashed", url=claim.url)
            outcome = frontier.Outcome(
                key=claim.key,
                kind="retry",
                error=f"internal error: {type(error).__name__}: {error}",
                delay=backoff_seconds(self.settings, claim.attempts),
            )
        if outcome.kind == ROBOTS_WAIT:
            # The host waits for its robots.txt; the flush decides (held back or given up).
            self._robots_failures.append(
                frontier.RobotsFailure(key=claim.key, host=claim.host, error=outcome.error or "")
            )
        else:
            self._outcomes.append(outcome)
        if outcome.kind != ROBOTS_WAIT:  # counted when the flush knows: held back or given up
            label = {"fetched": "captured", "retry": "retried"}.get(outcome.kind, outcome.kind)
            if outcome.kind == "failed" and outcome.error == ROBOTS_BLOCKED:
                label = "blocked"
            metrics.pages_crawled_total.labels(region=self.region, outcome=label).inc()

        count = self._held.get(claim.host, 1) - 1
        if count <= 0:
            self._held.pop(claim.host, None)
            self._releases[claim.host] = max(wait, self._releases.get(claim.host, 0.0))
        else:
            self._held[claim.host] = count

    async def _fetch_and_write(self, claim: frontier.Claim) -> tuple[frontier.Outcome, float]:
        assert self._robots is not None and self._session is not None
        assert self._writer is not None
        settings = self.settings
        spec, crawl_scope = await self._crawl(claim.crawl_id)

        try:
            rules = await self._robots.rules(claim.url)
        except robots.RobotsUnavailable as error:
            # The whole host waits, not this URL's attempts (see frontier.robots_unavailable).
            self.log.info("robots.txt failing", url=claim.url, host=claim.host, error=str(error))
            return frontier.Outcome(key=claim.key, kind=ROBOTS_WAIT, error=str(error)), 0.0
        if claim.robots_failing:
            self._robots_recovered.add(claim.host)
        delay = rules.crawl_delay(settings.user_agent)
        if delay != self._host_delay.get(claim.host):
            self._host_delay[claim.host] = delay
            self._crawl_delays[claim.host] = delay
        if not rules.allowed(claim.url, settings.user_agent):
            return frontier.Outcome(key=claim.key, kind="failed", error=ROBOTS_BLOCKED), 0.0

        try:
            fetched = await fetcher.fetch(self._session, settings, claim.url)
        except fetcher.FetchError as error:
            if error.retryable:
                delay = backoff_seconds(settings, claim.attempts)
                return self._retry(claim, error.reason, delay=delay), 0.0
            return frontier.Outcome(key=claim.key, kind="failed", error=error.reason), 0.0
        metrics.fetch_duration_seconds.labels(region=self.region).observe(fetched.elapsed)
        fetch_ms = int(fetched.elapsed * 1000)

        if fetched.status in RETRY_STATUSES:
            retry_after = fetcher.retry_after_seconds(fetched)
            if retry_after is not None:
                delay = min(retry_after, MAX_RETRY_AFTER_SECONDS)
            else:
                delay = backoff_seconds(settings, claim.attempts)
            outcome = self._retry(
                claim, f"HTTP {fetched.status}", delay=delay, http_status=fetched.status
            )
            return outcome, delay if retry_after is not None else 0.0

        # An HTML page is read once, for its links (here) and its search text (the writer).
        # A page at the max depth is read for links too: its embeds are fetched with it.
        page_work = None
        succeeded = 200 <= fetched.status < 300
        if succeeded and links.is_html(fetched.mime):
            page_work = page.PageWork(fetched, want_links=not fetched.truncated)
        await self._writer.write(
            fetched, crawl_id=claim.crawl_id, surt=claim.surt, page_work=page_work
        )
        note = None
        if fetched.truncated:
            note = f"body truncated at {len(fetched.payload)} bytes (max_body_bytes)"

        if fetched.status in REDIRECT_STATUSES:
            failure = await self._follow_redirect(claim, fetched, spec, crawl_scope)
            if failure is not None:
                return frontier.Outcome(
                    key=claim.key,
                    kind="failed",
                    error=failure,
                    http_status=fetched.status,
                    fetch_ms=fetch_ms,
                ), 0.0
        elif page_work is not None and page_work.want_links:
            await self._follow_links(claim, await page_work.links(), crawl_scope)
        elif succeeded and links.is_css(fetched.mime) and not fetched.truncated:
            await self._follow_links(claim, await page.stylesheet_links(fetched), crawl_scope)

        return frontier.Outcome(
            key=claim.key,
            kind="fetched",
            error=note,
            http_status=fetched.status,
            fetch_ms=fetch_ms,
        ), 0.0

    def _retry(
        self, claim: frontier.Claim, error: str, *, delay: float, http_status: int | None = None
    ) -> frontier.Outcome:
        self.log.info("fetch will be retried", url=claim.url, host=claim.host, error=error)
        return frontier.Outcome(
            key=claim.key, kind="retry", error=error, delay=delay, http_status=http_status
        )

    async def _follow_links(
        self, claim: frontier.Claim, found: links.Links, crawl_scope: scope.Scope
    ) -> None:
        """Offer a page's links to the frontier: its embeds at its own depth (requisites
        are part of the page, as with wget --page-requisites and Heritrix's embed hops),
        other pages one hop deeper, and only while that stays within the max depth.

        So no link is ever out of scope for its depth alone, and a URL refused once is
        refused from every page (registered domain and patterns): `seen` stays valid.
        Embed chains (a stylesheet importing another) end: a URL is queued once a crawl,
        and no more than MAX_EMBED_HOPS embeds are followed one from another.
        """
        pending = self._links.setdefault(claim.crawl_id, [])
        seen = self._seen.get(claim.crawl_id)
        if seen is None or len(seen) > MAX_SEEN_URLS:
            if len(self._seen) >= MAX_SEEN_CRAWLS:
                self._seen.pop(next(iter(self._seen)))
            seen = self._seen[claim.crawl_id] = set()
        kinds = []
        if claim.embed_hops < MAX_EMBED_HOPS:
            depth = min(claim.depth, crawl_scope.max_depth)
            kinds.append((found.embeds, depth, claim.embed_hops + 1))
        if claim.depth < crawl_scope.max_depth:
            kinds.append((found.navigation, claim.depth + 1, 0))
        for urls, depth, embed_hops in kinds:
            for url in urls:
                # Most links of a site are on every page: offer each to the frontier once.
                if url in seen:
                    continue
                seen.add(url)
                if scope.in_scope(crawl_scope, url, depth):
                    pending.append(_new_url(url, depth=depth, embed_hops=embed_hops))

    async def _follow_redirect(
        self,
        claim: frontier.Claim,
        fetched: fetcher.Fetched,
        spec: jobs.CrawlSpec,
        crawl_scope: scope.Scope,
    ) -> str | None:
        """Queue the redirect's target; a reason when the redirect cannot be followed."""
        location = fetched.header("location")
        if not location:
            return None
        try:
            target = canonical.canonicalize(str(URL(claim.url).join(URL(location.strip()))))
        except (canonical.InvalidURL, ValueError) as error:
            return f"redirect to an invalid URL: {error}"

        chain = await self._redirect_chain(claim)
        if target in chain:
            hops = " -> ".join([*reversed(chain), target])
            return f"redirect loop: {hops}"[: frontier.MAX_ERROR_CHARS]
        if len(chain) > self.settings.max_redirects:
            return f"more than {self.settings.max_redirects} redirects in a row (max_redirects)"
        # A redirect keeps its page's depth: it is the same page at another address.
        reason = scope.out_of_scope_reason(crawl_scope, target, min(claim.depth, spec.max_depth))
        if reason is not None:
            self.log.info("redirect not followed", url=claim.url, target=target, reason=reason)
            return None
        self._links.setdefault(claim.crawl_id, []).append(
            _new_url(
                target,
                depth=claim.depth,
                via=claim.url,
                priority=1,
                embed_hops=claim.embed_hops,
            )
        )
        return None

    async def _redirect_chain(self, claim: frontier.Claim) -> list[str]:
        """This URL and the redirects that led to it, nearest first (via the `via` column)."""
        chain = [claim.url]
        via = claim.via
        async with self.pool.acquire() as conn:
            while via and len(chain) <= self.settings.max_redirects + 1:
                chain.append(via)
                via = await conn.fetchval(
                    "SELECT via FROM frontier WHERE crawl_id = $1 AND surt = $2",
                    claim.crawl_id,
                    canonical.surt_key(via),
                )
        return chain

    async def _crawl(self, crawl_id: uuid.UUID) -> tuple[jobs.CrawlSpec, scope.Scope]:
        known = self._crawls.get(crawl_id)
        if known is None:
            spec = await jobs.load_crawl(self.pool, crawl_id)
            if spec is None:
                raise LookupError(f"frontier row of unknown crawl {crawl_id}")
            known = (spec, spec.scope())
            self._crawls[crawl_id] = known
        return known

    # The database passes.

    async def _flush(self) -> None:
        """Record every outcome, link, Crawl-delay and host release gathered so far."""
        if not (
            self._outcomes
            or self._links
            or self._releases
            or self._crawl_delays
            or self._robots_failures
            or self._robots_recovered
        ):
            return
        outcomes, self._outcomes = self._outcomes, []
        robots_failures, self._robots_failures = self._robots_failures, []
        recovered, self._robots_recovered = self._robots_recovered, set()
        given_up: dict[str, str] = {}
        new_links, self._links = self._links, {}
        releases, self._releases = self._releases, {}
        delays, self._crawl_delays = self._crawl_delays, {}
        # A host claimed again since it was released stays held.
        releases = {host: wait for host, wait in releases.items() if host not in self._held}

        async def write() -> None:
            nonlocal given_up
            async with self.pool.acquire() as conn, conn.transaction():
                await frontier.robots_recovered(conn, recovered)
                given_up = await frontier.robots_unavailable(
                    conn,
                    robots_failures,
                    worker_id=self.worker_id,
                    base_seconds=self.settings.robots_retry_base_seconds,
                    give_up_seconds=self.settings.robots_failure_give_up_seconds,
                )
                if outcomes:
                    await frontier.record(
                        conn,
                        outcomes,
                        worker_id=self.worker_id,
                        max_attempts=self.settings.max_attempts,
                    )
                for crawl_id, entries in new_links.items():
                    spec, _ = await self._crawl(crawl_id)
                    await frontier.enqueue(
                        conn,
                        crawl_id,
                        entries,
                        region=spec.region or self.region,
                        max_pages=spec.max_pages,
                    )
                await frontier.set_crawl_delays(conn, delays)
                await frontier.release_hosts(
                    conn,
                    self.worker_id,
                    releases,
                    politeness_delay=self.settings.politeness_delay,
                )

        await _retrying(write, "flush")
        for failure in robots_failures:
            label = "failed" if failure.host in given_up else "retried"
            metrics.pages_crawled_total.labels(region=self.region, outcome=label).inc()
        for host, reason in given_up.items():
            self.log.warning("robots.txt failing too long, urls given up", host=host, error=reason)

    async def _roll(self) -> None:
        assert self._writer is not None
        closed = await self._writer.roll_if_due()
        if closed is not None:
            await self._record_warc(closed)

    async def _close_warc(self) -> None:
        if self._writer is None:
            return
        closed = await self._writer.close()
        if closed is not None:
            await self._record_warc(closed)

    async def _record_warc(self, closed: object) -> None:
        """Captures of a closed file and its rows done, in one transaction; then search.

        When the database refuses it three times the file's rows go back to the queue
        (they are fetched again into another file) and the worker carries on.
        """
        from archivestream.crawler import captures

        await self._flush()
        keys = [(row.crawl_id, row.surt) for row in closed.captures]
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await captures.record(conn, closed, self.search_backend)
                    await frontier.complete(conn, keys)
                break
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                self.log.warning(
                    "warc not recorded",
                    filename=closed.filename,
                    attempt=attempt,
                    error=str(error),
                )
                if attempt == RECORD_ATTEMPTS:
                    await frontier.requeue(self.pool, self.worker_id, keys)
                    return
                await asyncio.sleep(attempt)
        await self.search_backend.index_after_commit(closed.documents)
        self.log.info("warc recorded", filename=closed.filename, captures=len(keys))

    # Liveness.

    async def _beat(self) -> None:
        await frontier.heartbeat(self.pool, self.worker_id, self.region)
        await frontier.extend_leases(self.pool, self.worker_id, self.settings.lease_seconds)
        self.regions = await frontier.serving_regions(
            self.pool, self.region, stale_seconds=self.settings.region_stale_seconds
        )
        await frontier.requeue_expired(
            self.pool, self.regions, max_attempts=self.settings.max_attempts
        )

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await self._beat()
            except (TimeoutError, OSError, asyncpg.PostgresError) as error:
                self.log.warning("heartbeat failed", error=str(error))

    async def _shutdown(self, heartbeat: asyncio.Task[None]) -> None:
        """Finish the fetches in flight, record the open file, give back all leases."""
        try:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._flush()
            await self._close_warc()
        except Exception:
            self.log.exception("shutdown could not record everything; leases are released")
        finally:
            heartbeat.cancel()
            try:
                await frontier.release_worker(self.pool, self.worker_id)
                await frontier.forget_worker(self.pool, self.worker_id)
            except Exception:
                self.log.exception("could not release leases; they expire on their own")
            if self._session is not None:
                await self._session.close()
            self.log.info("worker stopped")


ROBOTS_BLOCKED = "disallowed by robots.txt"
# An outcome kind of this module only: the row's host's robots.txt failed.
ROBOTS_WAIT = "robots_wait"


def _new_url(
    url: str, *, depth: int, via: str | None = None, priority: int = 0, embed_hops: int = 0
):
    return frontier.NewURL(
        url=url,
        surt=canonical.surt_key(url),
        host=canonical.host_of(url),
        depth=depth,
        via=via,
        priority=priority,
        embed_hops=embed_hops,
    )


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def run_forever(settings: Settings) -> None:
    """`archivestream crawler`: a worker of REGION until SIGTERM or SIGINT."""
    from archivestream.core import shutdown
    from archivestream.crawler import backends

    async with backends.opened(settings, writing=True, component="crawler") as parts:
        exporter = await metrics.serve(settings.metrics_host, settings.metrics_port)
        try:
            with shutdown.stop_event() as stop:
                await Worker(settings, parts.pool, parts.store, parts.search).run(stop)
        finally:
            if exporter is not None:
                await exporter.cleanup()
