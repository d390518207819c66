"""Replayed HTML and CSS point back into the archive (api/rewrite.py, pure)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from archivestream.api import rewrite

PAGE = "http://example.com/dir/page.html"
TS = "20240102030405"


def _attr(html: str, selector: str, name: str) -> str | None:
    node = LexborHTMLParser(html).css_first(selector)
    assert node is not None, selector
    return node.attributes.get(name)


def test_relative_absolute_and_protocol_relative_links_point_into_the_archive() -> None:
    html = rewrite.rewrite_html(
        '<a id="r" href="next.html">n</a><a id="a" href="https://other.org/x?y=1">o</a>'
        '<img id="p" src="//cdn.example.net/i.png"><form id="f" action="/post"></form>',
        PAGE,
        TS,
    )
    assert _attr(html, "#r", "href") == f"/web/{TS}/http://example.com/dir/next.html"
    assert _attr(html, "#a", "href") == f"/web/{TS}/https://other.org/x?y=1"
    assert _attr(html, "#p", "src") == f"/web/{TS}/http://cdn.example.net/i.png"
    assert _attr(html, "#f", "action") == f"/web/{TS}/http://example.com/post"


def test_fragments_and_non_http_links_are_left_alone() -> None:
    html = rewrite.rewrite_html(
        '<a id="h" href="#top">t</a><a id="j" href="javascript:void(0)">j</a>'
        '<a id="m" href="mailto:a@b.c">m</a><img id="d" src="data:image/png;base64,AA">',
        PAGE,
        TS,
    )
    assert _attr(html, "#h", "href") == "#top"
    assert _attr(html, "#j", "href") == "javascript:void(0)"
    assert _attr(html, "#m", "href") == "mailto:a@b.c"
    assert _attr(html, "#d", "src") == "data:image/png;base64,AA"


def test_base_href_changes_what_relative_links_resolve_against() -> None:
    html = rewrite.rewrite_html(
        '<head><base href="/sub/"></head><body><a id="x" href="x.html">x</a></body>', PAGE, TS
    )
    assert _attr(html, "#x", "href") == f"/web/{TS}/http://example.com/sub/x.html"
    assert _attr(html, "base", "href") == f"/web/{TS}/http://example.com/sub/"


def test_srcset_candidates_keep_their_descriptors() -> None:
    html = rewrite.rewrite_html('<img srcset="a.png 1x, /b.png 2x">', PAGE, TS)
    assert _attr(html, "img", "srcset") == (
        f"/web/{TS}/http://example.com/dir/a.png 1x, /web/{TS}/http://example.com/b.png 2x"
    )


def test_css_urls_in_style_elements_and_attributes_are_rewritten_once() -> None:
    html = rewrite.rewrite_html(
        "<style>@import \"a.css\"; body{background:url('bg.png')}</style>"
        '<a id="s" href="/x" style="background: url(y.png)">x</a>',
        PAGE,
        TS,
    )
    style = LexborHTMLParser(html).css_first("style").text()
    assert f'@import "/web/{TS}/http://example.com/dir/a.css"' in style
    assert f"url('/web/{TS}/http://example.com/dir/bg.png')" in style
    assert _attr(html, "#s", "style") == f"background: url(/web/{TS}/http://example.com/dir/y.png)"
    assert _attr(html, "#s", "href") == f"/web/{TS}/http://example.com/x"


def test_meta_refresh_target_is_rewritten() -> None:
    html = rewrite.rewrite_html('<meta http-equiv="refresh" content="0; url=/moved">', PAGE, TS)
    assert _attr(html, "meta", "content") == f"0; url=/web/{TS}/http://example.com/moved"


def test_style_sheet_rewriting_handles_quotes_and_data_urls() -> None:
    css = rewrite.rewrite_css(
        'a{background:url("i.png")} b{background:url(data:image/gif;base64,R0)}',
        "http://example.com/css/site.css",
        TS,
    )
    assert f'url("/web/{TS}/http://example.com/css/i.png")' in css
    assert "url(data:image/gif;base64,R0)" in css
