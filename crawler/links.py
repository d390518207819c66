"""Links of an HTML page: what the crawler may follow, and what it needs to replay the page.

Each link has a kind. Navigation: anchors, areas, `<meta http-equiv=refresh>` targets and
`<link>`s to other documents. Embeds (page requisites): the `src` of images, scripts,
frames and media, `srcset` candidates, posters, object data, requisite `<link>`s
(stylesheets, icons, preloads, manifests) and the `url()`s of inline CSS. All resolved
against the page's `<base href>` (or its URL) and canonicalised. Anything not http(s) or
not a valid URL is dropped quietly: a page's bad link is the page's business, not a crawl
error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from yarl import URL

from archivestream.crawler import canonical, stylesheet

HTML_TYPES = ("text/html", "application/xhtml+xml")
CSS_TYPE = "text/css"
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
        "video[poster]",
        "object[data]",
    ]
)
# Inline CSS (`<style>` blocks, `style` attributes) in a walk of its own, taken only when
# the page's text holds something CSS refers with: most pages have none, and a `style`
# check on every node of the main walk cost more than this second walk. (So an inline
# image-set() of bare strings, with no url( or @import on the page, is not seen.)
_INLINE_CSS = "style, [style]"
# Case-insensitive without re.IGNORECASE: searching for a rare literal ("(", "@") and
# looking around it is ten times as fast on a page's text as an ignore-case alternation.
_URL_FUNCTION = re.compile(r"\((?<=[uU][rR][lL]\()")
_IMPORT_RULE = re.compile(r"@(?=[iI][mM][pP][oO][rR][tT])")
# `<link>` relations that make the linked resource part of the page (any token of `rel`:
# "shortcut icon" is two tokens); other relations (alternate, next, canonical) are links.
_REQUISITE_RELS = frozenset(
    {
        "stylesheet",
        "icon",
        "apple-touch-icon",
        "apple-touch-icon-precomposed",
        "mask-icon",
        "preload",
        "modulepreload",
        "manifest",
        "prefetch",
    }
)
_NOT_FETCHABLE = ("javascript:", "mailto:", "data:", "tel:")
_BASE_TAG = re.compile(r"<base[\s/>]", re.IGNORECASE)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Links:
    """What a page refers to, as canonical http(s) URLs in document order, each once.

    `navigation`: other pages (anchors, areas, refreshes, `<link rel=next>` and the like),
    one hop further from the seed. `embeds`: the page's requisites (images, stylesheets,
    scripts, frames, media and what its CSS refers to), fetched with the page itself.
    A URL that is both is an embed only.
    """

    navigation: list[str] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)


def is_html(mime: str) -> bool:
    """True when a response of this media type may hold links to follow."""
    return mime in HTML_TYPES


def is_css(mime: str) -> bool:
    """True when a response of this media type is a stylesheet, whose references are embeds."""
    return mime == CSS_TYPE


def extract(html: bytes | str, page_url: str) -> Links:
    """The links of `html` (see `Links`)."""
    return from_tree(HTMLParser(html), page_url)


def from_tree(tree: HTMLParser, page_url: str, *, source: str | None = None) -> Links:
    """The links of a page already parsed (see `page`, which parses each page once).

    With the page's `source` text at hand, a tree walk for a `<base>` it lacks is saved.
    """
    base = _base_url(tree, page_url, source)
    navigation: list[str] = []
    embeds: list[str] = []

    # One walk of the document for every kind of reference (each css() call is a walk).
    for node in tree.css(_REFERENCES):
        # `attrs` looks attributes up one by one; `attributes` would build a dict per node.
        attributes = node.attrs
        tag = node.tag
        if tag == "a" or tag == "area":
            navigation.append(attributes.get("href") or "")
        elif tag == "link":
            rel = attributes.get("rel")
            if rel and not _REQUISITE_RELS.isdisjoint(rel.lower().split()):
                embeds.append(attributes.get("href") or "")
            elif "href" in attributes:
                navigation.append(attributes.get("href") or "")
        elif tag == "meta":
            if (attributes.get("http-equiv") or "").lower() == "refresh":
                match = _REFRESH_URL.search(attributes.get("content") or "")
                if match:
                    navigation.append(match.group(1))
        else:
            if "src" in attributes:
                embeds.append(attributes.get("src") or "")
            if tag == "img" or tag == "source":
                for candidate in (attributes.get("srcset") or "").split(","):
                    parts = candidate.split()
                    if parts:
                        embeds.append(parts[0])
            elif tag == "video" and "poster" in attributes:
                embeds.append(attributes.get("poster") or "")
            elif tag == "object" and "data" in attributes:
                embeds.append(attributes.get("data") or "")
    if source is None or _URL_FUNCTION.search(source) or _IMPORT_RULE.search(source):
        embeds.extend(_inline_css(tree))

    found_embeds = resolve(embeds, str(base))
    taken = set(found_embeds)
    found_navigation = [url for url in resolve(navigation, str(base)) if url not in taken]
    return Links(navigation=found_navigation, embeds=found_embeds)


def _inline_css(tree: HTMLParser) -> list[str]:
    found: list[str] = []
    for node in tree.css(_INLINE_CSS):
        if node.tag == "style":
            css = node.text(deep=True)
            if stylesheet.might_refer(css):
                found.extend(stylesheet.from_text(css))
        # A `<style>` with a `style` attribute too is matched once: both are read.
        css = node.attrs.get("style")
        if css and stylesheet.might_refer(css):
            found.extend(stylesheet.from_declarations(css))
    return found


def resolve(references: list[str], base_text: str) -> list[str]:
    """The canonical http(s) URLs of raw `references` made from `base_text`, each once."""
    # A fragment never changes what is fetched, and "#x" alone is this very page.
    hrefs = dict.fromkeys(raw.strip().split("#", 1)[0] for raw in references)
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
