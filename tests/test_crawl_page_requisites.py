"""Page requisites: what a page embeds (images, scripts, stylesheets and what those import
or refer to, inline CSS's url()s) is fetched with the page, at its depth, also at the max
depth; pages it links to are one hop deeper. A stylesheet that cannot be read is captured
all the same, with no links. Embed chains end, even when the site makes up new URLs."""

from __future__ import annotations

import gzip

import asyncpg
import crawl_sites as sites
from aiohttp import web

from archivestream.core.settings import Settings
from archivestream.crawler import page, worker


def css(body: str | bytes) -> sites.Handler:
    return sites.static_bytes(body.encode() if isinstance(body, str) else body, "text/css")


def gzipped(body: bytes, content_type: str) -> sites.Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": content_type, "Content-Encoding": "gzip"}
        return web.Response(body=gzip.compress(body, 9), headers=headers)

    return handler


HOME = """<!doctype html><html><head><title>Home</title>
<link rel="stylesheet" href="/css/main.css">
<link rel="next" href="/next.html">
<script src="/app.js"></script>
<style>header { background: url(/img/banner.png) }</style>
</head><body style="background: url('/img/back.png')">
<img src="/img/logo.png" srcset="/img/logo-2x.png 2x">
<img src="http://other.invalid/outside.png">
<a href="/about.html">about</a>
</body></html>"""


async def captured(pool: asyncpg.Pool, site: sites.Site) -> dict[str, int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT url, status FROM captures")
    return {row["url"].removeprefix(site.base): row["status"] for row in rows}


async def depths(pool: asyncpg.Pool, site: sites.Site) -> dict[str, int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT url, depth FROM frontier")
    return {row["url"].removeprefix(site.base): row["depth"] for row in rows}


async def test_requisites_of_a_page_at_max_depth_zero_are_captured_not_its_links(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    site = await sites.serve(
        {
            "/": HOME,
            "/css/main.css": css(
                '@import url("base.css");\nh1 { background: url(../img/h1.png) }'
            ),
            "/css/base.css": css("@import 'main.css'; p { background: url(\"dot.gif\") }"),
            "/css/dot.gif": sites.static_bytes(b"GIF89a", "image/gif"),
            "/img/h1.png": sites.static_bytes(b"png", "image/png"),
            "/img/logo.png": sites.static_bytes(b"png", "image/png"),
            "/img/logo-2x.png": sites.static_bytes(b"png2", "image/png"),
            "/img/banner.png": sites.static_bytes(b"banner", "image/png"),
            "/img/back.png": sites.static_bytes(b"back", "image/png"),
            "/app.js": sites.static_bytes(b"var app;", "text/javascript"),
            "/about.html": sites.page("About"),
            "/next.html": sites.page("Next"),
        }
    )
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")], max_depth=0)
        found = await captured(pool, site)
        queued = await depths(pool, site)
    finally:
        await site.close()

    assert progress.failed == 0, progress.failures
    assert progress.status == "finished"
    # The stylesheet imports one that imports it back: each is fetched once, and what
    # both refer to is fetched too (resolved against each stylesheet's own URL).
    assert set(found) == {
        "/",
        "/css/main.css",
        "/css/base.css",
        "/css/dot.gif",
        "/img/h1.png",
        "/app.js",
        "/img/banner.png",
        "/img/back.png",
        "/img/logo.png",
        "/img/logo-2x.png",
    }
    assert set(found.values()) == {200}
    assert site.count("/css/main.css") == 1 and site.count("/css/base.css") == 1
    assert "/about.html" not in site.paths() and "/next.html" not in site.paths()
    assert set(queued.values()) == {0}


async def test_a_page_at_max_depth_gets_its_requisites_and_pages_go_one_hop_deeper(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    routes = {
        "/": sites.page("Home", "/d1", "/img/home.png"),
        "/d1": '<img src="/img/d1.png"><a href="/d2">d2</a>',
        "/d2": sites.page("D2"),
        "/img/home.png": sites.static_bytes(b"home", "image/png"),
        "/img/d1.png": sites.static_bytes(b"d1", "image/png"),
    }
    site = await sites.serve(routes)
    try:
        await sites.run_crawl(pool, settings, [site.url("/")], max_depth=1)
        queued = await depths(pool, site)
    finally:
        await site.close()

    # An <a> to an image is a link like any other: one hop deeper.
    assert queued == {"/": 0, "/d1": 1, "/img/home.png": 1, "/img/d1.png": 1}
    assert "/d2" not in site.paths()


async def test_a_stylesheet_that_is_a_gzip_bomb_or_garbage_is_captured_with_no_links(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    # The reference comes first: only a decoder without its cap would find it.
    bomb = b"a { background: url(/bomb-link.png) }" + b" " * (page.MAX_LINK_BYTES + 1)
    garbage = bytes(range(256)) * 64
    home = (
        '<link rel=stylesheet href="/bomb.css"><link rel=stylesheet href="/garbage.css">'
        '<link rel=stylesheet href="/zipped.css">'
    )
    site = await sites.serve(
        {
            "/": home,
            "/bomb.css": gzipped(bomb, "text/css"),
            "/garbage.css": css(garbage),
            "/zipped.css": gzipped(b"b { background: url(/zipped-link.png) }", "text/css"),
            "/zipped-link.png": sites.static_bytes(b"png", "image/png"),
        }
    )
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")], max_depth=0)
        found = await captured(pool, site)
    finally:
        await site.close()

    assert progress.failed == 0, progress.failures
    assert found == {
        "/": 200,
        "/bomb.css": 200,
        "/garbage.css": 200,
        "/zipped.css": 200,
        "/zipped-link.png": 200,
    }
    assert set(site.paths()) == {"/robots.txt", *found}


async def test_a_chain_of_made_up_stylesheets_ends(pool: asyncpg.Pool, settings: Settings) -> None:
    async def chain(request: web.Request) -> web.StreamResponse:
        step = int(request.query.get("n", "1"))
        body = f'@import "chain.css?n={step + 1}"; a {{ background: url(img.png?n={step}) }}'
        return web.Response(text=body, content_type="text/css")

    site = await sites.serve(
        {
            "/": '<link rel=stylesheet href="/chain.css?n=1">',
            "/chain.css": chain,
            "/img.png": sites.static_bytes(b"png", "image/png"),
        }
    )
    try:
        progress = await sites.run_crawl(pool, settings, [site.url("/")], max_depth=0)
    finally:
        await site.close()

    assert progress.status == "finished"
    fetched = [path for path in site.paths() if path.startswith("/chain.css")]
    assert fetched == [f"/chain.css?n={n}" for n in range(1, worker.MAX_EMBED_HOPS + 1)]
    # The images of all but the last stylesheet (whose references are past the bound).
    images = [path for path in site.paths() if path.startswith("/img.png")]
    assert len(images) == worker.MAX_EMBED_HOPS - 1
