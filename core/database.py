"""The database: connection pools and the numbered migrations.

Every component talks to PostgreSQL or CockroachDB over asyncpg. With no DATABASE_URL
the embedded server under the data folder is started (or joined) and its
`archivestream` database is created on first use.
"""

from __future__ import annotations

import asyncio
from importlib import resources

import asyncpg
import structlog

from archivestream.core import embedded
from archivestream.core.errors import UserError
from archivestream.core.settings import Settings

log = structlog.get_logger("archivestream.database")

EMBEDDED_DATABASE = "archivestream"


class DatabaseUnavailable(UserError):
    """The database cannot be reached; the message says which one and why."""


async def resolve_url(settings: Settings) -> str:
    """The database URL to use: DATABASE_URL, or the embedded server's, started if needed."""
    if settings.database_url:
        return settings.database_url
    server = await asyncio.to_thread(embedded.start, settings.data_dir)
    admin = await asyncpg.connect(server.url("postgres"))
    try:
        exists = await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", EMBEDDED_DATABASE
        )
        if not exists:
            try:
                await admin.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                pass  # another command created it a moment ago
    finally:
        await admin.close()
    return server.url(EMBEDDED_DATABASE)


async def create_pool(settings: Settings, *, min_size: int = 1) -> asyncpg.Pool:
    """A pool on the settings' database; raises DatabaseUnavailable with the reason."""
    url = await resolve_url(settings)
    try:
        pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=settings.db_pool_size, timeout=10, reset=_reset
        )
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        raise DatabaseUnavailable(f"cannot connect to the database: {error}") from error
    assert pool is not None
    return pool


async def _reset(conn: asyncpg.Connection) -> None:
    # asyncpg's default reset is a round trip on EVERY release (unlisten, advisory
    # unlock, RESET ALL), a measurable share of a crawl's database time. Nothing here
    # uses session state (no LISTEN, SET or advisory locks); a connection given back
    # inside a transaction (a cancelled task) still gets the full reset and rollback.
    if conn.is_in_transaction():
        await conn.reset()


def migration_files() -> list[tuple[str, str]]:
    """The migrations shipped with the package, as (version, sql), in order."""
    folder = resources.files("archivestream.core.migrations")
    found = [
        (entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found)


_BOOTSTRAP = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS schema_migrations_lock (id INT PRIMARY KEY)",
    "INSERT INTO schema_migrations_lock (id) VALUES (1) ON CONFLICT (id) DO NOTHING",
)


async def _bootstrap(conn: asyncpg.Connection) -> None:
    # Two processes may race on CREATE TABLE IF NOT EXISTS; the loser sees a unique
    # violation on the catalog and simply tries again.
    for attempt in range(5):
        try:
            for statement in _BOOTSTRAP:
                await conn.execute(statement)
            return
        except (asyncpg.UniqueViolationError, asyncpg.DuplicateTableError):
            await asyncio.sleep(0.1 * (attempt + 1))
    raise DatabaseUnavailable("could not create the schema_migrations table")


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Apply the migrations not yet recorded; returns the versions applied now.

    Each migration runs in its own transaction holding a row lock on
    `schema_migrations_lock`, so two processes migrating at once apply each file once.
    """
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await _bootstrap(conn)
        for version, sql in migration_files():
            async with conn.transaction():
                await conn.execute("SELECT id FROM schema_migrations_lock WHERE id = 1 FOR UPDATE")
                done = await conn.fetchval(
                    "SELECT 1 FROM schema_migrations WHERE version = $1", version
                )
                if done:
                    continue
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                applied_now.append(version)
                log.info("migration applied", version=version)
    return applied_now


class SchemaOutOfDate(UserError):
    """The database lacks migrations this version needs."""


async def prepare(pool: asyncpg.Pool, settings: Settings) -> None:
    """Ready the schema for a long-running process: migrate the embedded database (it is
    ours), but only check an external one, where `archivestream migrate` (the operator's
    migrations Job) is the one writer of the schema."""
    if settings.embedded:
        await migrate(pool)
        return
    try:
        applied = set(await applied_versions(pool))
    except asyncpg.UndefinedTableError:
        applied = set()
    missing = [version for version, _ in migration_files() if version not in applied]
    if missing:
        raise SchemaOutOfDate(
            f"the database lacks migrations {', '.join(missing)}: run `archivestream migrate`"
        )


async def applied_versions(pool: asyncpg.Pool) -> list[str]:
    """The versions recorded in schema_migrations, in order."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    return [row["version"] for row in rows]
