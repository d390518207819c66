"""Reading a record back from a damaged WARC file gives a clear error, never a crash, a
hang or silently short data: a file cut mid-record, a wrong offset, garbage bytes."""

from __future__ import annotations

import uuid

import capture_site
import pytest

from archivestream.core.settings import Settings
from archivestream.crawler import storage, warc
from archivestream.crawler.dedup import Deduplicator


@pytest.fixture
async def stored(tmp_path):
    """A closed file holding /big (3 MB), its storage and the capture's position."""
    settings = Settings(data_dir=tmp_path / "data")
    store = storage.open_storage(settings)
    writer = warc.WarcWriter(
        store, settings, region="local", worker_id="w", dedup=Deduplicator(None)
    )
    async with capture_site.running() as site:
        fetched = await capture_site.fetch_all(settings, [f"{site}/big", f"{site}/page/1"])
    big = await writer.write(fetched[0], crawl_id=uuid.uuid4(), surt="x")
    page = await writer.write(fetched[1], crawl_id=uuid.uuid4(), surt="y")
    closed = await writer.close()
    return store, settings.warc_dir / closed.filename, big, page


def cut(path, size):
    with open(path, "r+b") as file:
        file.truncate(size)


async def test_file_cut_mid_record_is_reported_as_truncated(stored):
    store, path, big, _ = stored
    cut(path, big.offset + big.length // 2)
    # The capture index still says the whole length: storage refuses the short range.
    with pytest.raises(storage.StorageError, match="ends before the record"):
        await warc.read_record(store, path.name, big.offset, big.length)


async def test_record_cut_short_within_the_range_is_reported(stored):
    store, path, big, _ = stored
    # Half of the record's bytes, as if the index had been written for a cut file.
    with pytest.raises(warc.WarcRecordError, match="truncated"):
        await warc.read_record(store, path.name, big.offset, big.length // 2)


async def test_wrong_offset_is_not_a_record(stored):
    store, path, big, _ = stored
    with pytest.raises(warc.WarcRecordError, match="not a gzip-compressed WARC record"):
        await warc.read_record(store, path.name, big.offset + 7, 100)


async def test_gzip_member_of_garbage_is_not_a_record(tmp_path):
    import gzip

    store = storage.LocalStorage(tmp_path)
    (tmp_path / "junk.warc.gz").write_bytes(gzip.compress(b"hello, this is not WARC\r\n\r\n"))
    with pytest.raises(warc.WarcRecordError, match="not a WARC record"):
        await warc.read_record(
            store, "junk.warc.gz", 0, (tmp_path / "junk.warc.gz").stat().st_size
        )


async def test_corrupt_bytes_inside_a_record_are_reported(stored):
    store, path, _, page = stored
    data = bytearray(path.read_bytes())
    for i in range(page.offset + 20, page.offset + 60):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(warc.WarcRecordError, match="corrupt|truncated|not a WARC"):
        await warc.read_record(store, path.name, page.offset, page.length)


async def test_intact_records_of_the_same_file_still_read(stored):
    store, path, big, page = stored
    record = await warc.read_record(store, path.name, page.offset, page.length)
    assert record.payload == capture_site.page_html(1)
    assert record.status == 200
    assert record.target_uri.endswith("/page/1")
