"""Every container the operator builds starts: the environment it gives an `archivestream`
process passes that process's own settings validation (a pod that would crash-loop on a
refused setting is caught here, not on a cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from archivestream.core import settings
from archivestream.operator import builders
from archivestream.operator.models import ArchiveCluster, CrawlRegion

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# What a Secret reference resolves to on a cluster, by the variable it fills.
SECRET_VALUES = {
    "DATABASE_URL": "postgresql://archivestream@main-cockroachdb-public:26257/archivestream",
    "OPENSEARCH_URL": "https://admin:secret@main-opensearch:9200",
}


def _objects(folder: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted((EXAMPLES / folder).glob("*.yaml")):
        if path.name != "kustomization.yaml":
            found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def _with_identity(body: dict[str, Any]) -> dict[str, Any]:
    meta = {"namespace": "archive", "uid": "uid-" + body["metadata"]["name"], "generation": 1}
    return {**body, "metadata": {**meta, **body["metadata"]}}


def _archivestream_containers(folder: str) -> list[dict[str, Any]]:
    objects = _objects(folder)
    cluster = ArchiveCluster.from_body(
        _with_identity(next(o for o in objects if o["kind"] == "ArchiveCluster"))
    )
    children = builders.cluster_children(cluster, secrets={})
    for body in (o for o in objects if o["kind"] == "CrawlRegion"):
        region = CrawlRegion.from_body(_with_identity(body))
        children += builders.region_children(region, cluster, secrets={}, keda_available=False)
    containers = []
    for child in children:
        template = child.get("spec", {}).get("template", {}).get("spec", {})
        for container in template.get("containers", []):
            if "archivestream" in container.get("image", ""):
                containers.append(container)
    return containers


@pytest.mark.parametrize("folder", ["minimal", "multi-region", "external-services"])
def test_every_archivestream_container_environment_is_accepted(
    folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    containers = _archivestream_containers(folder)
    assert {c["args"][0] for c in containers} >= {"api", "crawler", "migrate"}
    for container in containers:
        with monkeypatch.context() as env:
            for name in ("DATABASE_URL", "S3_ENDPOINT", "S3_BUCKET", "OPENSEARCH_URL", "REGION"):
                env.delenv(name, raising=False)
            for variable in container.get("env", []):
                value = variable.get("value")
                if value is None:
                    value = SECRET_VALUES.get(variable["name"], "from-a-secret")
                env.setenv(variable["name"], value)
            try:
                settings.load()
            except settings.SettingsError as error:
                pytest.fail(f"{folder}: `archivestream {container['args'][0]}` refuses: {error}")
