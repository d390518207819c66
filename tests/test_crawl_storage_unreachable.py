"""`archivestream crawl` with a WARC store it cannot reach stops before fetching anything,
with one line, and leaves no crawl half-started."""

from __future__ import annotations

import os
from pathlib import Path

import cli_process
from loopback import free_port


def test_unreachable_s3_is_one_line_before_any_fetch(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "ARCHIVESTREAM_DATA_DIR": str(tmp_path / "data"),
        "S3_ENDPOINT": endpoint,
        "S3_BUCKET": "warcs",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    env.pop("DATABASE_URL", None)
    result = cli_process.run("crawl", "http://127.0.0.1:9/", env=env, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"archivestream: S3 at {endpoint} cannot be reached"), last
    assert not list((tmp_path / "data").glob("spool/*.open"))


def test_an_endpoint_without_a_bucket_is_refused_by_the_crawl(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ARCHIVESTREAM_DATA_DIR": str(tmp_path / "data"),
        "S3_ENDPOINT": "http://127.0.0.1:9",
    }
    env.pop("DATABASE_URL", None)
    env.pop("S3_BUCKET", None)
    result = cli_process.run("crawl", "http://127.0.0.1:9/", env=env, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("archivestream: S3_ENDPOINT is set but S3_BUCKET is not"), last
