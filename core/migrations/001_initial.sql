-- Crawl jobs, captures, payload digests and the search documents of the embedded search.
CREATE TABLE IF NOT EXISTS crawls (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    seeds JSONB NOT NULL,
    max_pages INT,
    max_depth INT NOT NULL DEFAULT 20,
    scope JSONB NOT NULL DEFAULT '{}'::JSONB,
    region TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);

-- One row per WARC record that holds a capture (response or revisit).
CREATE TABLE IF NOT EXISTS captures (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    crawl_id UUID NOT NULL,
    surt TEXT NOT NULL,
    url TEXT NOT NULL,
    captured_at TIMESTAMPTZ NOT NULL,
    mime TEXT,
    status INT,
    digest TEXT,
    length BIGINT NOT NULL,
    "offset" BIGINT NOT NULL,
    filename TEXT NOT NULL,
    record_type TEXT NOT NULL DEFAULT 'response',
    refers_to_url TEXT,
    refers_to_date TIMESTAMPTZ,
    region TEXT
);
CREATE INDEX IF NOT EXISTS captures_surt_time ON captures (surt, captured_at);
CREATE INDEX IF NOT EXISTS captures_crawl ON captures (crawl_id);

-- The first stored copy of each payload, for revisit records.
CREATE TABLE IF NOT EXISTS payload_digests (
    digest TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    captured_at TIMESTAMPTZ NOT NULL,
    filename TEXT NOT NULL,
    "offset" BIGINT NOT NULL,
    length BIGINT NOT NULL
);

-- The embedded search: one document per HTML capture.
CREATE TABLE IF NOT EXISTS search_documents (
    capture_id UUID PRIMARY KEY,
    url TEXT NOT NULL,
    surt TEXT NOT NULL,
    captured_at TIMESTAMPTZ NOT NULL,
    title TEXT,
    body TEXT,
    tsv TSVECTOR
);
CREATE INDEX IF NOT EXISTS search_documents_tsv ON search_documents USING GIN (tsv);
