"""Links of an HTML page: what the crawler may follow or needs to replay the page.

Anchors and `<link>` hrefs, the `src` of images, scripts, frames and media, `srcset`
candidates and `<meta http-equiv=refresh>` targets, resolved against the page's
`<base href>` (or its URL) and canonicalised. Anything not http(s) or not a valid URL
is dropped quietly: a page's bad link is the page's business, not a crawl error.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from yarl import URL

from archivestream.crawler import canonical

HTML_TYPES = ("text/html", "application/xhtml+xml")
_SRC_TAGS = "img[src], script[src], iframe[src], frame[src], embed[src], source[src], audio[src], video[src], input[src]"  # noqa: E501
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


def is_html(mime: str) -> bool:
    """True when a response of this media type may hold links to follow."""
    return mime in HTML_TYPES


def extract(html: bytes | str, page_url: str) -> list[str]:
    """The canonical http(s) URLs `html` links to, in document order, without repeats."""
    tree = HTMLParser(html if isinstance(html, str) else html.decode("utf-8", "replace"))
    base = _base_url(tree, page_url)
    found: list[str] = []

    for node in tree.css("a[href], area[href], link[href]"):
        found.append(node.attributes.get("href") or "")
    for node in tree.css(_SRC_TAGS):
        found.append(node.attributes.get("src") or "")
    for node in tree.css("img[srcset], source[srcset]"):
        for candidate in (node.attributes.get("srcset") or "").split(","):
            parts = candidate.split()
            if parts:
                found.append(parts[0])
    for node in tree.css("meta[http-equiv]"):
        if (node.attributes.get("http-equiv") or "").lower() == "refresh":
            match = _REFRESH_URL.search(node.attributes.get("content") or "")
            if match:
                found.append(match.group(1))

    seen: set[str] = set()
    links: list[str] = []
    for raw in found:
        url = _resolve(base, raw)
        if url is not None and url not in seen:
            seen.add(url)
            links.append(url)
    return links


def _base_url(tree: HTMLParser, page_url: str) -> URL:
    page = URL(page_url)
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


def _resolve(base: URL, raw: str) -> str | None:
    href = raw.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "data:", "tel:")):
        return None
    try:
        return canonical.canonicalize(str(base.join(URL(href))))
    except (ValueError, TypeError, UnicodeError):
        return None
