"""Full-text search over HTML captures: the database's own, or OpenSearch.

Each HTML capture with a 2xx status gives one document (title and visible text, see
`text`), keyed by its capture id. The database backend stores documents in
`search_documents` inside the indexing transaction (`store`); the OpenSearch backend
indexes them in bulk once that transaction has committed (`index_after_commit`), by
capture id, so indexing twice changes nothing. Both answer `query` with the total and a
page of hits; several captures of one URL collapse into its newest.

Snippets are HTML-safe: the text is escaped and the matched words wrapped in `<b>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg
import structlog

from archivestream.core.settings import Settings

log = structlog.get_logger("archivestream.search")

INDEX = "archivestream-captures"
TEMPLATE = "archivestream-captures"
# Markers the engines put around matches; unlikely in page text, swapped for <b> after
# the text has been escaped.
_START, _STOP = "\x02", "\x03"


@dataclass(frozen=True)
class SearchDocument:
    """What is searchable of one HTML capture."""

    capture_id: uuid.UUID
    url: str
    surt: str
    captured_at: datetime
    title: str
    text: str
    # For a revisit: its original capture (by id when known), whose indexed text it shares.
    refers_to_surt: str | None = None
    refers_to_date: datetime | None = None
    refers_to_capture: uuid.UUID | None = None


@dataclass(frozen=True)
class SearchHit:
    url: str
    title: str
    captured_at: datetime
    snippet: str


@dataclass(frozen=True)
class SearchPage:
    total: int
    hits: list[SearchHit]


class SearchUnavailable(Exception):
    """The search backend cannot be reached or refused a request; the message says why."""


class SearchBackend(Protocol):
    kind: str

    def prepare(self, documents: list[SearchDocument]) -> None:
        """Documents written into an open WARC file: work may start on them now."""
        ...

    async def store(self, conn: asyncpg.Connection, documents: list[SearchDocument]) -> None:
        """Inside the indexing transaction (the database backend writes here)."""
        ...

    async def index_after_commit(self, documents: list[SearchDocument]) -> None:
        """After the indexing transaction committed (OpenSearch indexes here)."""
        ...

    async def query(self, q: str, *, limit: int = 10, offset: int = 0) -> SearchPage: ...

    async def close(self) -> None: ...


# The indexed form of a document: title words weigh more than body words.
_TSV = (
    "setweight(to_tsvector('english', coalesce(d.title, '')), 'A')"
    " || setweight(to_tsvector('english', coalesce(d.body, '')), 'B')"
)


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold NUL characters.
    return text.replace("\x00", " ")


def safe_snippet(marked: str) -> str:
    """Escape engine output and turn its match markers into <b> tags."""
    return html.escape(marked, quote=False).replace(_START, "<b>").replace(_STOP, "</b>")


def _check_page(limit: int, offset: int) -> None:
    if limit < 1 or limit > 1000:
        raise ValueError(f"limit must be between 1 and 1000, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must be 0 or more, got {offset}")


class DatabaseSearch:
    """PostgreSQL full-text search on `search_documents` (the embedded default).

    The title weighs more than the body. Queries use websearch syntax ("quoted phrase",
    -excluded, OR). Uses ts_headline and websearch_to_tsquery: PostgreSQL only; on
    CockroachDB use OpenSearch.

    Computing and indexing tsvectors is the costly part of indexing a file, so documents
    handed to `prepare` (as the writer writes them) are inserted ahead, in the background,
    while the crawl goes on: that work then runs in the database server's process, in
    parallel with the crawler. A document only shows in results once its capture row
    exists, so it still becomes searchable exactly when its file is indexed.
    """

    kind = "database"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._queue: list[SearchDocument] = []
        self._inserted: set[uuid.UUID] = set()
        self._in_flight: dict[uuid.UUID, asyncio.Future[None]] = {}
        self._inserting: asyncio.Task[None] | None = None

    def prepare(self, documents: list[SearchDocument]) -> None:
        """Start inserting documents of a still-open file (invisible until indexed)."""
        self._queue.extend(documents)
        if self._queue and (self._inserting is None or self._inserting.done()):
            self._inserting = asyncio.get_running_loop().create_task(self._insert_ahead())

    async def _insert_ahead(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:64], self._queue[64:]
            done = asyncio.get_running_loop().create_future()
            for doc in batch:
                self._in_flight[doc.capture_id] = done
            try:
                async with self.pool.acquire() as conn:
                    await _insert(conn, batch)
                self._inserted.update(doc.capture_id for doc in batch)
            except (asyncpg.PostgresError, OSError) as error:
                # `store` inserts whatever is missing; nothing is lost.
                log.warning("search documents not inserted ahead", error=str(error))
            finally:
                for doc in batch:
                    self._in_flight.pop(doc.capture_id, None)
                done.set_result(None)

    async def store(self, conn: asyncpg.Connection, documents: list[SearchDocument]) -> None:
        ours = {doc.capture_id for doc in documents}
        self._queue = [doc for doc in self._queue if doc.capture_id not in ours]
        waits = {id(f): f for i, f in self._in_flight.items() if i in ours}
        if waits:
            await asyncio.gather(*waits.values())
        missing = [doc for doc in documents if doc.capture_id not in self._inserted]
        self._inserted.difference_update(ours)
        await _insert(conn, missing)

    async def query(self, q: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        _check_page(limit, offset)
        q = q.replace("\x00", " ").strip()
        if not q:
            return SearchPage(total=0, hits=[])
        # Newest indexed capture per URL, ranked; snippets are computed for the page only.
        rows = await self.pool.fetch(
            f"""
            WITH query AS (SELECT websearch_to_tsquery('english', $1) AS q),
            newest AS (
                SELECT DISTINCT ON (d.url) d.url, d.title, d.captured_at, d.body,
                       ts_rank(d.tsv, query.q) AS rank
                FROM search_documents d, query
                WHERE d.tsv @@ query.q
                  AND EXISTS (SELECT 1 FROM captures c WHERE c.id = d.capture_id)
                ORDER BY d.url, d.captured_at DESC
            ),
            page AS (
                SELECT *, count(*) OVER () AS total FROM newest
                ORDER BY rank DESC, captured_at DESC, url
                LIMIT $2 OFFSET $3
            )
            SELECT page.url, page.title, page.captured_at, page.total,
                   ts_headline('english', page.body, query.q,
                       'StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15,
                        MaxFragments=2, FragmentDelimiter=" ... "') AS snippet
            FROM page, query
            ORDER BY page.rank DESC, page.captured_at DESC, page.url
            """,
            q,
            limit,
            offset,
        )
        if rows:
            total = rows[0]["total"]
        else:
            total = await self.pool.fetchval(
                """
                SELECT count(DISTINCT d.url) FROM search_documents d
                WHERE d.tsv @@ websearch_to_tsquery('english', $1)
                  AND EXISTS (SELECT 1 FROM captures c WHERE c.id = d.capture_id)
                """,
                q,
            )
        hits = [
            SearchHit(
                url=row["url"],
                title=row["title"] or "",
                captured_at=row["captured_at"],
                snippet=safe_snippet(row["snippet"] or ""),
            )
            for row in rows
        ]
        return SearchPage(total=int(total or 0), hits=hits)

    async def close(self) -> None:
        if self._inserting is not None:
            self._inserting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._inserting

    async def index_after_commit(self, documents: list[SearchDocument]) -> None:
        return None


async def _insert(conn: asyncpg.Connection, documents: list[SearchDocument]) -> None:
    """Insert search documents; a revisit takes its original's text and tsvector."""
    # Originals first, so that revisits among the same documents find theirs.
    originals = [d for d in documents if d.refers_to_surt is None]
    revisits = [d for d in documents if d.refers_to_surt is not None]
    for batch in (originals, revisits):
        if not batch:
            continue
        await conn.execute(
            f"""
            INSERT INTO search_documents (capture_id, url, surt, captured_at, title, body, tsv)
            SELECT d.id, d.url, d.surt, d.captured_at,
                   coalesce(original.title, d.title), coalesce(original.body, d.body),
                   coalesce(original.tsv, {_TSV})
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],
                        $6::text[], $7::uuid[], $8::text[], $9::timestamptz[])
                 AS d(id, url, surt, captured_at, title, body, ref_id, ref_surt, ref_date)
            LEFT JOIN LATERAL (
                SELECT sd.title, sd.body, sd.tsv FROM search_documents sd
                WHERE sd.capture_id = coalesce(d.ref_id, (
                    SELECT c.id FROM captures c
                    WHERE c.surt = d.ref_surt AND c.captured_at = d.ref_date
                      AND c.record_type = 'response'
                    LIMIT 1))
            ) AS original ON d.ref_surt IS NOT NULL
            ON CONFLICT (capture_id) DO NOTHING
            """,
            [d.capture_id for d in batch],
            [d.url for d in batch],
            [d.surt for d in batch],
            [d.captured_at for d in batch],
            [d.title for d in batch],
            [_storable(d.text) for d in batch],
            [d.refers_to_capture for d in batch],
            [d.refers_to_surt for d in batch],
            [d.refers_to_date for d in batch],
        )


def index_template() -> dict:
    """The index template: English analysis on title and body, exact URL/SURT keys."""
    return {
        "index_patterns": [f"{INDEX}*"],
        "template": {
            "settings": {
                "number_of_shards": 1,
                "analysis": {
                    "analyzer": {
                        "page_text": {
                            "type": "custom",
                            "tokenizer": "standard",
                            "filter": ["lowercase", "asciifolding", "porter_stem"],
                        }
                    }
                },
            },
            "mappings": {
                "properties": {
                    "url": {"type": "keyword"},
                    "surt": {"type": "keyword"},
                    "captured_at": {"type": "date"},
                    "title": {"type": "text", "analyzer": "page_text"},
                    "body": {"type": "text", "analyzer": "page_text"},
                }
            },
        },
    }


class OpenSearchSearch:
    """OpenSearch through opensearch-py's async client (on a cluster)."""

    kind = "opensearch"

    def __init__(self, url: str, *, index: str = INDEX) -> None:
        from opensearchpy import AsyncOpenSearch

        self.url = url
        self.index = index
        self.client = AsyncOpenSearch(hosts=[url], timeout=30)
        self._ready = False
        self._ready_lock = asyncio.Lock()

    async def ensure_index(self) -> None:
        """Put the index template and create the index unless they exist."""
        from opensearchpy.exceptions import OpenSearchException, TransportError

        async with self._ready_lock:
            if self._ready:
                return
            try:
                await self.client.indices.put_index_template(name=TEMPLATE, body=index_template())
                if not await self.client.indices.exists(index=self.index):
                    try:
                        await self.client.indices.create(index=self.index)
                    except TransportError as error:
                        # Another worker created it first.
                        if "already_exists" not in str(error):
                            raise
            except (OpenSearchException, OSError) as error:
                raise SearchUnavailable(
                    f"OpenSearch at {self.url} refused the index setup: {error}"
                ) from None
            self._ready = True

    def prepare(self, documents: list[SearchDocument]) -> None:
        return None

    async def store(self, conn: asyncpg.Connection, documents: list[SearchDocument]) -> None:
        return None

    async def index_after_commit(self, documents: list[SearchDocument]) -> None:
        from opensearchpy.exceptions import OpenSearchException

        if not documents:
            return
        await self.ensure_index()
        documents = await self._with_original_text(documents)
        if not documents:
            return
        body: list[dict] = []
        for doc in documents:
            body.append({"index": {"_index": self.index, "_id": str(doc.capture_id)}})
            body.append(
                {
                    "url": doc.url,
                    "surt": doc.surt,
                    "captured_at": doc.captured_at.isoformat(),
                    "title": doc.title,
                    "body": doc.text,
                }
            )
        try:
            answer = await self.client.bulk(body=body, refresh=True)
        except (OpenSearchException, OSError) as error:
            raise SearchUnavailable(
                f"OpenSearch at {self.url} did not index {len(documents)} documents: {error}"
            ) from None
        if answer.get("errors"):
            failed = [item for item in answer["items"] if item["index"].get("error")]
            raise SearchUnavailable(
                f"OpenSearch at {self.url} refused {len(failed)} of {len(documents)} "
                f"documents, first: {failed[0]['index']['error']}"
            )

    async def _with_original_text(self, documents: list[SearchDocument]) -> list[SearchDocument]:
        """Revisits carry no text: give each its original's title and body (from this
        batch, or from the index by capture id, or by SURT and date); a revisit whose
        original is not indexed is left out."""
        from opensearchpy.exceptions import OpenSearchException

        revisits = [d for d in documents if d.refers_to_surt is not None]
        if not revisits:
            return documents
        by_id: dict[str, tuple[str, str]] = {}
        by_key: dict[tuple[str, datetime], tuple[str, str]] = {}
        for doc in documents:
            if doc.refers_to_surt is None:
                by_id[str(doc.capture_id)] = (doc.title, doc.text)
                by_key[(doc.surt, doc.captured_at)] = (doc.title, doc.text)
        wanted_ids = [
            str(d.refers_to_capture)
            for d in revisits
            if d.refers_to_capture and str(d.refers_to_capture) not in by_id
        ]
        wanted_keys = sorted(
            {
                (d.refers_to_surt, d.refers_to_date)
                for d in revisits
                if not d.refers_to_capture and d.refers_to_surt and d.refers_to_date
            }
        )
        try:
            if wanted_ids:
                answer = await self.client.mget(index=self.index, body={"ids": wanted_ids})
                for found in answer["docs"]:
                    if found.get("found"):
                        source = found["_source"]
                        by_id[found["_id"]] = (source.get("title", ""), source.get("body", ""))
            if wanted_keys:
                exact = [
                    {
                        "bool": {
                            "filter": [
                                {"term": {"surt": surt}},
                                {"term": {"captured_at": when.isoformat()}},
                            ]
                        }
                    }
                    for surt, when in wanted_keys
                ]
                answer = await self.client.search(
                    index=self.index,
                    body={
                        "query": {"bool": {"should": exact, "minimum_should_match": 1}},
                        "size": len(wanted_keys),
                        "_source": ["surt", "captured_at", "title", "body"],
                    },
                )
                for hit in answer["hits"]["hits"]:
                    source = hit["_source"]
                    key = (source["surt"], datetime.fromisoformat(source["captured_at"]))
                    by_key[key] = (source.get("title", ""), source.get("body", ""))
        except (OpenSearchException, OSError) as error:
            raise SearchUnavailable(
                f"OpenSearch at {self.url} could not look up originals: {error}"
            ) from None

        filled = []
        for doc in documents:
            if doc.refers_to_surt is None:
                filled.append(doc)
                continue
            original = by_id.get(str(doc.refers_to_capture)) or by_key.get(
                (doc.refers_to_surt, doc.refers_to_date)
            )
            if original is not None:
                filled.append(dataclasses.replace(doc, title=original[0], text=original[1]))
        return filled

    async def query(self, q: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        from opensearchpy.exceptions import NotFoundError, OpenSearchException

        _check_page(limit, offset)
        q = q.strip()
        if not q:
            return SearchPage(total=0, hits=[])
        body = {
            "query": {
                "multi_match": {
                    "query": q,
                    "fields": ["title^3", "body"],
                    "operator": "and",
                }
            },
            "highlight": {
                "pre_tags": [_START],
                "post_tags": [_STOP],
                "fields": {"body": {"fragment_size": 160, "number_of_fragments": 2}},
            },
            # Newest capture per URL; the total counts URLs, like the database backend.
            "collapse": {"field": "url"},
            "aggs": {"urls": {"cardinality": {"field": "url"}}},
            "sort": ["_score", {"captured_at": "desc"}],
            "from": offset,
            "size": limit,
            "track_total_hits": True,
            "_source": ["url", "title", "captured_at", "body"],
        }
        try:
            answer = await self.client.search(index=self.index, body=body)
        except NotFoundError:
            return SearchPage(total=0, hits=[])
        except (OpenSearchException, OSError) as error:
            raise SearchUnavailable(
                f"OpenSearch at {self.url} failed the query: {error}"
            ) from None
        hits = []
        for hit in answer["hits"]["hits"]:
            source = hit["_source"]
            fragments = hit.get("highlight", {}).get("body") or [source.get("body", "")[:200]]
            hits.append(
                SearchHit(
                    url=source["url"],
                    title=source.get("title") or "",
                    captured_at=datetime.fromisoformat(source["captured_at"]),
                    snippet=safe_snippet(" ... ".join(fragments)),
                )
            )
        total = answer.get("aggregations", {}).get("urls", {}).get("value")
        if total is None:
            total = answer["hits"]["total"]
            total = total["value"] if isinstance(total, dict) else int(total)
        return SearchPage(total=int(total), hits=hits)

    async def close(self) -> None:
        await self.client.close()


def open_search(settings: Settings, pool: asyncpg.Pool) -> DatabaseSearch | OpenSearchSearch:
    """OpenSearch when OPENSEARCH_URL is set, else the database's full-text search."""
    if settings.opensearch_url:
        return OpenSearchSearch(settings.opensearch_url)
    return DatabaseSearch(pool)
