"""robots.txt: parsed when 2xx, allow-all on 4xx, host retried later on 5xx or timeout."""

from __future__ import annotations

import asyncio

import asyncpg
import crawl_sites as sites
import pytest
from aiohttp import web

from archivestream.core.settings import Settings
from archivestream.crawler import fetcher, robots


def status(code: int, body: str = "") -> sites.Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, text=body)

    return handler


async def rules_for(settings: Settings, robots_answer) -> tuple[sites.Site, object]:
    site = await sites.serve({"/": "home", "/robots.txt": robots_answer}, robots=None)
    async with fetcher.open_session(settings) as session:
        cache = robots.RobotsCache(session, settings)
        try:
            return site, await cache.rules(site.url("/"))
        except robots.RobotsUnavailable as error:
            return site, error
        finally:
            await site.close()


async def test_rules_are_parsed_and_crawl_delay_is_capped() -> None:
    text = "User-agent: *\nDisallow: /private\nCrawl-delay: 600\n"
    site, rules = await rules_for(Settings(), sites.static_text(text))
    ua = Settings().user_agent
    assert rules.allowed(site.url("/public"), ua)
    assert not rules.allowed(site.url("/private/x"), ua)
    assert rules.crawl_delay(ua) == robots.MAX_CRAWL_DELAY


@pytest.mark.parametrize("code", [401, 403, 404, 410])
async def test_4xx_allows_everything(code: int) -> None:
    site, rules = await rules_for(Settings(), status(code, "User-agent: *\nDisallow: /"))
    assert isinstance(rules, robots.Rules)
    assert rules.allowed(site.url("/anything"), "bot")


@pytest.mark.parametrize("code", [429, 500, 503])
async def test_5xx_makes_the_host_wait(code: int) -> None:
    _, rules = await rules_for(Settings(), status(code))
    assert isinstance(rules, robots.RobotsUnavailable)
    assert f"HTTP {code}" in str(rules)


async def test_timeout_makes_the_host_wait() -> None:
    async def hang(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(30)
        return web.Response(text="")

    _, rules = await rules_for(Settings(robots_timeout=0.3), hang)
    assert isinstance(rules, robots.RobotsUnavailable)
    assert "timed out" in str(rules)


async def test_garbage_allows_everything() -> None:
    garbage = bytes(range(256)) * 50 + b"\nDisallow /x\n\x00\xff"
    site, rules = await rules_for(Settings(), sites.static_bytes(garbage))
    assert rules.allowed(site.url("/x"), "bot")


async def test_a_failure_is_cached_so_the_host_is_not_hammered() -> None:
    site = await sites.serve({"/robots.txt": status(503)}, robots=None)
    try:
        async with fetcher.open_session(Settings()) as session:
            cache = robots.RobotsCache(session, Settings())
            for _ in range(3):
                with pytest.raises(robots.RobotsUnavailable):
                    await cache.rules(site.url("/page"))
    finally:
        await site.close()
    assert site.count("/robots.txt") == 1


async def test_concurrent_lookups_fetch_once() -> None:
    site = await sites.serve({}, robots="User-agent: *\nDisallow: /no\n")
    try:
        async with fetcher.open_session(Settings()) as session:
            cache = robots.RobotsCache(session, Settings())
            found = await asyncio.gather(*(cache.rules(site.url(f"/{i}")) for i in range(10)))
    finally:
        await site.close()
    assert site.count("/robots.txt") == 1
    assert all(not rules.allowed(site.url("/no"), "bot") for rules in found)


async def test_a_disallowed_url_is_recorded_as_failed_with_the_reason(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    site = await sites.serve(
        {
            "/": sites.page("Home", "/private/secret", "/open"),
            "/open": "open",
            "/private/secret": "x",
        },
        robots="User-agent: *\nDisallow: /private\n",
    )
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()
    assert site.count("/private/secret") == 0
    assert progress.done == 2
    assert progress.failures == {"disallowed by robots.txt": 1}


async def test_a_failing_robots_txt_fails_its_urls_and_the_crawl_ends(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    site = await sites.serve({"/": "home", "/robots.txt": status(500)}, robots=None)
    settings = settings.model_copy(
        update={"robots_retry_base_seconds": 0.01, "robots_failure_give_up_seconds": 0.05}
    )
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")])
    finally:
        await site.close()
    assert site.count("/") == 0
    assert progress.failed == 1
    (reason,) = progress.failures
    assert reason.startswith("robots.txt unavailable for ")
    assert "robots.txt answered HTTP 500" in reason
