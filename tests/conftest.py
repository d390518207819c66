"""Fixtures every test shares: a real PostgreSQL (the embedded one), started once per
session, and a fresh migrated database for each test that asks for one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from archivestream.core import database, embedded
from archivestream.core.settings import Settings


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[embedded.EmbeddedServer]:
    """The embedded PostgreSQL for the whole session (stopped when pytest exits)."""
    yield embedded.start(tmp_path_factory.mktemp("pg"))


@pytest.fixture
async def database_url(postgres_server: embedded.EmbeddedServer) -> AsyncIterator[str]:
    """The URL of a new, empty database on the session's server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server.url("postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield postgres_server.url(name)
    admin = await asyncpg.connect(postgres_server.url("postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings on the test's database and a temporary data folder, politeness off."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        politeness_delay=0,
        warc_max_age_seconds=5,
        retry_base_seconds=0.05,
        connect_timeout=2,
        read_timeout=3,
        total_timeout=8,
        robots_timeout=2,
    )


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's database with every migration applied."""
    pool = await database.create_pool(settings)
    await database.migrate(pool)
    yield pool
    await pool.close()
