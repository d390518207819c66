"""Who may ask for crawls, and how often: API keys and a fixed-window rate limit.

When `API_KEYS` is set, `POST /crawl` needs one of them as `Authorization: Bearer <key>`
or `X-API-Key: <key>`; reads stay open. Each client (its key, or its address when keys
are off) may send `api_rate_limit` crawl requests per `api_rate_window_seconds`; the
count lives in the `rate_limits` table, so every API replica shares it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from archivestream.api import context, errors
from archivestream.core.settings import Settings


def presented_key(request: web.Request) -> str | None:
    """The API key the request carries, if any."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = request.headers.get("X-API-Key", "").strip()
    return key or None


def authenticate(request: web.Request, settings: Settings) -> str | None:
    """The caller's valid key (None when keys are off); raises 401 otherwise."""
    if not settings.api_keys:
        return None
    key = presented_key(request)
    if key is None:
        raise errors.unauthorized(
            "an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>"
        )
    if not any(hmac.compare_digest(key.encode(), known.encode()) for known in settings.api_keys):
        raise errors.unauthorized("the API key is not one of API_KEYS")
    return key


def client_id(request: web.Request, key: str | None) -> str:
    """The rate-limit bucket: a digest of the key (never the key itself), or the address."""
    if key is not None:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"ip:{request.remote or 'unknown'}"


async def count_request(
    pool: asyncpg.Pool, client: str, *, limit: int, window_seconds: int, now: float | None = None
) -> int | None:
    """Count one request of `client` in the current window; returns the seconds to wait
    when it is over `limit`, None when it may go on."""
    now = time.time() if now is None else now
    window_start = math.floor(now / window_seconds) * window_seconds
    started = datetime.fromtimestamp(window_start, UTC)
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)"
            " ON CONFLICT (key, window_start)"
            " DO UPDATE SET count = rate_limits.count + 1 RETURNING count",
            client,
            started,
        )
        if count == 1:
            # First request of a new window: the client's older windows are done with.
            await conn.execute(
                "DELETE FROM rate_limits WHERE key = $1 AND window_start < $2", client, started
            )
    if count > limit:
        return max(1, math.ceil(window_start + window_seconds - now))
    return None


async def admit_crawl_request(request: web.Request) -> None:
    """Authenticate and rate-limit a POST /crawl; raises 401 or 429."""
    archive = context.of(request)
    settings = archive.settings
    key = authenticate(request, settings)
    if settings.api_rate_limit <= 0:
        return
    wait = await count_request(
        archive.pool,
        client_id(request, key),
        limit=settings.api_rate_limit,
        window_seconds=settings.api_rate_window_seconds,
    )
    if wait is not None:
        raise errors.too_many_requests(
            f"more than {settings.api_rate_limit} crawl requests in "
            f"{settings.api_rate_window_seconds} s; try again in {wait} s",
            wait,
        )
