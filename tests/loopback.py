"""Ports on 127.0.0.1 for tests that start a server of their own, or need an address
where nothing listens (a store or search engine that is gone)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
