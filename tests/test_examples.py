"""The manifests under examples/: judged as an API server would judge them on apply.

Every folder with a kustomization.yaml is rendered with `kubectl kustomize` (offline; that
part is skipped when kubectl is absent) and, independently, read file by file. Custom
resources of ArchiveStream are judged by their CRD's schema and CEL rules
(tests/crd_judge.py); built-in kinds by kubernetes-validate --strict; Argo CD and Flux
objects, custom resources without a schema here, by the checks written below.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from builtin_judge import is_builtin, problems
from chart_render import ROOT
from crd_judge import judge

EXAMPLES = ROOT / "examples"
FOLDERS = sorted(p.parent.name for p in EXAMPLES.glob("*/kustomization.yaml"))
ARCHIVES = ["minimal", "multi-region", "external-services"]
GROUP = "archivestream.io/v1alpha1"
REPOSITORY = "https://github.com/archivestream/archivestream"
KUBECTL = shutil.which("kubectl")


def kustomization(folder: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / folder / "kustomization.yaml").read_text())


def objects(folder: str) -> list[dict[str, Any]]:
    """The folder's resources as kustomize emits them (its namespace set), without kubectl."""
    spec = kustomization(folder)
    found = []
    for name in spec["resources"]:
        for doc in yaml.safe_load_all((EXAMPLES / folder / name).read_text()):
            if not doc:
                continue
            if "namespace" in spec and doc["kind"] != "Namespace":
                doc["metadata"]["namespace"] = spec["namespace"]
            found.append(doc)
    return found


def judged(manifest: dict[str, Any]) -> list[str]:
    if manifest["apiVersion"] == GROUP:
        return judge(manifest)
    if is_builtin(manifest):
        return problems(manifest)
    return []  # Argo CD and Flux objects: see their own tests below


def of_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]


