"""The `archivestream` command: one subcommand per job.

For people: `crawl`, `search`, `up`, `migrate`, `crds`. For the cluster's workloads:
`operator`, `crawler`, `api`. Components are imported inside each command so that
`archivestream --help` stays fast and one component's dependencies never load another's.
"""

from __future__ import annotations

import asyncio
import enum
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from archivestream.core import logs
from archivestream.core import settings as settings_module

app = typer.Typer(
    name="archivestream",
    help="Archive the web into WARC files; index, search and replay it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder of the embedded defaults (env ARCHIVESTREAM_DATA_DIR, "
        "default ./archivestream-data).",
    ),
]


class Level(enum.StrEnum):
    """Log levels the --log-level option takes."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


LogLevel = Annotated[
    Level,
    typer.Option("--log-level", case_sensitive=False, help="Least severe events logged."),
]
Port = Annotated[
    int | None,
    typer.Option("--port", min=1, max=65535, help="Port to listen on (default 3001)."),
]
Host = Annotated[
    str | None,
    typer.Option(
        "--host", help="Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)."
    ),
]


def load_settings(
    log_level: Level | str = Level.WARNING, **overrides: Any
) -> settings_module.Settings:
    """Configure logging and read the settings; a bad one ends the process with one line."""
    logs.configure(str(log_level).upper())
    try:
        return settings_module.load(**overrides)
    except settings_module.SettingsError as error:
        typer.echo(f"archivestream: {error}", err=True)
        raise typer.Exit(2) from None


def run(coroutine: Any) -> Any:
    """Run a command's coroutine; a known failure ends with its one-line message."""
    from archivestream.core.errors import UserError

    try:
        return asyncio.run(coroutine)
    except UserError as error:
        typer.echo(f"archivestream: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def crawl(
    urls: Annotated[list[str], typer.Argument(help="Seed URLs (http or https).")],
    max_pages: Annotated[
        int | None,
        typer.Option("--max-pages", min=1, help="Stop after this many pages (default: no limit)."),
    ] = None,
    max_depth: Annotated[
        int, typer.Option("--max-depth", min=0, help="Links followed from a seed.")
    ] = 20,
    include: Annotated[
        list[str] | None,
        typer.Option("--include", help="Regex a URL must match to be in scope (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Regex that puts a URL out of scope (repeatable)."),
    ] = None,
    politeness_delay: Annotated[
        float | None,
        typer.Option(
            "--delay", min=0, help="Seconds between two fetches from one host (default 1)."
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", min=1, help="Fetches in flight at once (default 16)."),
    ] = None,
    per_host_concurrency: Annotated[
        int | None,
        typer.Option(
            "--per-host-concurrency",
            min=1,
            help="Fetches in flight on one host when its delay is 0 (loopback benchmarks).",
        ),
    ] = None,
    user_agent: Annotated[str | None, typer.Option("--user-agent")] = None,
    data_dir: DataDir = None,
    log_level: LogLevel = Level.WARNING,
) -> None:
    """Crawl URLs into WARC files on this machine, then index them; prints a summary."""
    from archivestream.crawler import session

    settings = load_settings(
        log_level,
        data_dir=data_dir,
        politeness_delay=politeness_delay,
        concurrency=concurrency,
        per_host_concurrency=per_host_concurrency,
        user_agent=user_agent,
    )
    code = run(
        session.crawl_command(
            settings,
            urls,
            max_pages=max_pages,
            max_depth=max_depth,
            include=include or [],
            exclude=exclude or [],
        )
    )
    raise typer.Exit(code)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to look for.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 10,
    data_dir: DataDir = None,
    log_level: LogLevel = Level.WARNING,
) -> None:
    """Search the archived pages; prints each match with its replay link."""
    from archivestream.api import search_command

    settings = load_settings(log_level, data_dir=data_dir)
    raise typer.Exit(run(search_command.main(settings, query, limit=limit)))


@app.command()
def up(
    port: Port = None,
    host: Host = None,
    data_dir: DataDir = None,
    log_level: LogLevel = Level.INFO,
) -> None:
    """Run the API and a crawler worker together on the embedded defaults."""
    from archivestream.api import server

    settings = load_settings(log_level, data_dir=data_dir, api_port=port, api_host=host)
    run(server.serve(settings, with_crawler=True))


@app.command()
def api(
    port: Port = None,
    host: Host = None,
    log_level: LogLevel = Level.INFO,
) -> None:
    """Run the archive API (port 3001) against DATABASE_URL and friends."""
    from archivestream.api import server

    settings = load_settings(log_level, api_port=port, api_host=host)
    run(server.serve(settings, with_crawler=False))


@app.command()
def crawler(log_level: LogLevel = Level.INFO) -> None:
    """Run a crawler worker of REGION until stopped (SIGTERM releases its leases)."""
    from archivestream.crawler import worker

    settings = load_settings(log_level)
    run(worker.run_forever(settings))


@app.command()
def migrate(data_dir: DataDir = None, log_level: LogLevel = Level.INFO) -> None:
    """Apply the database migrations not yet applied; safe to run twice, or twice at once."""
    from archivestream.core import database

    settings = load_settings(log_level, data_dir=data_dir)

    async def apply() -> list[str]:
        pool = await database.create_pool(settings)
        try:
            return await database.migrate(pool)
        finally:
            await pool.close()

    applied = run(apply())
    typer.echo(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none needed'}")


CHART_CRDS = Path("charts/archivestream-operator/crds")


@app.command()
def crds(
    output: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder to write the CRD YAML into (repeatable). Default: crds/, and the "
            "chart's crds/ when run from a checkout.",
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when the files differ from the models.")
    ] = False,
) -> None:
    """Write the CustomResourceDefinitions generated from the operator's models."""
    from archivestream.operator import crds as crd_module

    folders = output or [Path("crds"), *([CHART_CRDS] if CHART_CRDS.is_dir() else [])]
    stale = [
        f"{folder / name}" for folder in folders for name in crd_module.write(folder, check=check)
    ]
    if check and stale:
        typer.echo(f"stale CRDs: {', '.join(stale)}; run `archivestream crds`", err=True)
        raise typer.Exit(1)
    for name in stale:
        typer.echo(f"wrote {name}")


@app.command()
def operator(
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", "-n", help="Namespaces to watch (default: all)."),
    ] = None,
    peering: Annotated[
        str | None,
        typer.Option(
            help="kopf peering object to join; makes peering mandatory "
            "(default: archivestream-operator when the peering CRDs exist, else alone)."
        ),
    ] = None,
    standalone: Annotated[
        bool, typer.Option("--standalone", help="Run without kopf peering.")
    ] = False,
    liveness: Annotated[
        str, typer.Option(help="URL kopf answers the liveness probe on.")
    ] = "http://0.0.0.0:8080/healthz",
    priority: Annotated[int, typer.Option(help="kopf peering priority.")] = 0,
    log_level: LogLevel = Level.INFO,
) -> None:
    """Run the Kubernetes operator (kopf) reconciling ArchiveCluster and CrawlRegion."""
    from archivestream.operator import main as operator_main

    if peering and standalone:
        raise typer.BadParameter("--peering and --standalone exclude each other; pick one")
    logs.configure(log_level.value)
    operator_main.run(
        namespaces=namespace or [],
        peering=peering,
        standalone=standalone,
        liveness=liveness,
        priority=priority,
    )


def main() -> None:
    """Console-script entry point."""
    app(prog_name="archivestream")


if __name__ == "__main__":
    sys.exit(main())
