"""Query parameters that more than one route reads the same way: whole numbers within
bounds, refused with a 400 that names the parameter and what it takes."""

from __future__ import annotations

from aiohttp import web

from archivestream.api import errors


def whole_number(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """The query parameter `name` as an int in [low, high]; `default` when absent or empty."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.bad_request(f"{name} must be a whole number, got {raw[:40]!r}") from None
    if not low <= value <= high:
        raise errors.bad_request(f"{name} must be between {low} and {high}, got {value}")
    return value