def test_the_promised_examples_exist() -> None:
    assert set(FOLDERS) >= {*ARCHIVES, "argocd", "flux"}


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_file_of_a_folder_is_a_resource_of_its_kustomization(folder: str) -> None:
    listed = set(kustomization(folder)["resources"])
    files = {p.name for p in (EXAMPLES / folder).glob("*.yaml")} - {"kustomization.yaml"}
    # argocd-cm-health.yaml is a patch for Argo CD's own ConfigMap, applied apart.
    assert files - listed <= {"argocd-cm-health.yaml"}
    assert listed <= files, f"listed but missing: {listed - files}"


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_object_is_accepted(folder: str) -> None:
    manifests = objects(folder)
    assert manifests
    assert [(m["kind"], error) for m in manifests for error in judged(m)] == []


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@pytest.mark.parametrize("folder", FOLDERS)
def test_kubectl_kustomize_renders_the_same_objects(folder: str) -> None:
    assert KUBECTL is not None
    result = subprocess.run(
        [KUBECTL, "kustomize", str(EXAMPLES / folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert [(m["kind"], error) for m in rendered for error in judged(m)] == []

    def identity(m: dict[str, Any]) -> tuple[str, str, str]:
        return (m["kind"], m["metadata"]["name"], m["metadata"].get("namespace", ""))

    assert sorted(map(identity, rendered)) == sorted(map(identity, objects(folder)))


def test_the_judge_refuses_a_broken_example() -> None:
    # The judges can say no on these very files: workers.min above workers.max, a bad field.
    region = of_kind(objects("minimal"), "CrawlRegion")[0]
    broken = copy.deepcopy(region)
    broken["spec"]["workers"].update({"min": 9, "max": 3})
    assert judge(broken)
    namespace = copy.deepcopy(of_kind(objects("minimal"), "Namespace")[0])
    namespace["spec"] = {"finalizer": ["kubernetes"]}
    assert problems(namespace)


# --- archives ---------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ARCHIVES)
def test_an_archive_is_whole_in_its_namespace(folder: str) -> None:
    manifests = objects(folder)
    (namespace,) = of_kind(manifests, "Namespace")
    (cluster,) = of_kind(manifests, "ArchiveCluster")
    regions = of_kind(manifests, "CrawlRegion")
    assert regions
    assert kustomization(folder)["namespace"] == namespace["metadata"]["name"]
    for region in regions:
        assert region["spec"]["clusterRef"]["name"] == cluster["metadata"]["name"]


def secret_refs(cluster: dict[str, Any], regions: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(Secret, key) pairs the custom resources name, with the schema's default keys."""
    spec = cluster["spec"]
    refs: set[tuple[str, str]] = set()
    external_db = spec["database"].get("external")
    if external_db:
        refs.add((external_db["urlSecretRef"]["name"], external_db["urlSecretRef"]["key"]))
    search = (spec["search"].get("external") or {}).get("credentialsSecretRef")
    if search:
        refs.add((search["name"], search.get("usernameKey", "username")))
        refs.add((search["name"], search.get("passwordKey", "password")))
    for s3 in [spec.get("storage", {}).get("s3", {})] + [
        r["spec"].get("storage", {}).get("s3", {}) for r in regions
    ]:
        credentials = s3.get("credentialsSecretRef")
        if credentials:
            refs.add((credentials["name"], credentials.get("accessKeyIdKey", "AWS_ACCESS_KEY_ID")))
            refs.add(
                (
                    credentials["name"],
                    credentials.get("secretAccessKeyKey", "AWS_SECRET_ACCESS_KEY"),
                )
            )
    return refs


@pytest.mark.parametrize("folder", ARCHIVES)
def test_every_secret_an_archive_names_has_a_stub(folder: str) -> None:
    manifests = objects(folder)
    (cluster,) = of_kind(manifests, "ArchiveCluster")
    refs = secret_refs(cluster, of_kind(manifests, "CrawlRegion"))
    assert refs
    provided = {
        (secret["metadata"]["name"], key)
        for secret in of_kind(manifests, "Secret")
        for key in secret.get("stringData", {})
    }
    assert refs <= provided, f"no stub for {refs - provided}"
    for secret in of_kind(manifests, "Secret"):
        # Stubs only: each carries a placeholder where its credential goes.
        assert any("replace-me" in value for value in secret["stringData"].values())


def test_multi_region_is_the_production_checklist() -> None:
    manifests = objects("multi-region")
    regions = {r["spec"]["region"]: r["spec"] for r in of_kind(manifests, "CrawlRegion")}
    assert set(regions) == {"us-east-1", "eu-west-1", "ap-south-1"}
    for name, spec in regions.items():
        assert spec["storage"]["s3"]["bucket"] == f"archivestream-warc-{name}"
        assert spec["storage"]["s3"]["endpoint"] == f"https://s3.{name}.amazonaws.com"
        assert "replicas" not in spec["workers"], "autoscaled on frontier depth"
    (cluster,) = of_kind(manifests, "ArchiveCluster")
    assert cluster["spec"]["database"]["managed"]["replicas"] >= 3
    assert cluster["spec"]["search"]["managed"]["replicas"] >= 3


def test_external_services_example_runs_nothing_stateful() -> None:
    (cluster,) = of_kind(objects("external-services"), "ArchiveCluster")
    assert set(cluster["spec"]["database"]) == {"external"}
    assert set(cluster["spec"]["search"]) == {"external"}
    assert cluster["spec"]["database"]["external"]["urlSecretRef"]["key"] == "url"
    assert cluster["spec"]["storage"]["s3"]["credentialsSecretRef"]["name"]


def test_minimal_example_has_one_region_and_one_bucket() -> None:
    manifests = objects("minimal")
    (region,) = of_kind(manifests, "CrawlRegion")
    assert region["spec"]["storage"]["s3"]["bucket"].startswith("archivestream-warc-")


# --- Argo CD ----------------------------------------------------------------------------


def points_into_this_repository(path: str) -> Path:
    target = ROOT / path.removeprefix("./")
    assert target.is_dir(), f"{path} is not a folder of this repository"
    assert (target / "kustomization.yaml").exists() or (target / "Chart.yaml").exists()
    return target


def test_argocd_applications_point_at_the_chart_and_an_example() -> None:
    applications = {a["metadata"]["name"]: a for a in of_kind(objects("argocd"), "Application")}
    assert set(applications) == {"archivestream-operator", "archivestream-archive"}
    for application in applications.values():
        assert application["apiVersion"] == "argoproj.io/v1alpha1"
        assert application["metadata"]["namespace"] == "argocd"
        source = application["spec"]["source"]
        assert source["repoURL"].removesuffix(".git") == REPOSITORY
        points_into_this_repository(source["path"])
        assert application["spec"]["destination"]["server"]

    operator = applications["archivestream-operator"]
    assert operator["spec"]["source"]["helm"]["releaseName"] == "archivestream-operator"
    # Deleting the operator's Application must not cascade into the CRDs and the archives.
    assert "resources-finalizer.argocd.argoproj.io" not in operator["metadata"].get(
        "finalizers", []
    )
    archive = applications["archivestream-archive"]
    archive_namespace = kustomization(Path(archive["spec"]["source"]["path"]).name)["namespace"]
    assert archive["spec"]["destination"]["namespace"] == archive_namespace
    waves = [
        int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for a in (
            operator,
            archive,
        )
    ]
    assert waves[0] < waves[1], "the operator (and its CRDs) first"


def health_file(name: str) -> Path:
    path = ROOT / "operator" / "health" / name
    if not path.exists():
        pytest.skip(f"operator/health/{name} not written yet")
    return path


def test_argocd_health_patch_carries_the_operators_lua() -> None:
    lua = health_file("argocd.lua").read_text().strip()
    patch = yaml.safe_load((EXAMPLES / "argocd" / "argocd-cm-health.yaml").read_text())
    assert (patch["kind"], patch["metadata"]["name"]) == ("ConfigMap", "argocd-cm")
    assert patch["metadata"]["namespace"] == "argocd"
    assert problems(patch) == []
    for kind in ("ArchiveCluster", "CrawlRegion"):
        assert patch["data"][
            f"resource.customizations.health.archivestream.io_{kind}"
        ].strip() == (lua)


# --- Flux -------------------------------------------------------------------------------


def test_flux_objects_point_at_the_chart_and_an_example() -> None:
    manifests = objects("flux")
    (source,) = of_kind(manifests, "GitRepository")
    (release,) = of_kind(manifests, "HelmRelease")
    (archive,) = of_kind(manifests, "Kustomization")
    assert source["apiVersion"] == "source.toolkit.fluxcd.io/v1"
    assert source["spec"]["url"].removesuffix(".git") == REPOSITORY
    reference = {"kind": "GitRepository", "name": source["metadata"]["name"]}

    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    assert release["spec"]["chart"]["spec"]["sourceRef"] == reference
    points_into_this_repository(release["spec"]["chart"]["spec"]["chart"])
    assert release["spec"]["releaseName"] == "archivestream-operator"
    assert release["spec"]["upgrade"]["crds"] == "CreateReplace"

    assert archive["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
    assert archive["spec"]["sourceRef"] == reference
    points_into_this_repository(archive["spec"]["path"])
    assert archive["spec"]["wait"] is True
    assert archive["spec"]["prune"] is True


def test_flux_kustomization_carries_the_operators_health_exprs() -> None:
    expected = yaml.safe_load(health_file("flux-healthcheck.yaml").read_text())
    (archive,) = of_kind(objects("flux"), "Kustomization")
    exprs = archive["spec"]["healthCheckExprs"]
    if isinstance(expected, dict):
        expected = expected.get(
            "healthCheckExprs", expected.get("spec", {}).get("healthCheckExprs")
        )
    assert exprs == expected
    assert {e["kind"] for e in exprs} == {"ArchiveCluster", "CrawlRegion"}
    for expr in exprs:
        assert expr["apiVersion"] == GROUP
        assert {"current", "failed"} <= set(expr)


# --- the chart and the examples together --------------------------------------------------

# Kinds whose CRDs come from other projects, installed apart: the Prometheus Operator,
# Argo CD, Flux.
EXTERNAL_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("argoproj.io/v1alpha1", "Application"),
    ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
}


def test_chart_and_examples_form_one_valid_set() -> None:
    from chart_render import crds, render

    everything = {
        "metrics": {"serviceMonitor": {"enabled": True}, "podMonitor": {"enabled": True}},
        "prometheusRule": {"enabled": True},
        "grafanaDashboard": {"enabled": True},
    }
    definitions = crds()
    manifests = definitions + render(everything)
    for folder in FOLDERS:
        manifests += objects(folder)

    served = {
        (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"]): crd
        for crd in definitions
        for version in crd["spec"]["versions"]
        if version["served"]
    }
    identities = set()
    for manifest in manifests:
        key = (manifest["apiVersion"], manifest["kind"])
        if not is_builtin(manifest):
            assert key in served or key in EXTERNAL_KINDS, f"no CRD serves {key}"
        if key in served:
            namespaced = served[key]["spec"]["scope"] == "Namespaced"
            assert ("namespace" in manifest["metadata"]) == namespaced, key
        identity = (key[1], manifest["metadata"].get("namespace"), manifest["metadata"]["name"])
        assert identity not in identities, f"{identity} is defined twice"
        identities.add(identity)
        assert judged(manifest) == [], identity
