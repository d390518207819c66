"""Migrations are recorded, idempotent, and safe from two processes at once."""

from __future__ import annotations

import asyncio
import subprocess

import asyncpg
import cli_process

from archivestream.core import database
from archivestream.core.settings import Settings


async def test_migrations_apply_in_order_and_are_recorded(settings: Settings) -> None:
    pool = await database.create_pool(settings)
    try:
        applied = await database.migrate(pool)
        expected = [version for version, _ in database.migration_files()]
        assert applied == expected
        assert await database.applied_versions(pool) == expected
        assert await database.migrate(pool) == []
        tables = {
            row["tablename"]
            for row in await pool.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname='public'"
            )
        }
        assert {"crawls", "captures", "frontier", "hosts", "regions", "rate_limits"} <= tables
    finally:
        await pool.close()


async def test_two_concurrent_migrations_apply_each_file_once(settings: Settings) -> None:
    pools = [await database.create_pool(settings) for _ in range(2)]
    try:
        results = await asyncio.gather(*(database.migrate(pool) for pool in pools))
        applied = sorted(results[0] + results[1])
        assert applied == [version for version, _ in database.migration_files()]
        rows = await pools[0].fetchval("SELECT count(*) FROM schema_migrations")
        assert rows == len(applied)
    finally:
        for pool in pools:
            await pool.close()


def test_two_migrate_processes_at_once(database_url: str) -> None:
    command = [*cli_process.COMMAND, "migrate"]
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs

    async def count() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM schema_migrations"))
        finally:
            await conn.close()

    assert asyncio.run(count()) == len(database.migration_files())


def test_a_process_on_an_unmigrated_database_says_to_migrate(database_url: str) -> None:
    for command in ("api", "crawler"):
        result = cli_process.run(
            command,
            env={
                "DATABASE_URL": database_url,
                "PATH": "/usr/bin:/bin",
                "ARCHIVESTREAM_METRICS_PORT": "0",
            },
        )
        assert result.returncode == 1, (command, result.stderr)
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("archivestream: the database lacks migrations 001_initial"), last
        assert last.endswith("run `archivestream migrate`")
        assert "Traceback" not in result.stderr
