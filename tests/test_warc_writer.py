"""The WARC writer: what goes into a file, judged by warcio's own reader and `warcio check`."""

from __future__ import annotations

import uuid
from pathlib import Path

import capture_site
import pytest
from warcio.archiveiterator import ArchiveIterator

from archivestream.core.settings import Settings
from archivestream.crawler import canonical, storage, warc
from archivestream.crawler.dedup import Deduplicator


@pytest.fixture
async def site():
    async with capture_site.running() as base:
        yield base


def local_settings(tmp_path: Path, **extra) -> Settings:
    return Settings(data_dir=tmp_path / "data", **extra)


def writer_for(settings: Settings) -> warc.WarcWriter:
    return warc.WarcWriter(
        storage.open_storage(settings),
        settings,
        region="local",
        worker_id="w-1",
        dedup=Deduplicator(None),
    )


def records_of(path: Path) -> list:
    found = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            found.append(
                (
                    record.rec_type,
                    dict(record.rec_headers.headers),
                    record.http_headers,
                    record.raw_stream.read(),
                )
            )
    return found


async def write_urls(writer: warc.WarcWriter, settings: Settings, urls: list[str]):
    crawl_id = uuid.uuid4()
    written = []
    for fetched in await capture_site.fetch_all(settings, urls):
        written.append(
            await writer.write(fetched, crawl_id=crawl_id, surt=canonical.surt_key(fetched.url))
        )
    return written


async def test_file_holds_warcinfo_then_linked_response_and_request(site, tmp_path):
    settings = local_settings(tmp_path)
    writer = writer_for(settings)
    await write_urls(writer, settings, [f"{site}/page/1"])
    closed = await writer.close()

    path = settings.warc_dir / closed.filename
    check = capture_site.warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout

    records = records_of(path)
    assert [r[0] for r in records] == ["warcinfo", "response", "request"]
    info = records[0][3].decode()
    assert "software: ArchiveStream/" in info
    assert "format: WARC File Format 1.1" in info
    assert f"http-header-user-agent: {settings.user_agent}" in info

    _, response, http, payload = records[1]
    assert response["WARC-Target-URI"] == f"{site}/page/1"
    assert response["WARC-Payload-Digest"] == warc.payload_digest(capture_site.page_html(1))
    assert response["WARC-Block-Digest"].startswith("sha1:")
    assert response["WARC-IP-Address"] == "127.0.0.1"
    assert http.get_statuscode() == "200"
    assert payload == capture_site.page_html(1)

    _, request, request_http, _ = records[2]
    assert request["WARC-Concurrent-To"] == response["WARC-Record-ID"]
    assert request["WARC-Date"] == response["WARC-Date"]
    assert request_http.protocol == "GET"
    assert request_http.statusline == "/page/1 HTTP/1.1"
    assert request_http.get_header("User-Agent") == settings.user_agent


async def test_chunked_response_is_stored_dechunked_with_true_length(site, tmp_path):
    settings = local_settings(tmp_path)
    writer = writer_for(settings)
    [fetched] = await capture_site.fetch_all(settings, [f"{site}/chunked"])
    assert fetched.header("transfer-encoding") == "chunked"
    await writer.write(fetched, crawl_id=uuid.uuid4(), surt="x")
    closed = await writer.close()

    path = settings.warc_dir / closed.filename
    assert capture_site.warcio_check(path).returncode == 0
    _, _, http, payload = records_of(path)[1]
    assert payload == b"<html><title>Chunked</title><body>in pieces arrived</body></html>"
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert http.get_header("Content-Length") == str(len(payload))


async def test_content_coding_is_kept_in_the_payload(site, tmp_path):
    settings = local_settings(tmp_path)
    writer = writer_for(settings)
    [fetched] = await capture_site.fetch_all(settings, [f"{site}/gzip"])
    await writer.write(fetched, crawl_id=uuid.uuid4(), surt="x")
    closed = await writer.close()

    _, headers, http, payload = records_of(settings.warc_dir / closed.filename)[1]
    assert http.get_header("Content-Encoding") == "gzip"
    assert payload[:2] == b"\x1f\x8b"
    assert headers["WARC-Payload-Digest"] == warc.payload_digest(payload)
    # The search text was taken from the decompressed page.
    assert closed.documents[0].title == "Compressed"
    assert closed.documents[0].text == "squeezed words"


async def test_file_grows_under_open_name_in_spool_until_closed(site, tmp_path):
    settings = local_settings(tmp_path)
    writer = writer_for(settings)
    await write_urls(writer, settings, [f"{site}/page/1"])
    spooled = list((settings.data_dir / "spool").iterdir())
    assert [p.name for p in spooled] == [writer.open_filename + ".open"]
    assert not settings.warc_dir.exists() or not any(settings.warc_dir.iterdir())

    closed = await writer.close()
    assert not any((settings.data_dir / "spool").iterdir())
    assert (settings.warc_dir / closed.filename).is_file()
    assert closed.location == str(settings.warc_dir / closed.filename)
    assert closed.records == 3
    assert closed.bytes == (settings.warc_dir / closed.filename).stat().st_size
    assert await writer.close() is None


