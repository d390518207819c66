"""Reachability of an external database: a short TCP connect to the host of its URL.

An external database the operator cannot reach is an error that may pass (a network policy
being rolled out, a database restarting), so it becomes `Ready=False` and is retried, never
`Stalled`. Only reachability is probed here: credentials are the workloads' business, and a
wrong password shows in their logs and in the migrations Job.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

DEFAULT_PORT = 5432


def address(url: str) -> tuple[str, int]:
    """Host and port of a postgresql:// URL; ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"the database URL is not a postgresql:// URL: {parts.scheme}://...")
    if not parts.hostname:
        raise ValueError("the database URL names no host: postgresql://user@HOST:PORT/db")
    return parts.hostname, parts.port or DEFAULT_PORT


async def unreachable(url: str, within: float = 2.0) -> str | None:
    """None when a TCP connection to the database opens, else why it did not."""
    host, port = address(url)
    try:
        async with asyncio.timeout(within):
            _, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return f"no answer from {host}:{port} within {within:g}s"
    except OSError as error:
        return f"cannot connect to {host}:{port}: {error.strerror or error}"
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return None
