"""Link rewriting for replay: an archived page's links point back into the archive.

Pure functions from text to text. Every URL an HTML page or a style sheet loads or
links to (href, src, srcset, action, poster, background, meta refresh, CSS `url()` and
`@import`, in style attributes and <style> elements) is resolved against the page's
URL (or its <base href>) and becomes `/web/{timestamp}/{absolute url}`, so the browser
asks the archive, which answers with the capture nearest to that timestamp.
Fragments, `javascript:`, `data:`, `mailto:` and similar links are left as they are.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

# Schemes that name no archived resource.
_KEEP_SCHEMES = ("javascript:", "data:", "mailto:", "tel:", "about:", "blob:", "#")

_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]*?)\1\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(["'])([^"']*)\1""", re.IGNORECASE)
_META_REFRESH_URL = re.compile(r"""^(\s*\d*\s*;\s*url\s*=\s*)(["']?)(.*?)\2\s*$""", re.I | re.S)

_URL_ATTRIBUTES = ("href", "src", "action", "poster", "background", "formaction", "data")
_SELECTOR = ",".join(
    [f"[{name}]" for name in (*_URL_ATTRIBUTES, "srcset", "style")] + ["style", "meta[http-equiv]"]
)


def archive_url(link: str, base_url: str, timestamp: str, modifier: str = "") -> str:
    """`link` as seen from `base_url`, made into an archive path; unchanged when it names
    no http(s) resource (fragment, javascript:, data:...) or cannot be parsed."""
    target = link.strip()
    if not target or target.lower().startswith(_KEEP_SCHEMES):
        return link
    try:
        absolute = urljoin(base_url, target)
    except ValueError:
        return link
    if not absolute.lower().startswith(("http://", "https://")):
        return link
    return f"/web/{timestamp}{modifier}/{absolute}"


def rewrite_srcset(value: str, base_url: str, timestamp: str) -> str:
    """A srcset attribute with each candidate's URL rewritten, descriptors kept."""
    candidates = []
    for candidate in value.split(","):
        parts = candidate.strip().split(None, 1)
        if not parts:
            continue
        parts[0] = archive_url(parts[0], base_url, timestamp)
        candidates.append(" ".join(parts))
    return ", ".join(candidates)


def rewrite_css(css: str, base_url: str, timestamp: str) -> str:
    """A style sheet (or a style attribute) with `url()` and `@import` rewritten."""

    def _url(match: re.Match[str]) -> str:
        quote, link = match.group(1), match.group(2)
        return f"url({quote}{archive_url(link, base_url, timestamp)}{quote})"

    def _import(match: re.Match[str]) -> str:
        quote, link = match.group(1), match.group(2)
        return f"@import {quote}{archive_url(link, base_url, timestamp)}{quote}"

    return _CSS_IMPORT.sub(_import, _CSS_URL.sub(_url, css))


def rewrite_html(html: str, page_url: str, timestamp: str) -> str:
    """An HTML document with every link pointing into the archive at `timestamp`."""
    tree = LexborHTMLParser(html)

    base_url = page_url
    base = tree.css_first("base[href]")
    if base is not None:
        try:
            base_url = urljoin(page_url, (base.attributes.get("href") or "").strip())
        except ValueError:
            base_url = page_url

    seen: set[int] = set()
    for node in tree.css(_SELECTOR):
        # A node matching several parts of the selector is listed once per part.
        if node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        if node.tag == "style":
            node.inner_html = rewrite_css(node.text(deep=True), base_url, timestamp)
            continue
        attributes = node.attributes
        for name in _URL_ATTRIBUTES:
            value = attributes.get(name)
            if value is not None:
                # <base href> is resolved against the page, not against itself.
                origin = page_url if node.tag == "base" else base_url
                node.attrs[name] = archive_url(value, origin, timestamp)
        srcset = attributes.get("srcset")
        if srcset is not None:
            node.attrs["srcset"] = rewrite_srcset(srcset, base_url, timestamp)
        style = attributes.get("style")
        if style is not None:
            node.attrs["style"] = rewrite_css(style, base_url, timestamp)
        if node.tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            content = attributes.get("content") or ""
            match = _META_REFRESH_URL.match(content)
            if match:
                prefix, quote, link = match.groups()
                rewritten = archive_url(link, base_url, timestamp)
                node.attrs["content"] = f"{prefix}{quote}{rewritten}{quote}"

    return tree.html or ""
