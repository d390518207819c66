"""Two commands started at once on a new data folder share one embedded PostgreSQL: the
first creates it, the second waits and joins; neither fails."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import cli_process


def test_two_commands_at_once_on_a_new_data_folder(tmp_path: Path) -> None:
    env = {**os.environ, "ARCHIVESTREAM_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    commands = [
        [*cli_process.COMMAND, "migrate"],
        [*cli_process.COMMAND, "migrate"],
        [*cli_process.COMMAND, "search", "lighthouse"],
    ]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for command in commands
    ]
    results = [process.communicate(timeout=120) for process in processes]
    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode()
        assert b"Traceback" not in err
    assert "no captures match 'lighthouse'" in results[2][0].decode()
    again = cli_process.run("migrate", env=env)
    assert again.stdout.startswith("applied 0 migration(s)"), again.stdout + again.stderr


def test_an_unwritable_data_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "ARCHIVESTREAM_DATA_DIR": str(blocker / "data")}
    env.pop("DATABASE_URL", None)
    result = cli_process.run("migrate", env=env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"archivestream: cannot use the data folder {blocker / 'data'}")
    assert "Traceback" not in result.stderr
