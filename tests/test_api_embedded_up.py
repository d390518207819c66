"""`archivestream up` on a fresh data folder: starts the embedded PostgreSQL, migrates
it, serves the API, and on SIGTERM shuts down cleanly with exit code 0."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from loopback import free_port

pytestmark = pytest.mark.timeout(240)


async def test_up_migrates_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    command = shutil.which("archivestream") or str(Path(sys.executable).with_name("archivestream"))
    process = await asyncio.create_subprocess_exec(
        command,
        "up",
        "--data-dir",
        str(tmp_path / "data"),
        "--port",
        str(port),
        "--log-level",
        "WARNING",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        ready = None
        async with aiohttp.ClientSession() as http:
            for _ in range(480):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/ready") as response:
                        ready = response.status
                        if ready == 200:
                            break
                if process.returncode is not None:
                    break
                await asyncio.sleep(0.25)
            assert ready == 200, (await process.stdout.read()).decode()[-3000:]
            async with http.get(
                f"http://127.0.0.1:{port}/cdx", params={"url": "http://example.com/"}
            ) as response:
                assert response.status == 200
                assert await response.text() == ""
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(process.communicate(), timeout=60))[0].decode()
    assert process.returncode == 0, output[-3000:]
    assert (tmp_path / "data" / "postgres").is_dir()
