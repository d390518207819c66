"""Crawl a real local site with `archivestream crawl` and with `wget --warc-file`, side by side.

Run by hand, one command (needs Debian's nginx-light, wget and python3.11-doc):

    python bench/crawl_vs_wget.py

It serves the Python 3.11 HTML documentation with nginx on 127.0.0.1, then, in one run:
1. wget --recursive --page-requisites --warc-file: wall time, responses, peak RSS, WARC bytes;
2. archivestream crawl as a user runs it (robots.txt, deduplication and indexing on, only the
   per-host delay at zero): responses per second from its first request to its last WARC
   file closed and indexed (read back from the capture index), peak RSS of the crawler
   process and, apart, of the embedded PostgreSQL, and the database's start-up time;
3. the same crawl again on the unchanged site: the share of payloads stored as revisits.

It prints a table and the ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import psutil
from warcio.archiveiterator import ArchiveIterator

from archivestream.core import embedded

DEFAULT_SITE = Path("/usr/share/doc/python3.11/html")
# An empty body (a redirect, say) is never worth a revisit record.
EMPTY_PAYLOAD_DIGEST = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"

NGINX_CONF = """
worker_processes 1;
daemon off;
error_log {work}/nginx-error.log;
pid {work}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  include /etc/nginx/mime.types;
  client_body_temp_path {work}/nginx-tmp;
  proxy_temp_path {work}/nginx-tmp;
  fastcgi_temp_path {work}/nginx-tmp;
  uwsgi_temp_path {work}/nginx-tmp;
  scgi_temp_path {work}/nginx-tmp;
  server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_nginx(work: Path, site: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    (work / "nginx-tmp").mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, port=port, root=site))
    process = subprocess.Popen(["nginx", "-c", str(conf)])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nginx did not start; see nginx-error.log")


class PeakMemory:
    """Samples the RSS of a process and, apart, of the embedded PostgreSQL's processes."""

    def __init__(self, pid: int, pgdata: Path | None) -> None:
        self.pid = pid
        self.pgdata = str(pgdata) if pgdata else None
        self.process_peak = 0
        self.postgres_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tree = psutil.Process(self.pid)
                rss = tree.memory_info().rss
                self.process_peak = max(self.process_peak, rss)
            except psutil.Error:
                pass
            if self.pgdata:
                total = 0
                for proc in psutil.process_iter(["name", "cmdline", "memory_info"]):
                    cmdline = " ".join(proc.info.get("cmdline") or [])
                    if proc.info.get("name") == "postgres" and self.pgdata in cmdline:
                        total += self._postgres_tree(proc)
                self.postgres_peak = max(self.postgres_peak, total)
            self._stop.wait(0.05)

    @staticmethod
    def _postgres_tree(proc: psutil.Process) -> int:
        total = 0
        try:
            for member in [proc, *proc.children(recursive=True)]:
                total += member.memory_info().rss
        except psutil.Error:
            pass
        return total


def run_wget(work: Path, url: str) -> dict[str, float]:
    folder = work / "wget"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    warc = folder / "site"
    began = time.monotonic()
    process = subprocess.Popen(
        [
            "wget",
            "--quiet",
            "--recursive",
            "--page-requisites",
            "--no-parent",
            f"--warc-file={warc}",
            "--directory-prefix",
            str(folder / "mirror"),
            url,
        ],
    )
    with PeakMemory(process.pid, None) as memory:
        process.wait()
    elapsed = time.monotonic() - began
    warc_path = folder / "site.warc.gz"
    responses = 0
    with warc_path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            responses += record.rec_type == "response"
    return {
        "seconds": elapsed,
        "responses": responses,
        "rss_mb": memory.process_peak / 2**20,
        "warc_bytes": warc_path.stat().st_size,
    }


async def crawl_figures(data_dir: Path) -> list[dict[str, object]]:
    server = await asyncio.to_thread(embedded.start, data_dir)
    conn = await asyncpg.connect(server.url("archivestream"))
    try:
        rows = await conn.fetch(
            """
            SELECT c.id,
                   count(cap.*) AS captures,
                   count(cap.*) FILTER (WHERE cap.record_type = 'revisit') AS revisits,
                   count(cap.*) FILTER (WHERE cap.record_type = 'revisit'
                                         OR (cap.digest IS NOT NULL
                                             AND cap.digest <> $1 AND EXISTS (
                       SELECT 1 FROM captures earlier
                       WHERE earlier.digest = cap.digest AND earlier.crawl_id <> c.id
                         AND earlier.captured_at < cap.captured_at))) AS unchanged,
                   min(cap.captured_at) AS first_capture
            FROM crawls c LEFT JOIN captures cap ON cap.crawl_id = c.id
            GROUP BY c.id, c.created_at ORDER BY c.created_at
            """,
            EMPTY_PAYLOAD_DIGEST,
        )
        figures = []
        for row in rows:
            closed = await conn.fetchval(
                "SELECT max(w.closed_at) FROM warc_files w WHERE w.filename IN "
                "(SELECT DISTINCT filename FROM captures WHERE crawl_id = $1)",
                row["id"],
            )
            wbytes = await conn.fetchval(
                "SELECT coalesce(sum(w.bytes), 0) FROM warc_files w WHERE w.filename IN "
                "(SELECT DISTINCT filename FROM captures WHERE crawl_id = $1)",
                row["id"],
            )
            seconds = (closed - row["first_capture"]).total_seconds() if closed else None
            figures.append(
                {
                    "captures": row["captures"],
                    "revisits": row["revisits"],
                    "unchanged": row["unchanged"],
                    "seconds": seconds,
                    "warc_bytes": int(wbytes),
                }
            )
        return figures
    finally:
        await conn.close()


