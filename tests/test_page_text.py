"""Search text from HTML payloads: title and visible text, every content coding undone
under a cap (a gzip bomb stops there), and a wrong or unknown charset never raising."""

from __future__ import annotations

import gzip
import zlib

import pytest

from archivestream.crawler import text

brotli = pytest.importorskip("brotli")

PAGE = (
    "<html><head><title>  Le  café </title><style>.x{color:red}</style>"
    "<script>var secret = 1;</script></head><body><h1>Menu</h1><p>Crème brûlée</p>"
    "<noscript>enable js</noscript><template>tmpl</template></body></html>"
)


def html(content_type="text/html; charset=utf-8", encoding=None):
    headers = [("Content-Type", content_type)]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    return headers


def test_title_and_visible_text_only():
    page = text.extract(PAGE.encode(), html())
    assert page == text.PageText(title="Le café", text="Menu Crème brûlée")


def test_invisible_elements_inside_each_other_are_dropped():
    body = (
        b"<body><noscript><iframe>a</iframe><script>b</script></noscript><p>seen</p>"
        b"<svg><style>c</style><script>d</script></svg><object><svg>e</svg>f</object></body>"
    )
    assert text.extract(body, html()).text == "seen"


def test_not_html_gives_nothing():
    assert text.extract(b"%PDF-1.4", html("application/pdf")) is None
    assert text.extract(b"<html></html>", []) is None


def test_each_content_coding_is_undone():
    body = PAGE.encode()
    for coding, data in [
        ("gzip", gzip.compress(body)),
        ("x-gzip", gzip.compress(body)),
        ("deflate", zlib.compress(body)),
        ("deflate", _raw_deflate(body)),
        ("br", brotli.compress(body)),
        ("identity", body),
    ]:
        page = text.extract(data, html(encoding=coding))
        assert page is not None and page.title == "Le café", coding


def _raw_deflate(body: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def test_gzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(b"<html>" + b" " * (40 * 1024 * 1024), compresslevel=1)
    assert len(bomb) < 1024 * 1024 / 4
    assert text.decode_content(bomb, "gzip") is None
    assert text.extract(bomb, html(encoding="gzip")) is None


def test_brotli_bomb_stops_at_the_cap():
    bomb = brotli.compress(b"a" * (8 * 1024 * 1024), quality=1)
    assert text.decode_content(bomb, "br", limit=1024 * 1024) is None


def test_corrupt_or_unknown_coding_gives_nothing():
    assert text.extract(b"\x1f\x8b not really gzip", html(encoding="gzip")) is None
    assert text.extract(PAGE.encode(), html(encoding="compress")) is None


def test_charset_from_meta_when_the_header_has_none():
    body = '<meta charset="windows-1252"><title>naïve</title>'.encode("cp1252")
    assert text.extract(body, html("text/html")).title == "naïve"


def test_bogus_charset_falls_back_without_raising():
    body = b"<title>plain</title><p>ok</p>"
    assert text.extract(body, html("text/html; charset=no-such-charset")).title == "plain"
    body = b'<meta charset="\xff\xfe"><title>x</title>'
    assert text.extract(body, html("text/html")).title == "x"


def test_wrong_charset_replaces_bad_bytes():
    body = b"<title>caf\xe9</title>"  # Latin-1 bytes declared as UTF-8
    assert text.extract(body, html()).title == "caf\ufffd"


def test_utf16_with_bom():
    body = "\ufeff<title>wide</title>".encode("utf-16-le")
    assert text.extract(body, html("text/html")).title == "wide"


def test_text_is_capped():
    body = ("<title>t</title><p>" + "word " * 100_000 + "</p>").encode()
    page = text.extract(body, html())
    assert len(page.text) == text.MAX_TEXT_CHARS
