"""`GET /timemap/link/{url}`: the Memento TimeMap (RFC 7089) of a URL, in
application/link-format: the original, the TimeGate, then every memento oldest first."""

from __future__ import annotations

from aiohttp import web

from archivestream.api import capture_lookup, context, errors, memento

PREFIX = "/timemap/link/"


async def timemap(request: web.Request) -> web.Response:
    """GET /timemap/link/{url} (the URL may carry its own query string)."""
    archive = context.of(request)
    try:
        url = capture_lookup.normalise_url(request.raw_path[len(PREFIX) :])
        key = capture_lookup.surt_of(url)
    except capture_lookup.BadLookup as error:
        raise errors.bad_request(str(error)) from None

    times = await capture_lookup.times_of(archive.pool, key)
    if not times:
        raise errors.not_found(f"{url} is not archived; the TimeMap would be empty")
    body = memento.link_timemap(archive.base_url(request), url, times)
    return web.Response(text=body, content_type="application/link-format", charset="utf-8")
