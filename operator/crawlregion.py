"""The reconcile of a CrawlRegion: its crawler Deployment and its autoscaler.

Stalled while its ArchiveCluster is absent or a Secret it needs is missing. The crawlers
run the version whose migrations have completed, the ArchiveCluster's `status.version`:
during an upgrade they keep the old image until the new schema is in place, and a new
cluster's region writes nothing (Reconciling=True, reason SchemaNotReady) until its
database is up and its first migrations have run, instead of crash-looping. While an
autoscaler (an HPA, or a KEDA ScaledObject when KEDA is installed) moves the workers, the
Deployment's replicas are set on creation only and never written again; with
`workers.replicas` set there is no autoscaler and the Deployment runs exactly that many.
Desired and current workers and the frontier depth come from the autoscaler's HPA status.
"""

from __future__ import annotations

from typing import Any

import structlog

from archivestream.operator import builders, conditions, events, models, reconciler, status
from archivestream.operator.builders import autoscaling, crawler, rollout

log = structlog.get_logger("archivestream.operator")


async def reconcile(
    runner: reconciler.Reconciler, body: dict[str, Any]
) -> tuple[reconciler.Result, str | None]:
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    generation = int(body["metadata"].get("generation") or 0)
    old = (body.get("status") or {}).get("conditions")
    result = reconciler.Result()
    if reconciler.paused(body):
        # Honoured before anything else, even on a spec that does not parse.
        log.info("paused", kind="CrawlRegion", namespace=namespace, name=name)
        return reconciler.Result(paused=True), None
    cluster: models.ArchiveCluster | None = None
    cluster_name: str | None = None
    schema_version: str | None = None

    try:
        region = models.CrawlRegion.from_body(body)
    except models.SpecError as error:
        result.blocker = conditions.Blocker("stalled", "InvalidSpec", str(error))
        region = None

    if region is not None:
        cluster_name = region.spec.cluster_ref.name
        cluster_body = await runner.read(reconciler.CLUSTERS, namespace, cluster_name)
        if cluster_body is None:
            result.blocker = conditions.Blocker(
                "stalled",
                "ClusterNotFound",
                f"ArchiveCluster {cluster_name!r} named by spec.clusterRef does not exist "
                f"in namespace {namespace!r}; create it or fix spec.clusterRef.name",
            )
        else:
            schema_version = (cluster_body.get("status") or {}).get("version")
            try:
                cluster = models.ArchiveCluster.from_body(cluster_body)
            except models.SpecError as error:
                result.blocker = conditions.Blocker(
                    "stalled", "ClusterInvalid", f"ArchiveCluster {cluster_name!r}: {error}"
                )

    secrets: rollout.SecretData = {}
    if region is not None and cluster is not None and result.blocker is None:
        secrets = await runner.read_secrets(namespace, builders.secrets_to_read(cluster, region))
        problems = builders.secret_problems(builders.required_secrets(cluster, region), secrets)
        result.blocker = runner.secret_blocker(problems)

    autoscaled = region is not None and region.spec.workers.autoscaling
    if region is not None and cluster is not None and result.blocker is None:
        keda_available = autoscaled and await runner.keda_installed()
        try:
            desired = builders.region_children(
                region,
                cluster,
                secrets=secrets,
                keda_available=keda_available,
                version=schema_version,
            )
        except models.SpecError as error:
            result.blocker = conditions.Blocker("stalled", "InvalidSpec", str(error))
            desired = []
        if result.blocker is None and schema_version is None:
            # Crawlers without a schema crash-loop: the cluster's status.version appears
            # once its database is up and its first migrations have run; that status
            # write brings this region's reconcile forward.
            result.blocker = conditions.Blocker(
                "waiting",
                "SchemaNotReady",
                f"ArchiveCluster {cluster.name!r} has no schema yet (its database or first "
                "migrations are not ready); the crawlers start once they are",
            )
            desired = []

        def create_only(manifest: dict[str, Any]) -> list[tuple[str, ...]]:
            # While an autoscaler moves the workers, their number is never written back.
            if autoscaled and manifest["kind"] == "Deployment":
                return [("spec", "replicas")]
            return []

        await runner.ensure_all(body, desired, result, create_only)
        if result.blocker is None:
            await runner.prune(body, desired)

    live_children = [outcome.live for outcome in result.outcomes]
    autoscaler_status: dict[str, Any] | None = None
    if region is not None and cluster is not None and autoscaled:
        hpa = next((c for c in live_children if c["kind"] == "HorizontalPodAutoscaler"), None)
        if hpa is None and any(o.kind == "ScaledObject" for o in result.outcomes):
            # KEDA drives an HPA of its own under the crawler's name; its status is ours.
            hpa = await runner.read(
                "autoscaling/v2/horizontalpodautoscalers",
                namespace,
                crawler.name(region, cluster),
            )
        if hpa is not None:
            autoscaler_status = autoscaling.read_status(hpa)
    summary = status.region_summary(
        live_children,
        autoscaling=autoscaled,
        fixed_replicas=region.spec.workers.replicas if region is not None else None,
        autoscaler=autoscaler_status,
        selector=builders.region_selector(region, cluster)
        if region is not None and cluster is not None
        else None,
    )
    new_conditions = conditions.compute(
        generation=generation,
        children=[conditions.child_state(outcome.live) for outcome in result.outcomes],
        blocker=result.blocker,
        old=old,
    )
    new_status: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": new_conditions,
        **summary,
    }
    if region is not None and result.blocker is None:
        kinds = {outcome.kind for outcome in result.outcomes}
        new_status["autoscaler"] = (
            "keda"
            if "ScaledObject" in kinds
            else "hpa"
            if "HorizontalPodAutoscaler" in kinds
            else "none"
        )
    result.status_written = await runner.write_status(reconciler.REGIONS, body, new_status)
    events.post(body, events.announcements(result.outcomes, old, new_conditions))
    return result, cluster_name
