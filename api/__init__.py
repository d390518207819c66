"""The archive API: an aiohttp application serving crawl requests, search, the capture
index (CDX), replay with Memento headers, TimeMaps, health and Prometheus metrics."""
