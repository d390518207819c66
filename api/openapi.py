"""`GET /openapi.json`: the API described for clients and fuzzers (schemathesis).

Request and response bodies come from the pydantic models the routes use, so the
document and the code cannot drift apart on the shapes; the paths and parameters are
listed here once.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from archivestream.api import (
    cdx,
    cdx_fields,
    crawl_requests,
    crawl_status,
    frontier_status,
    search_routes,
)


class ErrorBody(BaseModel):
    """Every refusal: what was wrong, in words."""

    error: str


class HealthBody(BaseModel):
    status: str


_MODELS: list[type[BaseModel]] = [
    crawl_requests.CrawlRequest,
    crawl_requests.CrawlAccepted,
    crawl_status.CrawlStatus,
    search_routes.SearchResults,
    frontier_status.FrontierHealth,
    ErrorBody,
    HealthBody,
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _text(media: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": {"type": "string"}}}}


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def _path(name: str, description: str, example: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
        "description": description,
        "example": example,
    }


_BAD = _json(ErrorBody, "Bad input; the reason is in `error`.")
_MISSING = _json(ErrorBody, "Nothing archived for this URL.")
_GATEWAY = _json(ErrorBody, "The capture's WARC record cannot be read.")
_TIMESTAMP = {"type": "string", "pattern": "^[0-9]{1,14}$"}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API."""
    _, definitions = models_json_schema(
        [(model, "validation") for model in _MODELS],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, Any] = {
        "/health": {
            "get": {
                "summary": "The process can serve.",
                "responses": {"200": _json(HealthBody, "Alive.")},
            }
        },
        "/ready": {
            "get": {
                "summary": "The database answers.",
                "responses": {
                    "200": _json(HealthBody, "Ready."),
                    "503": _json(ErrorBody, "Not ready; the reason is in `error`."),
                },
            }
        },
        "/crawl": {
            "post": {
                "summary": "Start a crawl from a seed URL.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(crawl_requests.CrawlRequest)}},
                },
                "responses": {
                    "202": _json(crawl_requests.CrawlAccepted, "Crawl created and queued."),
                    "400": _BAD,
                    "401": _json(ErrorBody, "An API key is required."),
                    "429": _json(ErrorBody, "Too many crawl requests; see Retry-After."),
                },
            }
        },
        "/crawl/{id}": {
            "get": {
                "summary": "A crawl's seeds, limits, progress and failure reasons.",
                "parameters": [
                    _path(
                        "id",
                        "The UUID POST /crawl answered.",
                        "3f2c1d9e-8a5b-4c7d-9e0f-1a2b3c4d5e6f",
                    )
                ],
                "responses": {
                    "200": _json(crawl_status.CrawlStatus, "The crawl."),
                    "400": _json(ErrorBody, "The id is not a UUID."),
                    "404": _json(ErrorBody, "No crawl has this id."),
                },
            }
        },
        "/api/v1/search": {
            "get": {
                "summary": "Full-text search over archived pages.",
                "parameters": [
                    _query("q", {"type": "string", "minLength": 1}, "Words.", required=True),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": search_routes.MAX_LIMIT},
                        "Results per page (default 10).",
                    ),
                    _query(
                        "offset",
                        {"type": "integer", "minimum": 0, "maximum": search_routes.MAX_OFFSET},
                        "Results to skip.",
                    ),
                ],
                "responses": {"200": _json(search_routes.SearchResults, "A page."), "400": _BAD},
            }
        },
        "/api/health/frontier": {
            "get": {
                "summary": "Each region's frontier and liveness.",
                "responses": {"200": _json(frontier_status.FrontierHealth, "Per region.")},
            }
        },
        "/cdx": {
            "get": {
                "summary": "Capture index lookup, as pywb's CDX server.",
                "parameters": [
                    _query("url", {"type": "string", "minLength": 1}, "URL.", required=True),
                    _query(
                        "matchType",
                        {"type": "string", "enum": ["exact", "prefix", "host", "domain"]},
                        "How the URL matches.",
                    ),
                    _query("from", _TIMESTAMP, "Earliest capture time (partial allowed)."),
                    _query("to", _TIMESTAMP, "Latest capture time (partial allowed)."),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": cdx.MAX_LIMIT},
                        "Most lines.",
                    ),
                    _query(
                        "output", {"type": "string", "enum": list(cdx.OUTPUTS)}, "Line format."
                    ),
                    _query("sort", {"type": "string", "enum": list(cdx.SORTS)}, "Order."),
                    _query("closest", _TIMESTAMP, "Timestamp for sort=closest."),
                    _query(
                        "fl",
                        {"type": "string"},
                        f"Fields to write, comma-separated, of {', '.join(cdx_fields.FIELDS)}.",
                    ),
                    {
                        **_query(
                            "filter",
                            {
                                "type": "array",
                                "items": {"type": "string"},
                                "maxItems": cdx_fields.MAX_FILTERS,
                            },
                            "`[!][=|~]field:value` as pywb's; repeat to require several.",
                        ),
                        "style": "form",
                        "explode": True,
                    },
                ],
                "responses": {
                    "200": {
                        "description": "CDXJ or JSON lines.",
                        "content": {
                            media: {"schema": {"type": "string"}} for media in cdx.OUTPUTS.values()
                        },
                    },
                    "400": _BAD,
                },
            }
        },
        "/web/{timestamp}/{url}": {
            "get": {
                "summary": "Replay the capture nearest to the timestamp, with Memento headers.",
                "parameters": [
                    _path(
                        "timestamp",
                        "YYYYMMDDhhmmss (partial allowed), `id_` for raw.",
                        "20240101000000",
                    ),
                    _path("url", "The archived URL.", "http://example.com/"),
                ],
                "responses": {
                    "200": {"description": "The archived response."},
                    "302": {"description": "An archived redirect, into the archive."},
                    "400": _BAD,
                    "404": _MISSING,
                    "502": _GATEWAY,
                },
            }
        },
        "/timemap/link/{url}": {
            "get": {
                "summary": "Memento TimeMap (RFC 7089).",
                "parameters": [_path("url", "The archived URL.", "http://example.com/")],
                "responses": {
                    "200": _text("application/link-format", "The TimeMap."),
                    "400": _BAD,
                    "404": _MISSING,
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics.",
                "responses": {"200": _text("text/plain", "Prometheus text format.")},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "ArchiveStream API", "version": "1"},
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {})},
    }


async def openapi(request: web.Request) -> web.Response:
    """GET /openapi.json."""
    return web.json_response(document())
