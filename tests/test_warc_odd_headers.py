"""Responses with odd bytes in their headers (Latin-1 text, a charset that is no charset,
a status code no one knows) are still written as valid records, read back, and never
crash the writer. Served raw from an asyncio server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import capture_site
import pytest

from archivestream.core.settings import Settings
from archivestream.crawler import storage, warc
from archivestream.crawler.dedup import Deduplicator

BODY = b"<html><title>odd</title><body>text \xff\xfe here</body></html>"
RESPONSES = {
    b"/latin1-header": b"HTTP/1.1 200 OK\r\nX-Note: caf\xe9 cr\xe8me\r\n"
    b"Content-Type: text/html\r\n",
    b"/bad-charset": b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\xff\xfe-nope\r\n",
    b"/odd-status": b"HTTP/1.1 599 Whatever Happened\r\nContent-Type: text/html\r\n",
    b"/no-reason": b"HTTP/1.1 200 \r\nContent-Type: text/html\r\n",
}


@contextlib.asynccontextmanager
async def raw_server():
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        path = request.split(b" ", 2)[1]
        head = RESPONSES[path] + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)
        writer.write(head + BODY)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("path", [p.decode() for p in RESPONSES])
async def test_odd_headers_make_valid_records(path, tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    store = storage.open_storage(settings)
    writer = warc.WarcWriter(
        store, settings, region="local", worker_id="w", dedup=Deduplicator(None)
    )
    async with raw_server() as base:
        [fetched] = await capture_site.fetch_all(settings, [base + path])
    written = await writer.write(fetched, crawl_id=uuid.uuid4(), surt="x")
    closed = await writer.close()

    check = capture_site.warcio_check(settings.warc_dir / closed.filename)
    assert check.returncode == 0, check.stdout
    record = await warc.read_record(store, closed.filename, written.offset, written.length)
    assert record.payload == BODY
    assert record.status == fetched.status
    if fetched.status == 200:
        # The page is still searchable: unknown bytes become U+FFFD, not an error.
        [document] = closed.documents
        assert document.title == "odd"
