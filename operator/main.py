"""`archivestream operator`: kopf run with peering, a liveness endpoint and Prometheus metrics.

Several replicas of the operator may run; kopf's peering (a KopfPeering object named
`archivestream-operator` in each watched namespace, or a ClusterKopfPeering when watching
all) lets one of them act and keeps the others on standby. Without kopf's peering CRDs the
operator runs alone; `--peering=NAME` makes peering mandatory, `--standalone` turns it off.
kopf answers the liveness probe on `--liveness` (default `http://0.0.0.0:8080/healthz`);
the operator's metrics are served on `OPERATOR_METRICS_PORT` (default 8081). Also read:
`--priority=N`.
"""

from __future__ import annotations

import asyncio
import logging
import os

import kopf
import prometheus_client
import structlog

from archivestream.operator import handlers

log = structlog.get_logger("archivestream.operator")

PEERING_NAME = "archivestream-operator"
LIVENESS = "http://0.0.0.0:8080/healthz"

RECONCILES = prometheus_client.Gauge(
    "archivestream_operator_reconciles", "Reconciles run since the operator started."
)
API_REQUESTS = prometheus_client.Gauge(
    "archivestream_operator_api_requests",
    "Requests the reconcile path made to the Kubernetes API since the operator started.",
)


def configure(settings: kopf.OperatorSettings) -> None:
    """kopf settings the operator relies on, shared by the command and the tests."""
    settings.peering.name = PEERING_NAME
    settings.peering.mandatory = False  # without the peering CRDs, run alone and say so
    settings.posting.level = logging.INFO
    settings.posting.loggers = False  # only the operator's own Events, not every log line
    settings.persistence.finalizer = f"{handlers.models.GROUP}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix=handlers.models.GROUP
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=handlers.models.GROUP
    )
    settings.watching.server_timeout = 300
    settings.queueing.error_delays = [1, 2, 5, 10, 30]
    settings.execution.max_workers = 4


def _option(extra_args: list[str], name: str) -> str | None:
    for index, arg in enumerate(extra_args):
        if arg == name and index + 1 < len(extra_args):
            return extra_args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def run(namespaces: list[str], extra_args: list[str]) -> None:
    """Run the operator until SIGTERM; watches `namespaces`, or all when empty."""
    registry, reconciler = handlers.build(handlers.Options())
    settings = kopf.OperatorSettings()
    configure(settings)

    port = int(os.environ.get("OPERATOR_METRICS_PORT", "8081"))
    prometheus_client.start_http_server(port)
    RECONCILES.set_function(lambda: reconciler.reconciles)
    API_REQUESTS.set_function(lambda: reconciler.api.requests)

    # None, not False: kopf then peers when the peering CRDs are installed, and otherwise
    # runs alone (settings.peering.mandatory is off); False would wait for them forever.
    standalone = True if "--standalone" in extra_args else None
    # An explicit --peering makes peering mandatory (kopf's rule); by default the operator
    # peers through `archivestream-operator` when the peering CRDs exist, else runs alone.
    peering = _option(extra_args, "--peering")
    priority = int(_option(extra_args, "--priority") or 0)
    liveness = _option(extra_args, "--liveness") or LIVENESS
    log.info(
        "operator starting",
        namespaces=namespaces or "all",
        peering="none" if standalone else peering or f"{PEERING_NAME} (when installed)",
        liveness=liveness,
        metrics_port=port,
    )
    asyncio.run(
        kopf.operator(
            registry=registry,
            settings=settings,
            clusterwide=not namespaces,
            namespaces=namespaces,
            standalone=standalone,
            peering_name=peering,
            priority=priority,
            liveness_endpoint=liveness,
        )
    )
