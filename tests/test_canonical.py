"""Canonical URLs and SURT keys: one spelling per URL, SURTs as pywb writes them."""

from __future__ import annotations

import pytest

from archivestream.crawler import canonical


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/../b?x=1#frag", "http://example.com/b?x=1"),
        ("https://example.com:443", "https://example.com/"),
        ("http://example.com:8080/%7euser/a b", "http://example.com:8080/~user/a%20b"),
        ("http://user:secret@example.com./x", "http://example.com/x"),
        ("http://Bücher.de/", "http://xn--bcher-kva.de/"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("  http://example.com/q?é=1  ", "http://example.com/q?%C3%A9=1"),
    ],
)
def test_urls_are_normalised(raw: str, expected: str) -> None:
    assert canonical.canonicalize(raw) == expected
    assert canonical.canonicalize(expected) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ftp://example.com/file", "scheme 'ftp' is not http or https"),
        ("mailto:someone@example.com", "scheme 'mailto' is not http or https"),
        ("/relative/path", "not absolute"),
        ("http:///no-host", "no host"),
        ("http://exa mple.com/", "not a valid host name"),
        ("http://example.com:99999/", "unparsable"),
        ("http://example.com/" + "a" * 2100, "longer than 2048 characters"),
        ("", "empty"),
    ],
)
def test_bad_urls_say_why(raw: str, reason: str) -> None:
    with pytest.raises(canonical.InvalidURL) as error:
        canonical.canonicalize(raw)
    assert reason in error.value.reason
    assert reason in str(error.value)


def test_surt_matches_pywb() -> None:
    from cdxj_indexer.main import CDXJIndexer  # noqa: F401  (the judge is installed)
    from pywb.utils.canonicalize import canonicalize as pywb_surt

    for url in [
        "https://docs.python.org/3/tutorial/index.html",
        "http://www.example.com/a?b=2&a=1",
        "http://127.0.0.1:8080/x/y.css",
    ]:
        assert canonical.surt_key(canonical.canonicalize(url)) == pywb_surt(url)


def test_host_of_keeps_a_non_default_port() -> None:
    assert canonical.host_of("http://example.com:8080/x") == "example.com:8080"
    assert canonical.host_of("https://example.com/x") == "example.com"
    assert canonical.host_of("http://[::1]:81/") == "[::1]:81"
