"""The crawler: frontier, fetching, robots.txt, scope, WARC writing, storage and the
capture index. Modules are imported whole (`frontier.claim(...)`)."""
