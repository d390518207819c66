"""`archivestream crawl` as a user runs it: a subprocess on the embedded database."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import cli_process
import crawl_sites as sites


async def run_cli(*args: str, data_dir: Path) -> tuple[int, str, str]:
    env = {**os.environ, "ARCHIVESTREAM_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    process = await cli_process.start("crawl", *args, env=env)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_crawl_prints_a_summary_and_exits_0(tmp_path: Path) -> None:
    same = "<html><body>twice the same</body></html>"
    site = await sites.serve(
        {
            "/": sites.page("Home", "/a", "/b", "/c", "/gone"),
            "/a": sites.page("A"),
            "/b": same,
            "/c": same,
            "/gone": sites.static_text("x", "text/plain"),
        },
        robots="User-agent: *\nDisallow: /gone\n",
    )
    try:
        code, out, err = await run_cli(site.url("/"), "--delay", "0", data_dir=tmp_path / "data")
    finally:
        await site.close()

    assert code == 0, err
    assert re.search(r"^crawl [0-9a-f-]{36} finished in [0-9.]+ s$", out, re.MULTILINE)
    assert "pages: 4  " in out
    assert "failures: 1  " in out
    assert "deduplicated payloads: 1  " in out
    assert "WARC files: 1" in out
    assert "failed 1: disallowed by robots.txt" in out
    # Not a terminal: no progress line.
    assert "\r" not in out
    assert list((tmp_path / "data" / "warcs").glob("*.warc.gz"))


async def test_invalid_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, out, err = await run_cli("ftp://example.com/", data_dir=tmp_path / "data")
    assert code == 2
    assert out == ""
    assert err.strip().count("\n") == 0
    assert "scheme 'ftp' is not http or https" in err
    # Nothing was started for a crawl that cannot begin.
    assert not (tmp_path / "data" / "postgres").exists()


async def test_oversized_url_is_refused(tmp_path: Path) -> None:
    code, _, err = await run_cli("http://example.com/" + "a" * 3000, data_dir=tmp_path / "d")
    assert code == 2
    assert "longer than 2048 characters" in err
