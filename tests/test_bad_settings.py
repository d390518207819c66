"""A bad setting stops a command at start-up with one line naming the variable: never a
traceback, never a silent fallback."""

from __future__ import annotations

import os
from pathlib import Path

import cli_process
import pytest

from archivestream.core import settings


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "mysql://db/archive"}, "DATABASE_URL is not a postgresql:// URL"),
        ({"REGION": "US_EAST"}, "REGION must be lower-case letters, digits and dashes"),
        ({"ARCHIVESTREAM_CONCURRENCY": "abc"}, "ARCHIVESTREAM_CONCURRENCY: "),
        ({"ARCHIVESTREAM_CONCURRENCY": "-1"}, "ARCHIVESTREAM_CONCURRENCY: "),
        ({"OPENSEARCH_URL": "notaurl"}, "OPENSEARCH_URL: not an http(s):// URL: 'notaurl'"),
    ],
)
def test_bad_setting_is_one_line(env: dict[str, str], expected: str, tmp_path: Path) -> None:
    environment = {**os.environ, "ARCHIVESTREAM_DATA_DIR": str(tmp_path / "data"), **env}
    result = cli_process.run("migrate", env=environment)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("archivestream: ")
    assert expected in lines[0]
    assert not (tmp_path / "data").exists()  # refused before anything started


def test_a_repeated_value_is_not_echoed_twice() -> None:
    with pytest.raises(settings.SettingsError) as refused:
        settings.load(opensearch_url="notaurl")
    assert str(refused.value).count("notaurl") == 1


def test_an_unknown_log_level_is_refused_before_anything_runs(tmp_path: Path) -> None:
    result = cli_process.run(
        "migrate",
        "--log-level",
        "LOUD",
        env={**os.environ, "ARCHIVESTREAM_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 2
    assert "Invalid value for '--log-level'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()
