-- The frontier: a URL once per crawl, keyed by its SURT; and the hosts it is fetched from.
CREATE TABLE IF NOT EXISTS frontier (
    crawl_id UUID NOT NULL,
    surt TEXT NOT NULL,
    url TEXT NOT NULL,
    host TEXT NOT NULL,
    region TEXT NOT NULL,
    depth INT NOT NULL DEFAULT 0,
    priority INT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ,
    via TEXT,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (crawl_id, surt)
);
CREATE INDEX IF NOT EXISTS frontier_claimable
    ON frontier (region, status, host, next_attempt_at, priority);
CREATE INDEX IF NOT EXISTS frontier_crawl_status ON frontier (crawl_id, status);

-- Per-host politeness: when the host may next be fetched, and who holds it now.
CREATE TABLE IF NOT EXISTS hosts (
    host TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    next_allowed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    crawl_delay DOUBLE PRECISION,
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS hosts_region ON hosts (region, next_allowed_at);
