"""robots.txt: fetched once per host, parsed by protego, cached in the process.

What a failing robots.txt means follows what the common crawlers do (Google's
documented behaviour): a 2xx body is parsed; a 4xx (401 and 403 too) means there are no
rules, so everything is allowed; a 5xx, a timeout or a network error means the host is
not answering for now, so nothing is fetched from it and its URLs are retried later
(RobotsUnavailable is a retryable host error, never a permanent verdict on a URL: the
worker holds the whole host back and asks again, see `frontier.robots_unavailable`).
Up to five redirects are followed, within the body cap of 500 KiB.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp
import structlog
from protego import Protego
from yarl import URL

from archivestream.core.settings import Settings
from archivestream.crawler import fetcher

log = structlog.get_logger("archivestream.robots")

MAX_ROBOTS_BYTES = 500 * 1024
MAX_ROBOTS_REDIRECTS = 5
MAX_CRAWL_DELAY = 60.0
CACHE_SECONDS = 3600.0
# A host whose robots.txt failed is not asked again for this long (nor longer than the
# host's first backoff, `robots_retry_base_seconds`): its URLs wait with the host.
FAILURE_CACHE_SECONDS = 30.0


class RobotsUnavailable(Exception):
    """robots.txt could not be read (5xx, timeout, network): try the host again later."""


@dataclass(frozen=True)
class Rules:
    """The robots.txt verdicts for one host, for our user agent."""

    parser: Protego | None
    status: int | None

    def allowed(self, url: str, user_agent: str) -> bool:
        """True when `url` may be fetched (always, when the host has no rules)."""
        return self.parser is None or bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        """The host's Crawl-delay for us in seconds, capped at a minute, or None."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        if delay is None:
            return None
        return min(float(delay), MAX_CRAWL_DELAY)


ALLOW_ALL = Rules(parser=None, status=None)


def parse(body: bytes, *, status: int = 200) -> Rules:
    """Rules from a robots.txt body; undecodable bytes are replaced, garbage allows all."""
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    try:
        return Rules(parser=Protego.parse(text), status=status)
    except Exception as error:  # protego on garbage: no usable rules is no rules.
        log.info("robots.txt unparsable, allowing all", error=str(error))
        return Rules(parser=None, status=status)


def robots_url(url: str) -> str:
    """The robots.txt URL of the origin of `url`."""
    parsed = URL(url)
    return str(parsed.origin().with_path("/robots.txt"))


class RobotsCache:
    """robots.txt rules per origin, fetched on first need and kept for an hour."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings) -> None:
        self._session = session
        self._settings = settings.model_copy(
            update={
                "total_timeout": settings.robots_timeout,
                "read_timeout": min(settings.read_timeout, settings.robots_timeout),
                "connect_timeout": min(settings.connect_timeout, settings.robots_timeout),
            }
        )
        # The failure is forgotten by the time the host is claimable again, so robots.txt
        # is asked again each time the host comes back from its backoff.
        self._failure_seconds = min(FAILURE_CACHE_SECONDS, settings.robots_retry_base_seconds)
        self._entries: dict[str, tuple[float, Rules | RobotsUnavailable]] = {}
        self._loading: dict[str, asyncio.Future[Rules]] = {}

    async def rules(self, url: str) -> Rules:
        """The rules for the origin of `url`; raises RobotsUnavailable while it fails."""
        origin = robots_url(url)
        now = time.monotonic()
        cached = self._entries.get(origin)
        if cached is not None and cached[0] > now:
            if isinstance(cached[1], RobotsUnavailable):
                raise cached[1]
            return cached[1]
        pending = self._loading.get(origin)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Rules] = asyncio.get_running_loop().create_future()
        self._loading[origin] = future
        try:
            rules = await self._load(origin)
        except RobotsUnavailable as error:
            self._entries[origin] = (time.monotonic() + self._failure_seconds, error)
            future.set_exception(error)
            future.exception()  # retrieved here, so an unawaited future is not reported
            raise
        except BaseException:
            # Cancelled mid-fetch: whoever waits on this load must not wait forever.
            future.set_exception(RobotsUnavailable("robots.txt fetch interrupted"))
            future.exception()
            raise
        else:
            self._entries[origin] = (time.monotonic() + CACHE_SECONDS, rules)
            future.set_result(rules)
            return rules
        finally:
            del self._loading[origin]

    async def _load(self, origin: str) -> Rules:
        url = origin
        for _ in range(MAX_ROBOTS_REDIRECTS + 1):
            try:
                fetched = await fetcher.fetch(
                    self._session, self._settings, url, max_bytes=MAX_ROBOTS_BYTES
                )
            except fetcher.FetchError as error:
                log.info("robots.txt unavailable", url=url, reason=error.reason)
                raise RobotsUnavailable(f"robots.txt unavailable: {error.reason}") from None
            status = fetched.status
            if 200 <= status < 300:
                body = fetcher.decoded_payload(fetched, max_bytes=MAX_ROBOTS_BYTES)
                return parse(body, status=status)
            if status in (301, 302, 303, 307, 308) and fetched.header("location"):
                url = str(URL(url).join(URL(fetched.header("location") or "")))
                if URL(url).scheme not in ("http", "https"):
                    return ALLOW_ALL
                continue
            if 400 <= status < 500 and status != 429:
                return Rules(parser=None, status=status)
            log.info("robots.txt unavailable", url=url, status=status)
            raise RobotsUnavailable(f"robots.txt answered HTTP {status}: host retried later")
        return ALLOW_ALL
