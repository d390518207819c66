"""/health always answers; /ready answers only when the database does."""

from __future__ import annotations

import archived_samples
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from archivestream.api import app as app_module
from archivestream.api import context
from archivestream.core.settings import Settings


@pytest.fixture
async def api(pool, settings):
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def test_health_and_ready_answer_ok(api: TestClient) -> None:
    response = await api.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}

    response = await api.get("/ready")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_ready_is_503_with_the_reason_when_the_database_is_closed(
    database_url: str, settings: Settings
) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    archive = context.ArchiveContext(settings=settings, pool=pool)
    async with TestClient(TestServer(app_module.create_app(archive), host="127.0.0.1")) as client:
        await pool.close()
        response = await client.get("/ready")
        assert response.status == 503
        assert "database" in (await response.json())["error"]

        response = await client.get("/health")
        assert response.status == 200


async def test_ready_says_to_migrate_when_the_schema_is_missing(
    database_url: str, settings: Settings
) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    archive = context.ArchiveContext(settings=settings, pool=pool)
    try:
        async with TestClient(
            TestServer(app_module.create_app(archive), host="127.0.0.1")
        ) as client:
            response = await client.get("/ready")
            assert response.status == 503
            assert "archivestream migrate" in (await response.json())["error"]
    finally:
        await pool.close()


async def test_unknown_paths_and_methods_get_json_reasons(api: TestClient) -> None:
    response = await api.get("/nope")
    assert response.status == 404
    assert "openapi.json" in (await response.json())["error"]

    response = await api.delete("/health")
    assert response.status == 405
    assert "error" in await response.json()
