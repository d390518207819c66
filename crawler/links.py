"""Links of an HTML page: what the crawler may follow or needs to replay the page.

Anchors and `<link>` hrefs, the `src` of images, scripts, frames and media, `srcset`
candidates and `<meta http-equiv=refresh>` targets, resolved against the page's
`<base href>` (or its URL) and canonicalised. Anything not http(s) or not a valid URL
is dropped quietly: a page's bad link is the page's business, not a crawl error.
"""

from __future__ import annotations

import re
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from yarl import URL

from archivestream.crawler import canonical

HTML_TYPES = ("text/html", "application/xhtml+xml")
_REFERENCES = ", ".join(
    [
        "a[href]",
        "area[href]",
        "link[href]",
        "meta[http-equiv]",
        *(
            f"{tag}[{attribute}]"
            for tag in ("img", "script", "iframe", "frame", "embed", "source", "audio", "video")
            for attribute in ("src", "srcset")
            if attribute == "src" or tag in ("img", "source")
        ),
        "input[src]",
    ]
)
_NOT_FETCHABLE = ("javascript:", "mailto:", "data:", "tel:")
_BASE_TAG = re.compile(r"<base[\s/>]", re.IGNORECASE)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


def is_html(mime: str) -> bool:
    """True when a response of this media type may hold links to follow."""
    return mime in HTML_TYPES


def extract(html: bytes | str, page_url: str) -> list[str]:
    """The canonical http(s) URLs `html` links to, in document order, without repeats."""
    return from_tree(HTMLParser(html), page_url)


def from_tree(tree: HTMLParser, page_url: str, *, source: str | None = None) -> list[str]:
    """The links of a page already parsed (see `page`, which parses each page once).

    With the page's `source` text at hand, a tree walk for a `<base>` it lacks is saved.
    """
    base = _base_url(tree, page_url, source)
    found: list[str] = []

    # One walk of the document for every kind of reference (each css() call is a walk).
    for node in tree.css(_REFERENCES):
        # `attrs` looks attributes up one by one; `attributes` would build a dict per node.
        attributes = node.attrs
        tag = node.tag
        if tag in ("a", "area", "link"):
            found.append(attributes.get("href") or "")
        elif tag == "meta":
            if (attributes.get("http-equiv") or "").lower() == "refresh":
                match = _REFRESH_URL.search(attributes.get("content") or "")
                if match:
                    found.append(match.group(1))
        else:
            if "src" in attributes:
                found.append(attributes.get("src") or "")
            for candidate in (attributes.get("srcset") or "").split(","):
                parts = candidate.split()
                if parts:
                    found.append(parts[0])

    # A fragment never changes what is fetched, and "#x" alone is this very page.
    hrefs = dict.fromkeys(raw.strip().split("#", 1)[0] for raw in found)
    base_text = str(base)
    path_part = base_text.split("?", 1)[0]
    directory = path_part[: path_part.rfind("/") + 1]

    seen: set[str] = set()
    links: list[str] = []
    for href in hrefs:
        if not href or href.lower().startswith(_NOT_FETCHABLE):
            continue
        # Only a query-only reference depends on the page's own name; any other resolves
        # the same from every page of a folder, which is what makes the cache pay.
        url = _resolve(base_text if href.startswith("?") else directory, href)
        if url is not None and url not in seen:
            seen.add(url)
            links.append(url)
    return links


def _base_url(tree: HTMLParser, page_url: str, source: str | None) -> URL:
    page = URL(page_url)
    if source is not None and not _BASE_TAG.search(source):
        # A regex scan of the text is several times as fast as a walk of the tree.
        return page
    node = tree.css_first("base[href]")
    if node is not None:
        href = (node.attributes.get("href") or "").strip()
        try:
            resolved = page.join(URL(href))
        except (ValueError, TypeError):
            return page
        if resolved.scheme in canonical.SCHEMES and resolved.host:
            return resolved
    return page


@lru_cache(maxsize=65536)
def _resolve(base: str, href: str) -> str | None:
    try:
        return canonical.canonicalize(str(URL(base).join(URL(href))))
    except (ValueError, TypeError, UnicodeError):
        return None
