-- What operators look at: closed WARC files and the outcome of each fetch attempt.
CREATE TABLE IF NOT EXISTS warc_files (
    filename TEXT PRIMARY KEY,
    location TEXT NOT NULL,
    region TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    records INT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE frontier ADD COLUMN IF NOT EXISTS http_status INT;
ALTER TABLE frontier ADD COLUMN IF NOT EXISTS fetch_ms INT;
ALTER TABLE frontier ADD COLUMN IF NOT EXISTS finished_at TIMESTAMPTZ;
