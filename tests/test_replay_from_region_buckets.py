"""One API replays the captures of every region: each WARC file is read from the bucket and
S3 endpoint its writer recorded, not from the API's own settings (on a cluster the API has
an endpoint but no bucket of its own)."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import boto3
import capture_site
import pytest
from aiohttp.test_utils import TestClient, TestServer
from moto.server import ThreadedMotoServer

from archivestream.api import app as app_module
from archivestream.api import context, memento
from archivestream.core.settings import Settings
from archivestream.crawler import search, storage


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for bucket in ("warc-us-east-1", "warc-eu-west-1"):
        client.create_bucket(Bucket=bucket)
    yield endpoint
    server.stop()


async def test_the_api_reads_each_file_where_it_was_stored(
    pool: asyncpg.Pool, settings: Settings, s3_endpoint: str
) -> None:
    async with capture_site.running() as site:
        stored = {}
        for bucket, path in (("warc-us-east-1", "/page/1"), ("warc-eu-west-1", "/page/2")):
            region_store = storage.S3Storage(s3_endpoint, bucket)
            _, _, closed = await capture_site.write_file(
                settings, pool, [site + path], store=region_store
            )
            await capture_site.index(pool, closed)
            await region_store.close()
            stored[path] = closed

    rows = await pool.fetch("SELECT location, endpoint FROM warc_files ORDER BY location")
    assert [(row["location"].split("/")[2], row["endpoint"]) for row in rows] == [
        ("warc-eu-west-1", s3_endpoint),
        ("warc-us-east-1", s3_endpoint),
    ]

    # The API of a cluster: an endpoint, no bucket; its own store is the local folder.
    api_settings = settings.model_copy(update={"s3_endpoint": s3_endpoint, "s3_bucket": None})
    reader = storage.RecordedLocations(pool, storage.open_storage(api_settings))
    archive = context.ArchiveContext(
        settings=api_settings, pool=pool, storage=reader, search=search.open_search(settings, pool)
    )
    server = TestServer(app_module.create_app(archive), host="127.0.0.1", port=0)
    try:
        async with TestClient(server) as client:
            for path, closed in stored.items():
                capture = closed.captures[0]
                stamp = memento.timestamp14(capture.captured_at)
                response = await client.get(f"/web/{stamp}id_/{capture.url}")
                assert response.status == 200, await response.text()
                assert f"Page {path.rsplit('/', 1)[1]}".encode() in await response.read()
    finally:
        await reader.close()
