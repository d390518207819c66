"""Fetching one URL over HTTP, exactly as the server answered.

One aiohttp session per worker, with automatic decompression off (the payload keeps its
content coding, as WARC wants it), connect/read/total timeouts, a body size cap and no
redirect following: a redirect is a capture of its own and its target goes back through
the frontier. The request headers are recorded as sent and the response headers as
received, in order. A failure raises FetchError saying what went wrong and whether
trying again later may help.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
import structlog

from archivestream.core.settings import Settings

log = structlog.get_logger("archivestream.fetcher")

CHUNK_BYTES = 64 * 1024


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first header called `name` in `headers` (case-insensitive), or None."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


@dataclass(kw_only=True)
class Fetched:
    """One HTTP exchange as it happened: the stuff of a WARC request/response pair."""

    url: str
    method: str = "GET"
    status: int
    reason: str
    http_version: str
    request_headers: list[tuple[str, str]]
    response_headers: list[tuple[str, str]]
    payload: bytes
    started_at: datetime
    ip: str | None = None
    truncated: bool = False
    elapsed: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first response header called `name` (case-insensitive), or None."""
        return header(self.response_headers, name)

    @property
    def mime(self) -> str:
        """The media type of the payload, lower case, without parameters."""
        value = self.header("content-type") or ""
        return value.split(";", 1)[0].strip().lower()


class FetchError(Exception):
    """A fetch that produced no usable response; `retryable` when a later try may work."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def open_session(settings: Settings) -> aiohttp.ClientSession:
    """The worker's HTTP session: no decompression, no cookies, bounded timeouts."""
    connector = aiohttp.TCPConnector(
        limit=max(settings.concurrency, 1) * 2,
        limit_per_host=0,
        ttl_dns_cache=300,
        enable_cleanup_closed=True,
    )
    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(_remember_sent_headers)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeouts(settings),
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        trace_configs=[trace],
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
    )


async def _remember_sent_headers(
    session: aiohttp.ClientSession,
    context: object,
    params: aiohttp.TraceRequestHeadersSentParams,
) -> None:
    sent = getattr(context, "trace_request_ctx", None)
    if isinstance(sent, list):
        sent.extend((key, value) for key, value in params.headers.items())


def timeouts(settings: Settings) -> aiohttp.ClientTimeout:
    """Connect, read (between two chunks) and total timeouts of one request."""
    return aiohttp.ClientTimeout(
        total=settings.total_timeout,
        sock_connect=settings.connect_timeout,
        sock_read=settings.read_timeout,
    )


def request_headers(settings: Settings) -> dict[str, str]:
    """The headers every crawl request carries."""
    return {
        "User-Agent": settings.user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Encoding": "gzip",
    }


async def fetch(
    session: aiohttp.ClientSession,
    settings: Settings,
    url: str,
    *,
    max_bytes: int | None = None,
) -> Fetched:
    """GET `url` once, without following redirects; raises FetchError on failure.

    A body longer than `max_bytes` (default `settings.max_body_bytes`) is cut there and
    the result is marked `truncated`.
    """
    limit = settings.max_body_bytes if max_bytes is None else max_bytes
    started_at = datetime.now(UTC)
    began = time.monotonic()
    sent: list[tuple[str, str]] = []
    try:
        async with session.get(
            url,
            headers=request_headers(settings),
            allow_redirects=False,
            timeout=timeouts(settings),
            trace_request_ctx=sent,
        ) as response:
            ip = _peer_ip(response)
            payload, truncated = await _read_capped(response, limit)
            headers = [
                (key.decode("latin-1"), value.decode("latin-1"))
                for key, value in response.raw_headers
            ]
            version = f"{response.version.major}.{response.version.minor}"
            status, reason = response.status, response.reason or ""
    except TimeoutError:
        raise FetchError(
            f"timed out (connect {settings.connect_timeout:g} s, read "
            f"{settings.read_timeout:g} s, total {settings.total_timeout:g} s)",
            retryable=True,
        ) from None
    except aiohttp.ClientResponseError as error:
        # The server's bytes did not parse as HTTP: a later try gets the same bytes.
        raise FetchError(f"malformed HTTP response: {error.message}", retryable=False) from None
    except aiohttp.ClientPayloadError as error:
        raise FetchError(f"broken response body: {_short(error)}", retryable=True) from None
    except aiohttp.ServerDisconnectedError:
        raise FetchError(
            "server closed the connection without a response", retryable=True
        ) from None
    except aiohttp.ClientConnectorError as error:
        raise FetchError(f"cannot connect: {_short(error.os_error)}", retryable=True) from None
    except aiohttp.InvalidURL as error:
        raise FetchError(f"invalid URL: {error}", retryable=False) from None
    except (aiohttp.ClientError, OSError) as error:
        raise FetchError(f"network error: {_short(error)}", retryable=True) from None
    except ValueError as error:
        raise FetchError(f"malformed HTTP response: {_short(error)}", retryable=False) from None

    if truncated:
        log.info("body truncated", url=url, limit=limit)
    return Fetched(
        url=url,
        status=status,
        reason=reason,
        http_version=version,
        request_headers=sent or list(request_headers(settings).items()),
        response_headers=headers,
        payload=payload,
        started_at=started_at,
        ip=ip,
        truncated=truncated,
        elapsed=time.monotonic() - began,
    )


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """The body up to `limit` bytes; True when there was more (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await response.content.read(CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks), False
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: len(chunk) - (size - limit)])
            # Unread body left on the socket: the connection must not be reused.
            response.close()
            return b"".join(chunks), True
        chunks.append(chunk)


def _peer_ip(response: aiohttp.ClientResponse) -> str | None:
    # A small body may arrive with the headers, releasing the connection at once; the
    # protocol object stays with the response and still knows its transport.
    connection = response.connection
    protocol = connection.protocol if connection is not None else None
    protocol = protocol or getattr(response, "_protocol", None)
    transport = getattr(protocol, "transport", None)
    if transport is None:
        return None
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if peer else None


def _short(error: object) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def decoded_payload(fetched: Fetched, *, max_bytes: int) -> bytes:
    """The payload with its content coding (gzip, deflate) undone, at most `max_bytes`.

    The cap is what keeps a gzip bomb from filling memory: decompression stops there.
    An unknown coding or a corrupt stream gives what could be decoded (maybe nothing).
    """
    return decoded_prefix(fetched.payload, fetched.header("content-encoding"), max_bytes=max_bytes)


def decoded_prefix(payload: bytes, content_encoding: str | None, *, max_bytes: int) -> bytes:
    """`decoded_payload` for a payload and its Content-Encoding header value."""
    coding = (content_encoding or "").strip().lower()
    if coding in ("", "identity"):
        return payload[:max_bytes]
    if coding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS
        try:
            return zlib.decompressobj(wbits).decompress(payload, max_bytes)
        except zlib.error:
            if coding == "deflate":
                try:
                    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(payload, max_bytes)
                except zlib.error:
                    return b""
            return b""
    return b""


def retry_after_seconds(fetched: Fetched, *, now: datetime | None = None) -> float | None:
    """The Retry-After of a 429/503 in seconds (a number or an HTTP date), or None."""
    value = (fetched.header("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
