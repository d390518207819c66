-- Regions and their workers' heartbeats; a stale region's hosts are taken over.
CREATE TABLE IF NOT EXISTS regions (
    name TEXT PRIMARY KEY,
    last_heartbeat TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_heartbeat TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS workers_region ON workers (region, last_heartbeat);
