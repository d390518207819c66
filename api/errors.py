"""JSON error answers: every refusal says what was wrong in `{"error": reason}`, with
the status that fits (400 bad input, 401 no key, 404 nothing archived, 429 too many)."""

from __future__ import annotations

import json

from aiohttp import web


def _body(reason: str) -> str:
    return json.dumps({"error": reason})


def bad_request(reason: str) -> web.HTTPBadRequest:
    """400 with `reason`; raise it."""
    return web.HTTPBadRequest(text=_body(reason), content_type="application/json")


def not_found(reason: str) -> web.HTTPNotFound:
    """404 with `reason`; raise it."""
    return web.HTTPNotFound(text=_body(reason), content_type="application/json")


def unauthorized(reason: str) -> web.HTTPUnauthorized:
    """401 with `reason` and a Bearer challenge; raise it."""
    return web.HTTPUnauthorized(
        text=_body(reason),
        content_type="application/json",
        headers={"WWW-Authenticate": 'Bearer realm="archivestream"'},
    )


def too_many_requests(reason: str, retry_after: int) -> web.HTTPTooManyRequests:
    """429 with `reason` and Retry-After in seconds; raise it."""
    return web.HTTPTooManyRequests(
        text=_body(reason),
        content_type="application/json",
        headers={"Retry-After": str(retry_after)},
    )


def bad_gateway(reason: str) -> web.HTTPBadGateway:
    """502 with `reason` (a stored WARC record cannot be read); raise it."""
    return web.HTTPBadGateway(text=_body(reason), content_type="application/json")


def unavailable(reason: str) -> web.HTTPServiceUnavailable:
    """503 with `reason`; raise it."""
    return web.HTTPServiceUnavailable(text=_body(reason), content_type="application/json")


def as_json(error: web.HTTPException) -> web.Response:
    """An HTTP error as a JSON response: aiohttp's own plain-text refusals (no such
    route, method not allowed, body too large) get a JSON reason like ours."""
    if error.content_type == "application/json":
        return web.Response(
            status=error.status,
            text=error.text,
            content_type="application/json",
            headers={
                k: v
                for k, v in error.headers.items()
                if k.lower() not in ("content-type", "content-length")
            },
        )
    reason = error.text or error.reason
    if reason.startswith(f"{error.status}: "):
        reason = reason.split(": ", 1)[1]
    if error.status == 404:
        reason = "no such endpoint; the endpoints are listed in /openapi.json"
    kept = {k: v for k, v in error.headers.items() if k.lower() in ("allow", "retry-after")}
    return web.json_response({"error": reason}, status=error.status, headers=kept)
