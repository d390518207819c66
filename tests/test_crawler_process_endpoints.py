"""`archivestream crawler` serves /metrics and /health for Prometheus and the kubelet, and
a WARC store it cannot use stops it at start-up with one line."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import asyncpg
import cli_process
from loopback import free_port
from moto.server import ThreadedMotoServer

from archivestream.core.settings import Settings


async def start_crawler(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await cli_process.start("crawler", "--log-level", "WARNING", env={**os.environ, **env})


async def test_crawler_serves_metrics_and_health(
    pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    process = await start_crawler(
        {
            "DATABASE_URL": str(settings.database_url),
            "ARCHIVESTREAM_DATA_DIR": str(tmp_path / "data"),
            "ARCHIVESTREAM_METRICS_HOST": "127.0.0.1",
            "ARCHIVESTREAM_METRICS_PORT": str(port),
            "REGION": "eu-west-1",
        }
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/health") as response:
                        health = await response.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the crawler never served /health")
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                text = await response.text()
        assert health == {"status": "ok"}
        for name in (
            "archivestream_pages_crawled_total",
            "archivestream_fetch_duration_seconds",
            "archivestream_warc_bytes_written_total",
            "archivestream_warc_files_closed_total",
            "archivestream_payloads_deduplicated_total",
        ):
            assert f"# TYPE {name.removesuffix('_total')}" in text, name
        assert 'archivestream_db_pool_size{component="crawler"}' in text
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_missing_bucket_stops_the_crawler_with_one_line(
    pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        process = await start_crawler(
            {
                "DATABASE_URL": str(settings.database_url),
                "ARCHIVESTREAM_DATA_DIR": str(tmp_path / "data"),
                "ARCHIVESTREAM_METRICS_PORT": "0",
                "S3_ENDPOINT": f"http://{host}:{port}",
                "S3_BUCKET": "no-such-bucket",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
        )
        _, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        moto.stop()
    lines = err.decode().strip().splitlines()
    assert process.returncode == 1
    assert lines[-1].startswith("archivestream: S3 bucket 'no-such-bucket' does not exist"), lines
    assert "Traceback" not in err.decode()
