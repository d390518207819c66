"""Link extraction: every kind of reference a page makes, resolved and canonicalised,
in document order."""

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
    assert found == [
        "http://example.com/docs/style.css",
        "http://example.com/moved",
        "http://cdn.example.com/app.js",
        "http://example.com/docs/intro.html",
        "http://example.com/docs/a.png",
        "http://example.com/docs/a-2x.png",
        "http://example.com/img/a-3x.png",
        "https://other.example.com/frame",
    ]


def test_undecodable_bytes_do_not_stop_extraction() -> None:
    page = b"<html><body>\xff\xfe\x00<a href='/ok'>caf\xe9</a></body></html>"
    assert links.extract(page, "http://example.com/") == ["http://example.com/ok"]


def test_only_html_is_parsed_for_links() -> None:
    assert links.is_html("text/html")
    assert links.is_html("application/xhtml+xml")
    assert not links.is_html("text/css")
