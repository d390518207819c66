"""The S3 WARC store against moto's S3 server on 127.0.0.1 (over HTTP, via aiobotocore):
single and multipart uploads, ranged reads, and a clear error for a missing bucket."""

from __future__ import annotations

import asyncio

import pytest
from moto.server import ThreadedMotoServer

from archivestream.core.settings import Settings
from archivestream.crawler import storage


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
async def bucket(moto_endpoint, aws_env, request):
    from aiobotocore.session import get_session

    name = f"warcs-{request.node.name.lower().replace('_', '-')[:40]}"
    async with get_session().create_client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1"
    ) as client:
        await client.create_bucket(Bucket=name)
    return name


@pytest.fixture
async def store(moto_endpoint, bucket, tmp_path):
    settings = Settings(data_dir=tmp_path, S3_ENDPOINT=moto_endpoint, S3_BUCKET=bucket)
    opened = storage.open_storage(settings)
    yield opened
    await opened.close()


async def test_small_file_is_uploaded_and_read_by_range(store, tmp_path):
    spooled = tmp_path / "a.warc.gz.open"
    spooled.write_bytes(b"0123456789")

    location = await store.put(spooled, "a.warc.gz")

    assert isinstance(store, storage.S3Storage)
    assert location == f"s3://{store.bucket}/a.warc.gz"
    assert not spooled.exists()
    assert await store.read("a.warc.gz", 3, 4) == b"3456"


async def test_big_file_goes_up_in_parts(store, tmp_path):
    size = storage.MULTIPART_THRESHOLD + storage.PART_SIZE // 2
    spooled = tmp_path / "big.open"
    content = b"".join(i.to_bytes(4, "big") * 16384 for i in range(size // 65536 + 1))[:size]
    spooled.write_bytes(content)
    expected_tail = content[-100:]

    await store.put(spooled, "big.warc.gz")

    head = await store._s3()
    meta = await head.head_object(Bucket=store.bucket, Key="big.warc.gz")
    assert meta["ContentLength"] == size
    assert "-" in meta["ETag"]  # a multipart upload's ETag carries its part count
    assert await store.read("big.warc.gz", size - 100, 100) == expected_tail


async def test_missing_bucket_says_so_and_what_to_do(moto_endpoint, aws_env, tmp_path):
    store = storage.S3Storage(moto_endpoint, "no-such-bucket")
    try:
        with pytest.raises(storage.StorageError) as raised:
            await store.check()
        assert str(raised.value) == (
            f"S3 bucket 'no-such-bucket' does not exist at {moto_endpoint}: "
            "create it or set S3_BUCKET"
        )
        spooled = tmp_path / "x.open"
        spooled.write_bytes(b"x")
        with pytest.raises(storage.StorageError, match="does not exist at"):
            await store.put(spooled, "x.warc.gz")
        assert spooled.exists()  # nothing is lost when the upload fails
    finally:
        await store.close()


async def test_missing_object_and_short_range(store, tmp_path):
    with pytest.raises(storage.WarcFileMissing, match="'gone.warc.gz' not found in S3"):
        await store.read("gone.warc.gz", 0, 10)
    spooled = tmp_path / "s.open"
    spooled.write_bytes(b"abc")
    await store.put(spooled, "s.warc.gz")
    with pytest.raises(storage.StorageError, match="ends before"):
        await store.read("s.warc.gz", 1, 10)
    with pytest.raises(storage.StorageError, match="ends before"):
        await store.read("s.warc.gz", 50, 10)


async def test_concurrent_reads_share_one_client(store, tmp_path):
    spooled = tmp_path / "c.open"
    spooled.write_bytes(bytes(range(256)))
    await store.put(spooled, "c.warc.gz")
    answers = await asyncio.gather(*(store.read("c.warc.gz", i, 1) for i in range(20)))
    assert answers == [bytes([i]) for i in range(20)]


async def test_warc_writer_closes_into_the_bucket_and_records_read_back(store, tmp_path):
    import uuid

    import capture_site

    from archivestream.crawler import warc
    from archivestream.crawler.dedup import Deduplicator

    settings = Settings(data_dir=tmp_path / "data")
    writer = warc.WarcWriter(
        store, settings, region="eu-west-1", worker_id="w1", dedup=Deduplicator(None)
    )
    async with capture_site.running() as site:
        [fetched] = await capture_site.fetch_all(settings, [f"{site}/page/3"])
    written = await writer.write(fetched, crawl_id=uuid.uuid4(), surt="x")
    closed = await writer.close()

    assert closed.location == f"s3://{store.bucket}/{closed.filename}"
    assert closed.filename.startswith("archivestream-eu-west-1-")
    assert not any((settings.data_dir / "spool").iterdir())
    record = await warc.read_record(store, closed.filename, written.offset, written.length)
    assert record.payload == capture_site.page_html(3)
