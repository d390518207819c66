-- robots.txt failures per host (5xx, timeout, network): when the current run of
-- failures began, when the last one was and how many there were, so every worker backs
-- the host off alike and gives its URLs up once robots.txt has failed for too long.
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS robots_failing_since TIMESTAMPTZ;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS robots_failed_at TIMESTAMPTZ;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS robots_failures INT NOT NULL DEFAULT 0;
