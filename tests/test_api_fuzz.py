"""schemathesis fuzzes the live API from its OpenAPI document: whatever it sends,
the answer is never a server error (5xx) and always one the document describes."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import archived_samples
import pytest
from archived_samples import Sample, at

SAMPLES = [
    Sample("http://example.com/", at("20240101000000"), b"<a href='/x'>x</a>", title="Home"),
    Sample("http://example.com/x", at("20240102000000"), b"<p>x</p>", title="X"),
]


def schemathesis_command() -> list[str]:
    found = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    return [found]


async def test_no_input_makes_the_api_answer_5xx(pool, settings) -> None:
    await archived_samples.archive(pool, settings, SAMPLES)
    settings = settings.model_copy(update={"api_rate_limit": 0})
    async with archived_samples.serving(pool, settings) as client:
        schema_url = str(client.make_url("/openapi.json"))
        process = await asyncio.create_subprocess_exec(
            *schemathesis_command(),
            "run",
            schema_url,
            "--checks",
            # No 5xx, and every answer is one the document lists, in its media type and
            # schema.
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--max-examples",
            "30",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-deterministic",
            # One worker: hypothesis describes filter lambdas with ast.parse, which CPython
            # 3.11 cannot run in two threads at once ("AST constructor recursion depth
            # mismatch"), failing a random operation as a runtime error.
            "--workers",
            "1",
            "--no-color",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0, text[-6000:]
    assert " passed" in text


pytestmark = pytest.mark.timeout(300)
