"""Payload deduplication: a payload stored before (any URL, any earlier crawl, or earlier
in the still-open file) is written as a revisit naming its original; empty payloads never
are; a file that failed to be stored is never referred to."""

from __future__ import annotations

import asyncio
import uuid

import capture_site
import pytest

from archivestream.crawler import canonical, captures, search, storage, warc
from archivestream.crawler.dedup import Deduplicator


@pytest.fixture
async def site():
    async with capture_site.running() as base:
        yield base


async def crawl(settings, pool, urls, *, store=None):
    _, written, closed = await capture_site.write_file(settings, pool, urls, store=store)
    await capture_site.index(pool, closed)
    return written, closed


async def test_second_crawl_of_unchanged_site_is_all_revisits(settings, pool, site):
    urls = [f"{site}/page/{n}" for n in range(5)] + [f"{site}/big", f"{site}/redirect"]
    first, first_file = await crawl(settings, pool, urls)
    second, second_file = await crawl(settings, pool, urls)

    assert [w.record_type for w in first] == ["response"] * 7
    # Every non-empty payload deduplicated; the empty redirect body stays a response.
    assert [w.record_type for w in second] == ["revisit"] * 6 + ["response"]
    originals = {c.url: c for c in first_file.captures}
    for capture in second_file.captures[:6]:
        assert capture.refers_to_url == capture.url
        assert capture.refers_to_date == originals[capture.url].captured_at
        assert capture.digest == originals[capture.url].digest
    # A revisit holds headers only: the second file is far smaller than the first.
    assert second_file.bytes < first_file.bytes / 10
    assert capture_site.warcio_check(settings.warc_dir / second_file.filename).returncode == 0


async def test_revisit_of_another_url_names_the_original(settings, pool, site):
    await crawl(settings, pool, [f"{site}/same/1"])
    written, closed = await crawl(settings, pool, [f"{site}/same/7"])

    assert written[0].record_type == "revisit"
    record = await warc.read_record(
        storage.open_storage(settings), closed.filename, written[0].offset, written[0].length
    )
    assert record.record_type == "revisit"
    assert record.warc_header("WARC-Target-URI") == f"{site}/same/7"
    assert record.warc_header("WARC-Refers-To-Target-URI") == f"{site}/same/1"
    original_date = await pool.fetchval(
        "SELECT captured_at FROM captures WHERE url = $1", f"{site}/same/1"
    )
    assert record.warc_header("WARC-Refers-To-Date") == warc.warc_date(original_date)
    assert record.payload == b""
    assert record.http_header("Content-Type") == "text/html"


async def test_concurrent_writes_of_one_payload_store_it_once(settings, pool, site):
    writer = capture_site.warc_writer(settings, pool)
    fetched = await capture_site.fetch_all(settings, [f"{site}/same/{n}" for n in range(12)])
    crawl_id = uuid.uuid4()
    written = await asyncio.gather(
        *(writer.write(f, crawl_id=crawl_id, surt=canonical.surt_key(f.url)) for f in fetched)
    )
    await writer.close()
    kinds = sorted(w.record_type for w in written)
    assert kinds == ["response"] + ["revisit"] * 11


async def test_payloads_of_a_file_that_failed_to_store_are_not_referred_to(
    settings, pool, site, tmp_path
):
    # A storage folder that cannot be created: a plain file stands in its way.
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    broken = storage.LocalStorage(blocker / "warcs")
    writer = warc.WarcWriter(
        broken, settings, region="local", worker_id="w1", dedup=Deduplicator(pool)
    )
    [fetched] = await capture_site.fetch_all(settings, [f"{site}/same/1"])
    await writer.write(fetched, crawl_id=uuid.uuid4(), surt="x")
    with pytest.raises(storage.StorageError, match="cannot move .* into"):
        await writer.close()

    writer.storage = storage.open_storage(settings)
    again = await writer.write(fetched, crawl_id=uuid.uuid4(), surt="x")
    assert again.record_type == "response"
    await writer.close()


async def test_search_after_a_second_crawl_shows_the_newest_capture(settings, pool, site):
    backend = search.DatabaseSearch(pool)
    urls = [f"{site}/page/{n}" for n in range(3)]
    captured = []
    for _ in range(2):
        writer = capture_site.warc_writer(settings, pool, search_backend=backend)
        crawl_id = uuid.uuid4()
        for f in await capture_site.fetch_all(settings, urls):
            await writer.write(f, crawl_id=crawl_id, surt=canonical.surt_key(f.url))
        closed = await writer.close()
        async with pool.acquire() as conn, conn.transaction():
            await captures.record(conn, closed, backend)
        captured.append({c.url: c for c in closed.captures})

    page = await backend.query("lighthouse")
    assert page.total == 3
    for hit in page.hits:
        assert captured[1][hit.url].record_type == "revisit"
        assert hit.captured_at == captured[1][hit.url].captured_at
        assert hit.title.startswith("Page ")
        assert "<b>lighthouse</b>" in hit.snippet
    await backend.close()
