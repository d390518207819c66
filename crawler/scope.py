"""Scope decisions: which discovered URLs belong to a crawl.

Pure functions over a `Scope` built from the crawl's seeds and options. By default a URL
is in scope when it shares the registered domain of a seed (`docs.python.org` and
`www.python.org` both belong to `python.org`); an IP address or a single-label host
(`localhost`) only matches the very same host. Include patterns narrow the scope (a URL
must match one), exclude patterns cut from it, and the depth limit ends link following.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import tldextract
from yarl import URL

# The bundled public suffix list only (never fetched), private suffixes included so
# that user.github.io is a site of its own, not all of github.io.
_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


class InvalidPattern(ValueError):
    """An include or exclude pattern that is not a valid regular expression."""


@dataclass(frozen=True)
class Scope:
    """What a crawl may reach: seed domains, patterns and a depth limit."""

    domains: frozenset[str]
    max_depth: int = 20
    include: tuple[re.Pattern[str], ...] = field(default_factory=tuple)
    exclude: tuple[re.Pattern[str], ...] = field(default_factory=tuple)


@lru_cache(maxsize=4096)
def registered_domain(host: str) -> str:
    """The registered domain of `host` (`docs.python.org` -> `python.org`).

    IP addresses and hosts without a public suffix (`localhost`) are their own domain.
    """
    bare = host.lower().rstrip(".")
    if bare.startswith("["):
        return bare.split("]", 1)[0] + "]"
    bare = bare.rsplit(":", 1)[0] if bare.count(":") == 1 else bare
    try:
        ipaddress.ip_address(bare)
        return bare
    except ValueError:
        pass
    extracted = _EXTRACT(bare)
    if extracted.domain and extracted.suffix:
        return f"{extracted.domain}.{extracted.suffix}"
    return bare


def compile_patterns(patterns: Iterable[str], *, kind: str) -> tuple[re.Pattern[str], ...]:
    """Compile include/exclude regexes; InvalidPattern names the bad one and why."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as error:
            raise InvalidPattern(f"--{kind} {pattern!r} is not a valid regex: {error}") from None
    return tuple(compiled)


def build(
    seeds: Iterable[str],
    *,
    max_depth: int = 20,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> Scope:
    """The scope of a crawl from its canonical seed URLs and options."""
    domains = frozenset(registered_domain(URL(seed).raw_host or "") for seed in seeds)
    return Scope(
        domains=domains,
        max_depth=max_depth,
        include=compile_patterns(include, kind="include"),
        exclude=compile_patterns(exclude, kind="exclude"),
    )


def out_of_scope_reason(scope: Scope, url: str, depth: int) -> str | None:
    """Why the canonical `url` found at `depth` is out of scope, or None when it is in."""
    if depth > scope.max_depth:
        return f"deeper than max depth {scope.max_depth}"
    host = URL(url).raw_host or ""
    if registered_domain(host) not in scope.domains:
        return f"host {host} is outside the seeds' domains"
    if scope.include and not any(pattern.search(url) for pattern in scope.include):
        return "matches no include pattern"
    for pattern in scope.exclude:
        if pattern.search(url):
            return f"matches exclude pattern {pattern.pattern!r}"
    return None


def in_scope(scope: Scope, url: str, depth: int) -> bool:
    """True when the canonical `url` found at `depth` belongs to the crawl."""
    return out_of_scope_reason(scope, url, depth) is None
