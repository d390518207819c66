"""Canonical URLs and their SURT keys.

A URL enters the frontier only in its canonical form (lower-case scheme and host,
default port dropped, fragment dropped, percent-encoding normalised), keyed by its SURT
exactly as pywb and cdxj-indexer compute it, so the capture index and the frontier agree
with the outside tools on what "the same URL" means.
"""

from __future__ import annotations

import re
from functools import lru_cache

import surt
from yarl import URL

MAX_URL_LENGTH = 2048
SCHEMES = ("http", "https")
# Labels of letters, digits, hyphens and underscores (seen in the wild), no empty label.
_HOST = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


class InvalidURL(ValueError):
    """A URL that cannot be crawled; `reason` says why in words for the user."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        shown = url if len(url) <= 120 else url[:117] + "..."
        super().__init__(f"invalid URL {shown!r}: {reason}")


def canonicalize(url: str) -> str:
    """The canonical absolute http(s) form of `url`; raises InvalidURL with the reason."""
    if not isinstance(url, str):
        raise InvalidURL(repr(url), "not a string")
    text = url.strip()
    if not text:
        raise InvalidURL(url, "empty")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidURL(url, f"longer than {MAX_URL_LENGTH} characters ({len(text)})")
    try:
        parsed = URL(text)
        scheme = parsed.scheme.lower()
        host = parsed.host
        port = parsed.explicit_port
    except (ValueError, TypeError, UnicodeError) as error:
        raise InvalidURL(url, f"unparsable ({error})") from None
    if not scheme:
        raise InvalidURL(url, "not absolute: no http:// or https:// scheme")
    if scheme not in SCHEMES:
        raise InvalidURL(url, f"scheme {scheme!r} is not http or https")
    if not host:
        raise InvalidURL(url, "no host")
    if port is not None and not 0 < port < 65536:
        raise InvalidURL(url, f"port {port} out of range")
    try:
        host = (parsed.raw_host or "").lower().rstrip(".")
        path = parsed.raw_path or "/"
        query = parsed.raw_query_string
    except (ValueError, TypeError, UnicodeError) as error:
        raise InvalidURL(url, f"unparsable ({error})") from None
    if ":" in host:
        host = f"[{host}]"
    elif not _HOST.match(host):
        raise InvalidURL(url, f"host {host!r} is not a valid host name")
    if port is not None and port != (80 if scheme == "http" else 443):
        host = f"{host}:{port}"
    result = f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
    if len(result) > MAX_URL_LENGTH:
        raise InvalidURL(url, f"longer than {MAX_URL_LENGTH} characters once normalised")
    return result


@lru_cache(maxsize=65536)
def surt_key(url: str) -> str:
    """The SURT of `url` as pywb/cdxj-indexer write it (`org,python,docs)/3/index.html`).

    Cached: the library is slow (it even asks the resolver about IP-address hosts) and a
    crawl meets the same URLs in page after page.
    """
    return surt.surt(url)


def host_of(url: str) -> str:
    """The host (with a non-default port) of a canonical URL: the unit of politeness."""
    parsed = URL(url)
    host = parsed.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    if parsed.explicit_port is not None:
        return f"{host}:{parsed.explicit_port}"
    return host
