"""How a long-running command is asked to stop: SIGTERM (Kubernetes, a scale-down) or
SIGINT (Ctrl-C) sets one event that the command's loops watch, so they finish what is in
flight instead of dying mid-write."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_event() -> Iterator[asyncio.Event]:
    """An event set by SIGTERM or SIGINT while the block runs; the handlers go with it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in SIGNALS:
            loop.remove_signal_handler(signum)
