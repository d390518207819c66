"""`archivestream operator` runs as a process: logs in with a kubeconfig, runs without the
peering CRDs, answers its liveness probe, serves metrics and reconciles."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import kmock
from kube_emulator import CLUSTERS, NS, ApiServer, Kubectl, cluster_manifest
from loopback import free_port


async def wait_for(check, what: str, within: float = 20.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        try:
            value = await check()
        except aiohttp.ClientError:
            value = None
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


async def test_operator_command_reconciles_and_reports_health(tmp_path: Path) -> None:
    async with ApiServer() as server, kmock.Server(server) as http:
        url = str(http.url).rstrip("/")
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: emulator\n"
            f"clusters: [{{name: emulator, cluster: {{server: '{url}'}}}}]\n"
            "users: [{name: me, user: {}}]\n"
            "contexts: [{name: emulator, context: {cluster: emulator, user: me}}]\n"
        )
        liveness, metrics = free_port(), free_port()
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "OPERATOR_METRICS_PORT": str(metrics)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from archivestream.core.cli import main; main()",
            "operator", "--log-level", "INFO",  # all namespaces: kmock 0.8 cannot list namespaces
            f"--liveness=http://127.0.0.1:{liveness}/healthz",
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        kubectl = Kubectl(url)
        try:
            async with aiohttp.ClientSession() as session:

                async def live() -> bool:
                    async with session.get(f"http://127.0.0.1:{liveness}/healthz") as answer:
                        return answer.status == 200

                await wait_for(live, "the liveness probe answering")
                await kubectl.create(cluster_manifest())
                await wait_for(
                    lambda: asyncio.sleep(0, server.live(CLUSTERS, NS, "main").get("status")),
                    "a status written by the operator process",
                )

                async def reconciles() -> bool:
                    async with session.get(f"http://127.0.0.1:{metrics}/metrics") as answer:
                        text = await answer.text()
                    return "archivestream_operator_reconciles " in text and any(
                        line.startswith("archivestream_operator_reconciles ")
                        and float(line.split()[1]) >= 1
                        for line in text.splitlines()
                    )

                await wait_for(reconciles, "the reconciles metric")
            assert process.returncode is None, "the operator exited"
        finally:
            await kubectl.close()
            if process.returncode is None:
                process.terminate()
            _, errors = await asyncio.wait_for(process.communicate(), 30)
        assert b"Traceback" not in errors, errors.decode()[-2000:]
