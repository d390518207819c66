"""The reconcile of an ArchiveCluster: database, search, migrations and API, in stages.

Reads the resource's Secrets (Stalled when one it names is missing), probes an external
database (Ready=False and retried while unreachable), creates the generated certificates
and password once, then writes the children in stages: the migrations Job once the
database is ready, the API once the Job of this spec has completed. The conditions and the
summary come from the children's own status (the summary from every live child, also those
a Stalled reconcile did not write); the status is written only when it changed.
On deletion with `deletionPolicy: Delete`, the StatefulSets' volumes go too.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from archivestream.operator import (
    builders,
    children,
    conditions,
    events,
    models,
    probes,
    reconciler,
    status,
)
from archivestream.operator.builders import migrations, naming

log = structlog.get_logger("archivestream.operator")


async def reconcile(runner: reconciler.Reconciler, body: dict[str, Any]) -> reconciler.Result:
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    generation = int(body["metadata"].get("generation") or 0)
    old = (body.get("status") or {}).get("conditions")
    result = reconciler.Result()
    if reconciler.paused(body):
        # Honoured before anything else, even on a spec that does not parse.
        log.info("paused", kind="ArchiveCluster", namespace=namespace, name=name)
        return reconciler.Result(paused=True)

    try:
        cluster: models.ArchiveCluster | None = models.ArchiveCluster.from_body(body)
    except models.SpecError as error:
        result.blocker = conditions.Blocker("stalled", "InvalidSpec", str(error))
        cluster = None

    secrets: dict[str, dict[str, str] | None] = {}
    if cluster is not None:
        secrets = dict(await runner.read_secrets(namespace, builders.secrets_to_read(cluster)))
        problems = builders.secret_problems(builders.required_secrets(cluster), secrets)
        result.blocker = runner.secret_blocker(problems)

    database_reachable: bool | None = None
    if cluster is not None and result.blocker is None and cluster.spec.database.external:
        ref = cluster.spec.database.external.url_secret_ref
        url = reconciler.secret_value(secrets.get(ref.name), ref.key) or ""
        try:
            problem = await probes.unreachable(url, within=runner.options.probe_timeout)
        except ValueError as error:
            result.blocker = conditions.Blocker(
                "stalled", "InvalidDatabaseURL", f"{error} (Secret {ref.name!r})"
            )
        else:
            database_reachable = problem is None
            if problem is not None:
                result.blocker = conditions.Blocker(
                    "waiting", "DatabaseUnreachable", f"external database: {problem}"
                )

    if cluster is not None and result.blocker is None:
        # Certificates and the OpenSearch password are generated once, when absent.
        # Key generation is CPU work: off the event loop.
        generated = await asyncio.to_thread(builders.generated_secrets, cluster, existing=secrets)
        for secret in generated:
            outcome = await children.ensure(runner.api, secret, body, known=runner.cache)
            result.outcomes.append(outcome)
            secrets[outcome.name] = dict(outcome.live.get("data") or {})

        # The migrations Job waits for the database, the API for the schema. Once the
        # Job of this spec exists it stays, even while a database pod restarts.
        job = await runner.read("batch/v1/jobs", namespace, migrations.job_name(cluster))
        if job is not None:
            database_ready = True
        elif database_reachable is None:
            database_ready = await runner.converged(
                "apps/v1/statefulsets", namespace, naming.cockroachdb(name)
            ) and await runner.converged("batch/v1/jobs", namespace, naming.cockroachdb_init(name))
        else:
            database_ready = database_reachable
        schema_ready = job is not None and conditions.child_state(job).converged
        desired = builders.cluster_children(
            cluster, secrets=secrets, database_ready=database_ready, schema_ready=schema_ready
        )
        await runner.ensure_all(body, desired, result)
        if result.blocker is None:
            await runner.prune(body, desired)
        if not schema_ready:
            # What is staged out still counts as not converged.
            waiting = "database" if not database_ready else "migrations"
            result.staged = waiting

    workloads = [o.live for o in result.outcomes if o.kind != "Secret"]
    # The summary counts what runs, not what this reconcile wrote: while Stalled (nothing
    # written) or staged (the API left out during an upgrade) the children still serve.
    written = {(child["kind"], child["metadata"]["name"]) for child in workloads}
    running = [
        child
        for child in runner.owned(namespace, body["metadata"].get("uid", ""))
        if (child["kind"], child["metadata"]["name"]) not in written
    ]
    regions = [
        region
        for region in runner.cache.list(reconciler.REGIONS, namespace)
        if (region.get("spec") or {}).get("clusterRef", {}).get("name") == name
    ]
    summary = status.cluster_summary(
        workloads + running,
        regions,
        database_reachable=database_reachable,
        external_search=bool(cluster is not None and cluster.spec.search.external),
        api_replicas=cluster.spec.api.replicas if cluster is not None else 0,
    )
    states = [conditions.child_state(child) for child in workloads]
    if result.staged:
        states.append(conditions.ChildState("Stage", result.staged, False, detail="not ready yet"))
    new_conditions = conditions.compute(
        generation=generation, children=states, blocker=result.blocker, old=old
    )
    new_status = {"observedGeneration": generation, "conditions": new_conditions, **summary}
    if cluster is not None and result.blocker is None and not result.staged:
        # The version whose migrations have run; until then the one before stays.
        new_status["version"] = cluster.spec.version
    result.status_written = await runner.write_status(reconciler.CLUSTERS, body, new_status)
    events.post(body, events.announcements(result.outcomes, old, new_conditions))
    return result


async def delete_volumes(runner: reconciler.Reconciler, body: dict[str, Any]) -> list[str]:
    """Delete the volumes of the cluster's StatefulSets (deletionPolicy: Delete).

    PersistentVolumeClaims made from a StatefulSet's volumeClaimTemplates belong to no
    one, so Kubernetes keeps them when the StatefulSet goes; this removes them.
    """
    namespace = body["metadata"]["namespace"]
    try:
        cluster = models.ArchiveCluster.from_body(body)
    except models.SpecError:
        return []
    patterns = [
        (template["metadata"]["name"], manifest["metadata"]["name"])
        for manifest in builders.cluster_children(cluster, secrets={})
        if manifest["kind"] == "StatefulSet"
        for template in manifest["spec"].get("volumeClaimTemplates", [])
    ]
    deleted = []
    for claim in await runner.api.list("v1/persistentvolumeclaims", namespace):
        claim_name = claim["metadata"]["name"]
        for template, statefulset in patterns:
            prefix = f"{template}-{statefulset}-"
            if claim_name.startswith(prefix) and claim_name[len(prefix) :].isdigit():
                await runner.api.delete("v1/persistentvolumeclaims", namespace, claim_name)
                deleted.append(claim_name)
    log.info("volumes deleted", namespace=namespace, name=cluster.name, claims=deleted)
    return deleted
