"""`archivestream search QUERY`: the archived pages matching a query, each with its
title, URL, capture time, replay link and a snippet, printed for a terminal."""

from __future__ import annotations

import html
import re

import typer

from archivestream.api import search_routes
from archivestream.core.settings import Settings
from archivestream.crawler import backends

_TAGS = re.compile(r"<[^>]+>")


def plain(snippet: str) -> str:
    """A snippet's HTML (<b> around matches, escapes) as one line of plain text."""
    return " ".join(html.unescape(_TAGS.sub("", snippet)).split())


async def main(settings: Settings, query: str, *, limit: int = 10) -> int:
    """Print the hits for `query`; exit code 0 (also when nothing matches)."""
    # A fresh data folder has no tables yet (the embedded schema is made on opening):
    # searching it finds nothing, not an error.
    async with backends.opened(settings, writing=False) as parts:
        page = await parts.search.query(query, limit=limit)

    if not page.hits:
        typer.echo(f"no captures match {query!r}")
        return 0
    base = (settings.public_url or f"http://{settings.api_host}:{settings.api_port}").rstrip("/")
    for hit in page.hits:
        typer.echo(hit.title or "(untitled)")
        typer.echo(f"  {hit.url}  captured {hit.captured_at:%Y-%m-%d %H:%M:%S} UTC")
        typer.echo(f"  {search_routes.replay_url(base, hit.url, hit.captured_at)}")
        if hit.snippet:
            typer.echo(f"  {plain(hit.snippet)}")
        typer.echo("")
    shown = len(page.hits)
    more = f" (showing {shown}; --limit for more)" if page.total > shown else ""
    typer.echo(f"{page.total} capture(s) match {query!r}{more}")
    return 0
