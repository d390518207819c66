"""The OpenSearch backend, against osmem-server: an in-memory server speaking the
OpenSearch API (it is NOT OpenSearch; analysis and scoring details may differ). Checks
the index template, bulk indexing by capture id (idempotent), multi_match with
highlighting, totals, paging and errors when the server is gone."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from loopback import free_port
from search_samples import T0, doc

from archivestream.core.settings import Settings
from archivestream.crawler import search


@pytest.fixture
async def backend(osmem_url):
    found = search.OpenSearchSearch(osmem_url)
    yield found
    await found.close()


async def test_template_and_index_are_created(backend):
    await backend.ensure_index()
    templates = await backend.client.indices.get_index_template(name=search.TEMPLATE)
    [template] = templates["index_templates"]
    mappings = template["index_template"]["template"]["mappings"]["properties"]
    assert mappings["url"]["type"] == "keyword"
    assert mappings["body"]["type"] == "text"
    assert await backend.client.indices.exists(index=search.INDEX)


async def test_indexed_documents_are_found_with_highlights(backend):
    await backend.index_after_commit(
        [
            doc("http://a/1", "Lighthouse keeping", "The keeper climbs the tower at night."),
            doc("http://a/2", "Harbour", "Boats rest near the lighthouse <b>today</b>."),
            doc("http://a/3", "Gardens", "Roses and tulips."),
        ]
    )
    page = await backend.query("lighthouse")
    assert page.total == 2
    assert {h.url for h in page.hits} == {"http://a/1", "http://a/2"}
    harbour = next(h for h in page.hits if h.url == "http://a/2")
    assert "<b>lighthouse</b>" in harbour.snippet
    assert "&lt;b&gt;today" in harbour.snippet  # page text is escaped
    assert harbour.captured_at == T0
    assert harbour.title == "Harbour"


async def test_indexing_twice_by_capture_id_changes_nothing(backend):
    same = uuid.uuid4()
    for _ in range(2):
        await backend.index_after_commit([doc("http://c/1", "Comet", "tail", capture_id=same)])
    assert (await backend.query("comet")).total == 1


async def test_paging_and_total(backend):
    await backend.index_after_commit(
        [doc(f"http://z/{n}", f"Zebra {n}", "striped animal") for n in range(15)]
    )
    first = await backend.query("zebra", limit=10)
    second = await backend.query("zebra", limit=10, offset=10)
    assert first.total == second.total == 15
    assert len(first.hits) == 10 and len(second.hits) == 5
    assert not {h.url for h in first.hits} & {h.url for h in second.hits}


async def test_query_before_any_document_finds_nothing(backend):
    page = await backend.query("anything")
    assert page.total == 0 and page.hits == []


async def test_unreachable_server_gives_a_clear_error():
    gone = search.OpenSearchSearch(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(search.SearchUnavailable, match="OpenSearch at http://127.0.0.1"):
            await gone.index_after_commit([doc("http://a/1", "t", "b")])
        with pytest.raises(search.SearchUnavailable, match="failed the query"):
            await gone.query("x")
    finally:
        await gone.close()


async def test_open_search_picks_opensearch_with_its_url(osmem_url, tmp_path):
    settings = Settings(data_dir=tmp_path, OPENSEARCH_URL=osmem_url)
    backend = search.open_search(settings, pool=None)
    try:
        assert isinstance(backend, search.OpenSearchSearch)
    finally:
        await backend.close()


async def test_captures_of_one_url_collapse_to_the_newest(backend):
    await backend.index_after_commit(
        [
            doc("http://d/1", "Dune", "sand old", minutes=0),
            doc("http://d/1", "Dune", "sand new", minutes=9),
            doc("http://d/2", "Desert", "sand other"),
        ]
    )
    page = await backend.query("sand")
    assert page.total == 2
    newest = next(h for h in page.hits if h.url == "http://d/1")
    assert newest.captured_at == T0 + timedelta(minutes=9)
    assert "new" in newest.snippet


async def test_revisits_take_their_originals_text(backend):
    first = doc("http://e/1", "Echidna", "spiny anteater", minutes=0)
    await backend.index_after_commit([first])

    def revisit(url, minutes, **refers):
        return search.SearchDocument(
            capture_id=uuid.uuid4(),
            url=url,
            surt=url,
            captured_at=T0 + timedelta(minutes=minutes),
            title="",
            text="",
            refers_to_surt=first.surt,
            refers_to_date=first.captured_at,
            **refers,
        )

    await backend.index_after_commit(
        [
            revisit("http://e/1", 5, refers_to_capture=first.capture_id),  # by id
            revisit("http://e/2", 6),  # by SURT and date
        ]
    )
    orphan = revisit("http://e/3", 7)
    orphan = search.SearchDocument(
        **{**orphan.__dict__, "refers_to_date": first.captured_at + timedelta(seconds=1)}
    )
    await backend.index_after_commit([orphan])  # its original is not indexed: left out
    page = await backend.query("anteater")
    assert page.total == 2
    newest = next(h for h in page.hits if h.url == "http://e/1")
    assert newest.captured_at == T0 + timedelta(minutes=5)
    assert newest.title == "Echidna"