def run_crawl(work: Path, url: str, extra: list[str]) -> dict[str, float]:
    data_dir = work / "archivestream-data"
    env = dict(os.environ, ARCHIVESTREAM_DATA_DIR=str(data_dir))
    command = [
        sys.executable,
        "-m",
        "archivestream.core.cli",
        "crawl",
        url,
        "--delay",
        "0",
        "--log-level",
        "INFO",
        *extra,
    ]
    began = time.monotonic()
    log_path = work / "crawl.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        with PeakMemory(process.pid, data_dir / "postgres") as memory:
            process.wait()
    elapsed = time.monotonic() - began
    if process.returncode != 0:
        raise SystemExit(f"archivestream crawl exited {process.returncode}; see {log_path}")
    startup = None
    for line in log_path.read_text().splitlines():
        if line.startswith("{") and "embedded database ready" in line:
            startup = json.loads(line).get("seconds")
    return {
        "process_seconds": elapsed,
        "rss_mb": memory.process_peak / 2**20,
        "postgres_rss_mb": memory.postgres_peak / 2**20,
        "db_startup_seconds": startup or float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE, help="folder to serve")
    parser.add_argument("--start", default="/index.html", help="path of the seed")
    parser.add_argument(
        "--crawl-args",
        default="--concurrency 32 --per-host-concurrency 32",
        help="extra flags for archivestream crawl",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if not args.site.is_dir():
        raise SystemExit(f"{args.site} is not a folder: apt-get install python3.11-doc")
    for tool in ("nginx", "wget"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install nginx-light wget")

    work = Path(tempfile.mkdtemp(prefix="archivestream-bench-"))
    nginx, port = start_nginx(work, args.site)
    url = f"http://127.0.0.1:{port}{args.start}"
    try:
        wget = run_wget(work, url)
        first = run_crawl(work, url, args.crawl_args.split())
        second = run_crawl(work, url, args.crawl_args.split())
        figures = asyncio.run(crawl_figures(work / "archivestream-data"))
    finally:
        nginx.terminate()
        nginx.wait()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    crawl1, crawl2 = figures[0], figures[-1]
    ours_rate = crawl1["captures"] / crawl1["seconds"] if crawl1["seconds"] else float("nan")
    wget_rate = wget["responses"] / wget["seconds"]
    print(f"site: {args.site} via nginx on 127.0.0.1")
    print(f"{'':34}{'wget':>14}{'archivestream':>16}")
    print(f"{'responses':34}{wget['responses']:>14}{crawl1['captures']:>16}")
    label = "seconds (first fetch to indexed)"
    print(f"{label:34}{wget['seconds']:>14.2f}{crawl1['seconds']:>16.2f}")
    print(f"{'responses per second':34}{wget_rate:>14.0f}{ours_rate:>16.0f}")
    print(f"{'peak RSS of the crawler (MB)':34}{wget['rss_mb']:>14.1f}{first['rss_mb']:>16.1f}")
    print(f"{'WARC bytes':34}{wget['warc_bytes']:>14}{crawl1['warc_bytes']:>16}")
    print(f"ratio of responses per second (archivestream / wget): {ours_rate / wget_rate:.1f}x")
    print(
        f"archivestream crawl process, whole: {first['process_seconds']:.2f} s; "
        f"embedded PostgreSQL: start-up {first['db_startup_seconds']:.2f} s, "
        f"peak RSS {first['postgres_rss_mb']:.0f} MB"
    )
    share = crawl2["revisits"] / crawl2["unchanged"] if crawl2["unchanged"] else float("nan")
    print(
        f"second crawl of the unchanged site: {crawl2['captures']} captures, "
        f"{crawl2['revisits']} revisits of {crawl2['unchanged']} unchanged payloads "
        f"({share:.0%} deduplicated), WARC bytes {crawl2['warc_bytes']}, "
        f"peak RSS {second['rss_mb']:.1f} MB"
    )


if __name__ == "__main__":
    main()
