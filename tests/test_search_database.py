"""The embedded search (PostgreSQL full text): documents stored in the indexing
transaction, websearch queries ranked with the title first, total counts, pages,
duplicates of one URL collapsed to the newest capture, HTML-safe snippets."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from search_samples import T0, doc

from archivestream.crawler import search


@pytest.fixture
async def backend(pool):
    found = search.DatabaseSearch(pool)
    docs = [
        doc("http://a/1", "Lighthouse keeping", "The keeper climbs the tower every night."),
        doc("http://a/2", "Harbour", "Boats rest in the harbour near the lighthouse."),
        doc("http://a/3", "Gardens", "Roses and tulips <grow> & bloom in spring."),
        doc("http://a/2", "Harbour", "Boats rest in the harbour, lighthouse now red.", minutes=5),
    ] + [doc(f"http://b/{n}", f"Note {n}", f"zebra number {n}") for n in range(25)]
    async with pool.acquire() as conn, conn.transaction():
        await found.store(conn, docs)
        await add_captures(conn, docs)
    return found


async def add_captures(conn, docs):
    """The capture rows that make documents visible (what captures.record inserts)."""
    await conn.executemany(
        """INSERT INTO captures (id, crawl_id, surt, url, captured_at, length, "offset",
                                 filename)
           VALUES ($1, gen_random_uuid(), $2, $3, $4, 1, 0, 'f.warc.gz')""",
        [(d.capture_id, d.surt, d.url, d.captured_at) for d in docs],
    )


async def test_title_match_ranks_first_and_total_counts_urls(backend):
    page = await backend.query("lighthouse")
    assert page.total == 2
    assert [h.url for h in page.hits] == ["http://a/1", "http://a/2"]
    assert page.hits[0].title == "Lighthouse keeping"


async def test_duplicates_of_a_url_collapse_to_the_newest_capture(backend):
    page = await backend.query("harbour")
    assert page.total == 1
    [hit] = page.hits
    assert hit.captured_at == T0 + timedelta(minutes=5)
    assert "<b>harbour</b>, lighthouse" in hit.snippet  # the newer text


async def test_snippet_marks_matches_and_escapes_page_text(backend):
    page = await backend.query("bloom")
    [hit] = page.hits
    assert "<b>bloom</b>" in hit.snippet
    assert "&amp;" in hit.snippet
    assert "<grow>" not in hit.snippet


async def test_limit_offset_and_total(backend):
    first = await backend.query("zebra", limit=10)
    second = await backend.query("zebra", limit=10, offset=10)
    past = await backend.query("zebra", limit=10, offset=100)
    assert first.total == second.total == past.total == 25
    assert len(first.hits) == len(second.hits) == 10
    assert not {h.url for h in first.hits} & {h.url for h in second.hits}
    assert past.hits == []


async def test_websearch_syntax_and_no_match(backend):
    assert (await backend.query("lighthouse -tower")).total == 1
    assert (await backend.query('"keeper climbs"')).total == 1
    assert (await backend.query("tulips OR keeper")).total == 2
    assert (await backend.query("nonexistentword")).total == 0


@pytest.mark.parametrize("q", ["", "   ", "\x00", "'", '"', "&|!:*()", "-", "a" * 3000])
async def test_odd_queries_answer_without_error(backend, q):
    page = await backend.query(q)
    assert page.total >= 0


async def test_bad_page_arguments_are_refused(backend):
    with pytest.raises(ValueError, match="limit"):
        await backend.query("zebra", limit=0)
    with pytest.raises(ValueError, match="offset"):
        await backend.query("zebra", offset=-1)


async def test_open_search_picks_the_database_without_opensearch_url(settings, pool):
    assert isinstance(search.open_search(settings, pool), search.DatabaseSearch)


async def test_documents_prepared_ahead_show_only_once_their_captures_exist(pool):
    backend = search.DatabaseSearch(pool)
    docs = [doc(f"http://p/{n}", "Prepared", f"quokka {n}") for n in range(100)]
    backend.prepare(docs)
    await backend._inserting  # the background insert, finished
    assert await pool.fetchval("SELECT count(*) FROM search_documents") == 100
    assert (await backend.query("quokka")).total == 0

    async with pool.acquire() as conn, conn.transaction():
        await backend.store(conn, docs)  # nothing left to insert
        await add_captures(conn, docs)
    assert (await backend.query("quokka")).total == 100
    await backend.close()


async def test_store_inserts_what_was_not_prepared_yet(pool):
    backend = search.DatabaseSearch(pool)
    docs = [doc(f"http://q/{n}", "Half", f"wombat {n}") for n in range(200)]
    backend.prepare(docs)  # the background task has not run yet
    async with pool.acquire() as conn, conn.transaction():
        await backend.store(conn, docs)
        await add_captures(conn, docs)
    assert (await backend.query("wombat")).total == 200
    assert await pool.fetchval("SELECT count(*) FROM search_documents") == 200
    await backend.close()


async def test_revisit_document_shares_its_originals_text_vector(pool):
    backend = search.DatabaseSearch(pool)
    original = doc("http://r/1", "Origin", "platypus burrow")
    async with pool.acquire() as conn, conn.transaction():
        await backend.store(conn, [original])
        await add_captures(conn, [original])
    # Text differs on purpose: the revisit's vector is copied, not computed.
    revisit = search.SearchDocument(
        capture_id=uuid.uuid4(),
        url="http://r/2",
        surt="http://r/2",
        captured_at=T0 + timedelta(days=1),
        title="Copy",
        text="something else",
        refers_to_surt=original.surt,
        refers_to_date=original.captured_at,
    )
    async with pool.acquire() as conn, conn.transaction():
        await backend.store(conn, [revisit])
        await add_captures(conn, [revisit])
    page = await backend.query("platypus")
    assert {h.url for h in page.hits} == {"http://r/1", "http://r/2"}
