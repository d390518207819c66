"""`archivestream operator`: kopf run with peering, a liveness endpoint and Prometheus metrics.

Run ONE replica (the Helm chart does, with the Recreate strategy). kopf's peering (a
KopfPeering object named `archivestream-operator` in each watched namespace, or a
ClusterKopfPeering when watching all) is not leader election: operators of equal priority
that see each other all pause, and one of higher priority pauses the others. It guards
against a second operator started by mistake, not for high availability. Without kopf's
peering CRDs the operator runs alone; `--peering=NAME` makes peering mandatory,
`--standalone` turns it off, `--priority=N` sets this operator's priority. kopf answers the
liveness probe on `--liveness` (default `http://0.0.0.0:8080/healthz`); the operator's
metrics are served on `OPERATOR_METRICS_PORT` (default 8081).
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


def run(
    namespaces: list[str],
    *,
    peering: str | None = None,
    standalone: bool = False,
    liveness: str = LIVENESS,
    priority: int = 0,
) -> None:
    """Run the operator until SIGTERM; watches `namespaces`, or all when empty."""
    registry, reconciler = handlers.build(handlers.Options())
    settings = kopf.OperatorSettings()
    configure(settings)

    port = int(os.environ.get("OPERATOR_METRICS_PORT", "8081"))
    prometheus_client.start_http_server(port)
    RECONCILES.set_function(lambda: reconciler.reconciles)
    API_REQUESTS.set_function(lambda: reconciler.api.requests)

    # None, not False, without --standalone: kopf then peers when the peering CRDs are
    # installed, and otherwise runs alone (settings.peering.mandatory is off); False would
    # wait for them forever. An explicit --peering makes peering mandatory (kopf's rule).
    standalone_flag = True if standalone else None
    log.info(
        "operator starting",
        namespaces=namespaces or "all",
        peering="none" if standalone_flag else peering or f"{PEERING_NAME} (when installed)",
        liveness=liveness,
        metrics_port=port,
    )
    asyncio.run(
        kopf.operator(
            registry=registry,
            settings=settings,
            clusterwide=not namespaces,
            namespaces=namespaces,
            standalone=standalone_flag,
            peering_name=peering,
            priority=priority,
            liveness_endpoint=liveness,
        )
    )