async def test_file_rolls_at_its_size(site, tmp_path):
    settings = local_settings(tmp_path, warc_max_bytes=2_000)
    writer = writer_for(settings)
    closed = []
    crawl_id = uuid.uuid4()
    for fetched in await capture_site.fetch_all(settings, [f"{site}/page/{n}" for n in range(6)]):
        await writer.write(fetched, crawl_id=crawl_id, surt=canonical.surt_key(fetched.url))
        rolled = await writer.roll_if_due()
        if rolled:
            closed.append(rolled)
    last = await writer.close()
    if last:
        closed.append(last)

    assert len(closed) >= 2
    assert len({c.filename for c in closed}) == len(closed)
    assert sum(len(c.captures) for c in closed) == 6
    for c in closed:
        assert capture_site.warcio_check(settings.warc_dir / c.filename).returncode == 0
        assert c.filename.startswith("archivestream-local-") and c.filename.endswith(".warc.gz")


async def test_file_rolls_at_its_age_and_not_before(site, tmp_path):
    settings = local_settings(tmp_path, warc_max_age_seconds=3600)
    writer = writer_for(settings)
    await write_urls(writer, settings, [f"{site}/page/1"])
    assert await writer.roll_if_due() is None

    writer.settings = local_settings(tmp_path, warc_max_age_seconds=0.000001)
    closed = await writer.roll_if_due()
    assert closed is not None and len(closed.captures) == 1


async def test_big_payload_round_trips(site, tmp_path):
    settings = local_settings(tmp_path)
    writer = writer_for(settings)
    [written] = await write_urls(writer, settings, [f"{site}/big"])
    closed = await writer.close()

    record = await warc.read_record(
        storage.open_storage(settings), closed.filename, written.offset, written.length
    )
    assert record.payload == capture_site.big_payload()
    assert record.status == 200
    assert closed.documents == []
    assert capture_site.warcio_check(settings.warc_dir / closed.filename).returncode == 0


async def test_redirect_with_empty_body_is_a_response_every_time(site, tmp_path):
    settings = local_settings(tmp_path)
    writer = writer_for(settings)
    written = await write_urls(writer, settings, [f"{site}/redirect"] * 3)
    closed = await writer.close()

    assert [w.record_type for w in written] == ["response"] * 3
    assert [c.status for c in closed.captures] == [302] * 3
    assert closed.captures[0].mime is None or closed.captures[0].mime.startswith("application")


async def test_same_payload_twice_in_one_file_becomes_a_revisit(site, tmp_path):
    settings = local_settings(tmp_path)
    writer = writer_for(settings)
    written = await write_urls(writer, settings, [f"{site}/same/1", f"{site}/same/2"])
    closed = await writer.close()

    assert [w.record_type for w in written] == ["response", "revisit"]
    records = records_of(settings.warc_dir / closed.filename)
    revisit = next(headers for kind, headers, _, _ in records if kind == "revisit")
    assert revisit["WARC-Profile"] == warc.REVISIT_PROFILE
    assert revisit["WARC-Refers-To-Target-URI"] == f"{site}/same/1"
    assert revisit["WARC-Refers-To-Date"] == warc.warc_date(closed.captures[0].captured_at)
    assert revisit["WARC-Payload-Digest"] == warc.payload_digest(capture_site.SAME_HTML)
    assert closed.captures[1].refers_to_url == f"{site}/same/1"
    assert capture_site.warcio_check(settings.warc_dir / closed.filename).returncode == 0


async def test_latin1_page_gives_a_readable_search_document(site, tmp_path):
    settings = local_settings(tmp_path)
    writer = writer_for(settings)
    await write_urls(writer, settings, [f"{site}/latin1"])
    closed = await writer.close()
    [document] = closed.documents
    assert document.title == "Café crème"
    assert document.text == "déjà vu"
    assert document.capture_id == closed.captures[0].id


async def test_metrics_count_bytes_files_and_deduplicated_payloads(site, tmp_path):
    from prometheus_client import REGISTRY

    def value(name):
        return REGISTRY.get_sample_value(name, {"region": "metrics-test"}) or 0.0

    settings = local_settings(tmp_path)
    writer = warc.WarcWriter(
        storage.open_storage(settings),
        settings,
        region="metrics-test",
        worker_id="w",
        dedup=Deduplicator(None),
    )
    before = [
        value(n)
        for n in (
            "archivestream_warc_bytes_written_total",
            "archivestream_warc_files_closed_total",
            "archivestream_payloads_deduplicated_total",
        )
    ]
    await write_urls(writer, settings, [f"{site}/same/1", f"{site}/same/2"])
    closed = await writer.close()

    assert value("archivestream_warc_files_closed_total") == before[1] + 1
    assert value("archivestream_payloads_deduplicated_total") == before[2] + 1
    written = value("archivestream_warc_bytes_written_total") - before[0]
    # Everything but the warcinfo record is counted as it is written.
    assert 0 < written < closed.bytes


async def test_body_cut_at_the_size_cap_is_marked_truncated(site, tmp_path):
    from archivestream.crawler import fetcher

    settings = local_settings(tmp_path)
    async with fetcher.open_session(settings) as session:
        fetched = await fetcher.fetch(session, settings, f"{site}/big", max_bytes=100_000)
    assert fetched.truncated
    writer = writer_for(settings)
    await writer.write(fetched, crawl_id=uuid.uuid4(), surt="x")
    closed = await writer.close()

    path = settings.warc_dir / closed.filename
    assert capture_site.warcio_check(path).returncode == 0
    _, headers, _, payload = records_of(path)[1]
    assert headers["WARC-Truncated"] == "length"
    assert payload == capture_site.big_payload()[:100_000]
