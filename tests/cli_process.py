"""The `archivestream` command as a user runs it: a child process of this Python with the
environment the test gives, its output captured."""

from __future__ import annotations

import asyncio
import subprocess
import sys

COMMAND = (sys.executable, "-m", "archivestream.core.cli")


def run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`archivestream <args>` to its end; stdout and stderr as text."""
    return subprocess.run(
        [*COMMAND, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


async def start(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`archivestream <args>` started, stdout and stderr piped; the caller waits for it."""
    return await asyncio.create_subprocess_exec(
        *COMMAND,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
