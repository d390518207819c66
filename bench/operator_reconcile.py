"""Benchmark of the operator's reconcile: one ArchiveCluster and three CrawlRegions (the
three-region example) against kmock's Kubernetes emulator, the operator in-process.

    python bench/operator_reconcile.py

Prints: the time from apply to the cluster's first-stage children created (no controller
has reported anything yet), the time to every child created (a region's crawlers wait for
the schema: the migrations Job done), the time to every resource Ready with a controller
stand-in that answers at once, and the API calls of a first reconcile and of a
steady-state reconcile
(target: no writes, and with the watch cache no reads either).
Reconciles called directly run with no controller stand-in, so regions wait for the schema.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
import time
from pathlib import Path

import kmock
import kopf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import kube_emulator  # noqa: E402
from test_operator_three_regions import REGION_NAMES, example_manifests  # noqa: E402

from archivestream.core import logs  # noqa: E402
from archivestream.operator import apiserver, reconciler  # noqa: E402

NS = kube_emulator.NS


def calls(server: kube_emulator.ApiServer, since: int, agent: str) -> collections.Counter:
    counter: collections.Counter = collections.Counter()
    for request in list(server._requests)[since:]:
        if request.headers.get("User-Agent", "").startswith(agent):
            counter[str(request.method.value).upper()] += 1
    return counter


def show(label: str, counter: collections.Counter) -> str:
    reads = counter["GET"]
    writes = counter["POST"] + counter["PATCH"] + counter["DELETE"]
    detail = ", ".join(f"{method} {n}" for method, n in sorted(counter.items()))
    return f"{label}: {reads + writes} calls, {reads} reads, {writes} writes ({detail or 'none'})"


def children_created(op: kube_emulator.Operator, *, regions: bool) -> bool:
    owners = [op.server.live(kube_emulator.CLUSTERS, NS, "main")]
    if regions:
        owners += [op.server.live(kube_emulator.REGIONS, NS, name) for name in REGION_NAMES]
    return all(obj and op.children_of(NS, obj["metadata"]["uid"]) for obj in owners)


async def with_operator() -> None:
    """Apply, watch the children appear and converge, then sit in the steady state."""
    async with kube_emulator.running_operator(resync_interval=0.5) as op:
        start = time.perf_counter()
        for manifest in example_manifests():
            await op.kubectl.create(manifest)
        await op.eventually(lambda: children_created(op, regions=False), "first children")
        created = time.perf_counter() - start

        await kube_emulator.converge(op, kube_emulator.CLUSTERS, "main")
        await op.eventually(lambda: children_created(op, regions=True), "every child")
        all_created = time.perf_counter() - start
        for name in REGION_NAMES:
            await kube_emulator.converge(op, kube_emulator.REGIONS, name)
        await op.eventually(
            lambda: (
                op.status(kube_emulator.CLUSTERS, NS, "main").get("regions")
                == {"ready": 3, "total": 3}
            ),
            "every region counted",
        )
        ready = time.perf_counter() - start
        total = calls(op.server, 0, "archivestream-operator")
        kopf_total = calls(op.server, 0, "kopf")
        children = sum(
            len(op.children_of(NS, obj["metadata"]["uid"]))
            for obj in [op.server.live(kube_emulator.CLUSTERS, NS, "main")]
            + [op.server.live(kube_emulator.REGIONS, NS, n) for n in REGION_NAMES]
        )

        await op.quiet(1.0)
        mark, reconciles = len(list(op.server._requests)), op.reconciler.reconciles
        await op.quiet(5.0)
        steady = calls(op.server, mark, "archivestream-operator")
        steady_kopf = calls(op.server, mark, "kopf")
        steady_reconciles = op.reconciler.reconciles - reconciles

    print(f"apply -> the cluster's first-stage children created: {created * 1000:.0f} ms")
    print(f"apply -> every child created, crawlers after the schema: {all_created * 1000:.0f} ms")
    print(f"apply -> everything Ready (controllers answering at once): {ready * 1000:.0f} ms")
    print(f"owned children in the end: {children}")
    print(show("operator, apply to Ready", total))
    print(show("kopf itself, apply to Ready", kopf_total))
    print(f"steady state, 5 s with a 0.5 s resync: {steady_reconciles} reconciles")
    print(show("  operator", steady))
    print(show("  kopf", steady_kopf))


async def single_reconciles() -> None:
    """One reconcile at a time, called directly, on a cold and then a warm cache."""
    async with kube_emulator.ApiServer() as server, kmock.Server(server) as http:
        url = str(http.url).rstrip("/")
        runner = reconciler.Reconciler(apiserver.ApiClient(), reconciler.Options())
        runner.api.connect(kopf.ConnectionInfo(server=url))
        kubectl = kube_emulator.Kubectl(url)
        try:
            for manifest in example_manifests():
                await kubectl.create(manifest)

            async def measure(label: str) -> None:
                mark = len(list(server._requests))
                await runner.cluster(NS, "main")
                print(show(f"{label} ArchiveCluster", calls(server, mark, "archivestream")))
                mark = len(list(server._requests))
                waiting = 0
                for name in REGION_NAMES:
                    try:
                        await runner.region(NS, name)
                    except kopf.TemporaryError:
                        waiting += 1  # no schema yet: nothing to build, retried later
                note = f" ({waiting} waiting for the schema)" if waiting else ""
                counted = calls(server, mark, "archivestream")
                print(show(f"{label} 3 CrawlRegions", counted) + note)

            await measure("first reconcile,")
            await measure("second reconcile (regions now counted),")
            await measure("third reconcile (nothing changed),")
        finally:
            await runner.stop()
            await kubectl.close()


def main() -> None:
    logs.configure("ERROR")
    logging.getLogger("kopf").setLevel(logging.CRITICAL)
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    asyncio.run(with_operator())
    asyncio.run(single_reconciles())


if __name__ == "__main__":
    main()
