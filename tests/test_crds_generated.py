"""The CRDs in crds/ are the ones the models generate, and Kubernetes would accept them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from crd_judge import with_defaults
from typer.testing import CliRunner

from archivestream.core.cli import app
from archivestream.operator import crds

CRD_DIR = Path(__file__).resolve().parent.parent / "crds"


def test_committed_crds_match_the_models() -> None:
    stale = crds.write(CRD_DIR, check=True)
    assert stale == [], f"crds/ is stale ({stale}): run `archivestream crds`"


def test_write_creates_the_files_and_then_reports_nothing_stale(tmp_path: Path) -> None:
    assert crds.write(tmp_path, check=True) == ["archivecluster.yaml", "crawlregion.yaml"]
    assert list(tmp_path.iterdir()) == [], "check=True must write nothing"

    assert crds.write(tmp_path) == ["archivecluster.yaml", "crawlregion.yaml"]
    assert crds.write(tmp_path, check=True) == []

    (tmp_path / "crawlregion.yaml").write_text("# edited by hand\n", encoding="utf-8")
    assert crds.write(tmp_path, check=True) == ["crawlregion.yaml"]


@pytest.mark.parametrize("file_name", ["archivecluster.yaml", "crawlregion.yaml"])
def test_crd_passes_kubernetes_validate_strict(file_name: str) -> None:
    crd = yaml.safe_load((CRD_DIR / file_name).read_text(encoding="utf-8"))
    kubernetes_validate.validate(crd, "1.31.0", strict=True)


def _nodes(schema: dict[str, Any], where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = [(where, schema)]
    for name, child in (schema.get("properties") or {}).items():
        found += _nodes(child, f"{where}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        found += _nodes(schema["additionalProperties"], f"{where}.*")
    if "items" in schema:
        found += _nodes(schema["items"], f"{where}[]")
    return found


@pytest.mark.parametrize(
    "crd", crds.definitions().values(), ids=lambda crd: crd["spec"]["names"]["kind"]
)
def test_schema_is_structural(crd: dict[str, Any]) -> None:
    """What the API server refuses in a structural schema never appears."""
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for where, node in _nodes(schema):
        forbidden = {"$ref", "$defs", "anyOf", "oneOf", "allOf", "nullable", "title", "const"}
        assert not forbidden & node.keys(), f"{where}: {forbidden & node.keys()}"
        assert "type" in node, f"{where} has no type"
        assert node.get("additionalProperties") is not False, where
        assert not ("properties" in node and "additionalProperties" in node), where
        if "default" in node:
            # The API server refuses a CRD whose defaults its own schema would refuse.
            assert node["default"] is not None, where
            filled = with_defaults(node, copy.deepcopy(node["default"]))
            jsonschema.Draft7Validator(node).validate(filled)
        if node.get("x-kubernetes-preserve-unknown-fields"):
            assert where == ".status.kopf", f"{where} keeps unknown fields"


def test_crawl_region_has_the_scale_subresource_of_the_design() -> None:
    version = crds.crawl_region()["spec"]["versions"][0]
    assert version["subresources"]["scale"] == {
        "specReplicasPath": ".spec.workers.replicas",
        "statusReplicasPath": ".status.workers.current",
        "labelSelectorPath": ".status.workers.selector",
    }
    assert version["subresources"]["status"] == {}


def test_printer_columns_show_readiness_frontier_and_workers() -> None:
    cluster = [
        c["name"]
        for c in crds.archive_cluster()["spec"]["versions"][0]["additionalPrinterColumns"]
    ]
    region = [
        c["name"] for c in crds.crawl_region()["spec"]["versions"][0]["additionalPrinterColumns"]
    ]
    assert {"Ready", "Reason", "Age"} <= set(cluster)
    assert {"Ready", "Reason", "Frontier", "Desired", "Workers", "Age"} <= set(region)


def test_cli_writes_the_crds_and_check_fails_on_stale_ones(tmp_path: Path) -> None:
    runner = CliRunner()
    written = runner.invoke(app, ["crds", "--output", str(tmp_path)])
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "archivecluster.yaml",
        "crawlregion.yaml",
    ]
    assert runner.invoke(app, ["crds", "--output", str(tmp_path), "--check"]).exit_code == 0

    (tmp_path / "archivecluster.yaml").write_text("# stale\n", encoding="utf-8")
    stale = runner.invoke(app, ["crds", "--output", str(tmp_path), "--check"])
    assert stale.exit_code == 1
    stale_file = tmp_path / "archivecluster.yaml"
    assert f"stale CRDs: {stale_file}; run `archivestream crds`" in stale.output
