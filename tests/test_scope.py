"""Scope decisions: registered domain of the seeds, include/exclude patterns, depth."""

from __future__ import annotations

import pytest

from archivestream.crawler import scope


def test_same_registered_domain_is_in_scope() -> None:
    crawl = scope.build(["https://docs.python.org/3/"])
    assert scope.in_scope(crawl, "https://www.python.org/about/", 1)
    assert scope.in_scope(crawl, "http://python.org/", 1)
    assert not scope.in_scope(crawl, "https://python.org.evil.example/", 1)
    assert "outside the seeds' domains" in scope.out_of_scope_reason(crawl, "https://pypi.org/", 1)


def test_public_suffixes_are_respected_without_network() -> None:
    assert scope.registered_domain("a.b.example.co.uk") == "example.co.uk"
    assert scope.registered_domain("user.github.io") == "user.github.io"


def test_ip_addresses_and_localhost_match_only_themselves() -> None:
    crawl = scope.build(["http://127.0.0.1:8080/", "http://localhost/"])
    assert scope.in_scope(crawl, "http://127.0.0.1:9090/other-port", 1)
    assert not scope.in_scope(crawl, "http://127.0.0.2/", 1)
    assert scope.in_scope(crawl, "http://localhost/x", 1)
    assert not scope.in_scope(crawl, "http://otherhost/x", 1)


def test_depth_limit() -> None:
    crawl = scope.build(["http://example.com/"], max_depth=2)
    assert scope.in_scope(crawl, "http://example.com/x", 2)
    assert scope.out_of_scope_reason(crawl, "http://example.com/x", 3) == (
        "deeper than max depth 2"
    )


def test_include_and_exclude_patterns() -> None:
    crawl = scope.build(["http://example.com/"], include=[r"/docs/", r"/$"], exclude=[r"\.pdf$"])
    assert scope.in_scope(crawl, "http://example.com/", 0)
    assert scope.in_scope(crawl, "http://example.com/docs/a.html", 1)
    assert not scope.in_scope(crawl, "http://example.com/blog/a.html", 1)
    assert "exclude pattern" in scope.out_of_scope_reason(
        crawl, "http://example.com/docs/a.pdf", 1
    )


def test_a_bad_pattern_is_named() -> None:
    with pytest.raises(scope.InvalidPattern, match=r"--exclude '\(' is not a valid regex"):
        scope.build(["http://example.com/"], exclude=["("])
