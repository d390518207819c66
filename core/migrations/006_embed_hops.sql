-- Embeds fetched one from another since the last page (a stylesheet importing another):
-- bounded by the crawler, so a site that makes up new stylesheet or frame URLs forever
-- cannot keep a crawl going at one depth.
ALTER TABLE frontier ADD COLUMN IF NOT EXISTS embed_hops INT NOT NULL DEFAULT 0;
