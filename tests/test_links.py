"""Link extraction: every kind of reference a page makes, resolved and canonicalised,
in document order, each a navigation link (another page) or an embed (a requisite)."""

from __future__ import annotations

from archivestream.crawler import links

PAGE = b"""<!doctype html><html><head>
<base href="/docs/">
<link rel="stylesheet" href="style.css">
<meta http-equiv="Refresh" content="5; URL='/moved'">
<script src="//cdn.example.com/app.js"></script>
</head><body>
<a href="intro.html#part-2">intro</a>
<a href="intro.html">intro again</a>
<a href="mailto:someone@example.com">mail</a>
<a href="javascript:void(0)">js</a>
<a href="ftp://example.com/file">ftp</a>
<a href="http://[broken">broken</a>
<img src="a.png" srcset="a-2x.png 2x, /img/a-3x.png 3x">
<iframe src="https://Other.Example.COM:443/frame"></iframe>
</body></html>"""


def test_all_references_are_found_resolved_and_canonical() -> None:
    found = links.extract(PAGE, "http://example.com/start/page.html")
    assert found.navigation == [
        "http://example.com/moved",
        "http://example.com/docs/intro.html",
    ]
    assert found.embeds == [
        "http://example.com/docs/style.css",
        "http://cdn.example.com/app.js",
        "http://example.com/docs/a.png",
        "http://example.com/docs/a-2x.png",
        "http://example.com/img/a-3x.png",
        "https://other.example.com/frame",
    ]


def test_undecodable_bytes_do_not_stop_extraction() -> None:
    page = b"<html><body>\xff\xfe\x00<a href='/ok'>caf\xe9</a></body></html>"
    assert links.extract(page, "http://example.com/").navigation == ["http://example.com/ok"]


def test_only_html_is_parsed_for_links() -> None:
    assert links.is_html("text/html")
    assert links.is_html("application/xhtml+xml")
    assert not links.is_html("text/css")


REQUISITES = b"""<!doctype html><html><head>
<link rel="stylesheet" href="main.css">
<link rel="Shortcut Icon" href="/favicon.ico">
<link rel="apple-touch-icon" href="touch.png">
<link rel="preload" href="font.woff2" as="font">
<link rel="modulepreload" href="mod.js">
<link rel="manifest" href="app.webmanifest">
<link rel="prefetch" href="later.js">
<link rel="alternate" href="feed.xml">
<link rel="next" href="page-2.html">
<link rel="prev" href="page-0.html">
<link rel="canonical" href="page.html">
<link href="no-rel.html">
<style>
@import url("print.css");
@import 'theme.css' screen;
body { background: url(body.png) } /* url(comment.png) */
</style>
</head><body style="background-image: url('back.jpg')">
<a href="next-page.html" style="background: url(arrow.svg)">next</a>
<area href="map-target.html">
<video poster="poster.jpg" src="movie.mp4"></video>
<audio src="sound.ogg"></audio>
<object data="flash.swf"></object>
<embed src="plugin.bin">
<iframe src="frame.html"></iframe>
<input type="image" src="button.png">
<picture><source srcset="wide.webp 1000w, narrow.webp 500w"></picture>
<a href="main.css">the stylesheet, also linked</a>
<div style="color: red">no reference</div>
</body></html>"""


def test_links_have_a_kind() -> None:
    found = links.extract(REQUISITES, "http://example.com/site/page.html")
    site = "http://example.com/site/"
    assert found.navigation == [
        site + "feed.xml",
        site + "page-2.html",
        site + "page-0.html",
        site + "page.html",
        site + "no-rel.html",
        site + "next-page.html",
        site + "map-target.html",
    ]
    assert found.embeds == [
        site + "main.css",
        "http://example.com/favicon.ico",
        site + "touch.png",
        site + "font.woff2",
        site + "mod.js",
        site + "app.webmanifest",
        site + "later.js",
        site + "movie.mp4",
        site + "poster.jpg",
        site + "sound.ogg",
        site + "flash.swf",
        site + "plugin.bin",
        site + "frame.html",
        site + "button.png",
        site + "wide.webp",
        site + "narrow.webp",
        # Inline CSS, read in a walk of its own.
        site + "print.css",
        site + "theme.css",
        site + "body.png",
        site + "back.jpg",
        site + "arrow.svg",
    ]


def test_inline_css_that_does_not_parse_gives_what_it_can() -> None:
    page = b"<style>a { b: url(ok.png) } @import url(</style><p style='x: url(\"'>t</p>"
    found = links.extract(page, "http://example.com/")
    assert found.embeds[0] == "http://example.com/ok.png"
    assert found.navigation == []
