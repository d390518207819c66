"""The local WARC store: atomic hand-over from the spool, ranged reads, clear errors."""

from __future__ import annotations

import pytest

from archivestream.core.settings import Settings
from archivestream.crawler import storage


@pytest.fixture
def store(tmp_path):
    return storage.open_storage(Settings(data_dir=tmp_path / "data"))


async def test_put_moves_the_spool_file_and_read_returns_the_range(store, tmp_path):
    spooled = tmp_path / "x.warc.gz.open"
    spooled.write_bytes(b"0123456789abcdef")

    location = await store.put(spooled, "x.warc.gz")

    assert isinstance(store, storage.LocalStorage)
    assert location == str(tmp_path / "data" / "warcs" / "x.warc.gz")
    assert not spooled.exists()
    assert await store.read("x.warc.gz", 4, 6) == b"456789"
    assert await store.read("x.warc.gz", 0, 16) == b"0123456789abcdef"


async def test_missing_file_is_named_in_the_error(store):
    with pytest.raises(storage.WarcFileMissing, match="'nope.warc.gz' not found"):
        await store.read("nope.warc.gz", 0, 10)


async def test_range_past_the_end_is_an_error_not_a_short_answer(store, tmp_path):
    spooled = tmp_path / "short.open"
    spooled.write_bytes(b"abc")
    await store.put(spooled, "short.warc.gz")
    with pytest.raises(storage.StorageError, match="ends before the record"):
        await store.read("short.warc.gz", 1, 10)


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b.warc.gz", "", ".."])
async def test_names_that_leave_the_folder_are_refused(store, name):
    with pytest.raises(storage.StorageError, match="not a WARC file name"):
        await store.read(name, 0, 1)


@pytest.mark.parametrize(("offset", "length"), [(-1, 5), (0, 0), (3, -2)])
async def test_bad_ranges_are_refused(store, offset, length):
    with pytest.raises(storage.StorageError, match="bad byte range"):
        await store.read("x.warc.gz", offset, length)


async def test_check_creates_the_folder_or_says_why_not(store, tmp_path):
    await store.check()
    assert (tmp_path / "data" / "warcs").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(storage.StorageError, match="cannot create the WARC folder"):
        await storage.LocalStorage(blocker / "warcs").check()
