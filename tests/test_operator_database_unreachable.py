"""An unreachable external database is an error that may pass: Ready=False with the reason,
Stalled=False, retried until the database answers, then the cluster converges."""

from __future__ import annotations

import asyncio

from kube_emulator import (
    CLUSTERS,
    NS,
    cluster_manifest,
    converge,
    running_operator,
    secret_manifest,
)
from loopback import free_port


async def test_unreachable_database_is_retried_until_it_answers() -> None:
    port = free_port()
    async with running_operator() as op:
        await op.kubectl.create(
            secret_manifest("db", url=f"postgresql://archive:pw@127.0.0.1:{port}/archive")
        )
        await op.kubectl.create(
            cluster_manifest(database={"external": {"urlSecretRef": {"name": "db", "key": "url"}}})
        )

        def not_ready() -> dict:
            condition = op.condition(CLUSTERS, NS, "main", "Ready")
            return condition if condition.get("reason") == "DatabaseUnreachable" else {}

        condition = await op.eventually(not_ready, "Ready=False, DatabaseUnreachable")
        assert condition["status"] == "False"
        assert f"127.0.0.1:{port}" in condition["message"]
        assert op.condition(CLUSTERS, NS, "main", "Stalled")["status"] == "False"
        assert op.condition(CLUSTERS, NS, "main", "Reconciling")["status"] == "True"
        assert op.status(CLUSTERS, NS, "main")["database"] == {"ready": 0, "total": 1}

        tries = op.reconciler.reconciles
        await op.eventually(lambda: op.reconciler.reconciles >= tries + 3, "retries")

        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
        try:
            status = await converge(op, CLUSTERS, "main")
        finally:
            server.close()
            await server.wait_closed()
        assert status["database"] == {"ready": 1, "total": 1}
