"""The operator's Helm chart: lint, render, and what the rendered objects promise.

Rendered offline with helm-python-sdk (Helm's Go SDK, as `helm template`), linted as
`helm lint --strict`, and every built-in object judged by kubernetes-validate --strict.
ServiceMonitor, PodMonitor, PrometheusRule and kopf's peering objects are custom resources
with no schema here: their structure is checked by hand below (minimally), and the alert
rules' PromQL by promtool in test_alert_rules.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from builtin_judge import is_builtin, problems
from chart_render import CHART, ROOT, crds, find, lint, render

EVERYTHING: dict[str, Any] = {
    "metrics": {"serviceMonitor": {"enabled": True}, "podMonitor": {"enabled": True}},
    "prometheusRule": {"enabled": True},
    "grafanaDashboard": {"enabled": True},
    "prometheusAdapter": {"enabled": True},
}
NAMESPACED = {**EVERYTHING, "operator": {"watchNamespaces": ["archive", "archive-staging"]}}
VARIANTS = {"defaults": None, "everything": EVERYTHING, "namespaced": NAMESPACED}


def operator_container(manifests: list[dict]) -> dict[str, Any]:
    (deployment,) = find(manifests, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def rules_of(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(apiGroup, resource) -> verbs, over every rule of a Role or ClusterRole."""
    found: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                found.setdefault((group, resource), set()).update(rule["verbs"])
    return found


# --- lint and render --------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_lint_strict_is_clean(variant: str) -> None:
    report = lint(VARIANTS[variant])
    serious = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and serious == [], report


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"prometheusRules": {"enabled": True}}, "'prometheusRules' not allowed"),
        ({"operator": {"resources": "lots"}}, "/operator/resources"),
        ({"prometheusRule": {"thresholds": {"diskUsageRatio": 80}}}, "diskUsageRatio"),
        ({"operator": {"watchNamespaces": ["Archive"]}}, "/operator/watchNamespaces/0"),
    ],
)
def test_lint_refuses_bad_values(values: dict[str, Any], complaint: str) -> None:
    # values.schema.json makes a misspelt key or a wrong type an error, at lint and install.
    report = lint(values)
    assert any(complaint in error for error in report["errors"]), report


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_builtin_object_passes_kubernetes_validate_strict(variant: str) -> None:
    manifests = render(VARIANTS[variant])
    builtin = [m for m in manifests if is_builtin(m)]
    assert len(builtin) >= 5
    assert [problem for m in builtin for problem in problems(m)] == []


def test_kubernetes_validate_refuses_an_unknown_field() -> None:
    (deployment,) = find(render(), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    assert problems(deployment)


def test_every_object_lands_in_a_known_namespace() -> None:
    for manifest in render(NAMESPACED):
        namespace = manifest["metadata"].get("namespace")
        if manifest["kind"] in {"ClusterRole", "ClusterRoleBinding", "ClusterKopfPeering"}:
            assert namespace is None, manifest["kind"]
        else:
            assert namespace in {"archivestream-system", "archive", "archive-staging"}


# --- CRDs -------------------------------------------------------------------------------


def test_chart_crds_are_the_generated_ones() -> None:
    # Helm installs crds/ before the templates and never deletes it on uninstall: that is
    # how the CRDs (and every archive's custom resources) survive `helm uninstall`.
    generated = sorted((ROOT / "crds").glob("*.yaml"))
    assert generated, "no generated CRDs in crds/ (run `archivestream crds`)"
    for path in generated:
        copy = CHART / "crds" / path.name
        assert copy.exists(), f"chart lacks crds/{path.name}: copy it from crds/"
        assert copy.read_bytes() == path.read_bytes(), (
            f"charts/archivestream-operator/crds/{path.name} differs from crds/{path.name}: "
            "copy the generated file again"
        )
    extra = {p.name for p in (CHART / "crds").glob("*.yaml")} - {p.name for p in generated}
    assert extra == {"kopf-peerings.yaml"}


def test_crds_are_installed_from_crds_folder_not_templates() -> None:
    names = {crd["metadata"]["name"] for crd in crds()}
    assert {
        "archiveclusters.archivestream.io",
        "crawlregions.archivestream.io",
        "clusterkopfpeerings.kopf.dev",
        "kopfpeerings.kopf.dev",
    } <= names
    for variant in VARIANTS.values():
        assert find(render(variant), "CustomResourceDefinition") == []
    assert [problem for crd in crds() for problem in problems(crd)] == []


# --- the operator Deployment ------------------------------------------------------------


def test_operator_runs_one_replica_recreated() -> None:
    (deployment,) = find(render(), "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert operator_container(render())["args"][0] == "operator"


def test_liveness_probe_asks_kopfs_health_endpoint() -> None:
    container = operator_container(render())
    liveness = next(a for a in container["args"] if a.startswith("--liveness="))
    match = re.fullmatch(r"--liveness=http://0\.0\.0\.0:(\d+)(/\S+)", liveness)
    assert match, liveness
    probe = container["livenessProbe"]["httpGet"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert probe["path"] == match.group(2)
    assert ports[probe["port"]] == int(match.group(1))


def test_peering_object_is_the_one_the_operator_names() -> None:
    manifests = render()
    (peering,) = find(manifests, "ClusterKopfPeering")
    assert peering["apiVersion"] == "kopf.dev/v1"
    assert f"--peering={peering['metadata']['name']}" in operator_container(manifests)["args"]
    assert "--standalone" not in operator_container(manifests)["args"]


def test_namespaced_operator_peers_in_each_namespace() -> None:
    manifests = render(NAMESPACED)
    args = operator_container(manifests)["args"]
    assert "--namespace=archive" in args and "--namespace=archive-staging" in args
    peerings = find(manifests, "KopfPeering")
    assert {p["metadata"]["namespace"] for p in peerings} == {"archive", "archive-staging"}
    assert find(manifests, "ClusterKopfPeering") == []


def test_standalone_without_peering() -> None:
    manifests = render({"peering": {"enabled": False}})
    assert "--standalone" in operator_container(manifests)["args"]
    assert not any(a.startswith("--peering") for a in operator_container(manifests)["args"])
    assert find(manifests, "ClusterKopfPeering") == []
    (role,) = find(manifests, "ClusterRole")
    assert not any(group == "kopf.dev" for group, _ in rules_of(role))


def test_operator_runs_unprivileged_on_a_read_only_root() -> None:
    manifests = render()
    (deployment,) = find(manifests, "Deployment")
    pod = deployment["spec"]["template"]["spec"]["securityContext"]
    container = operator_container(manifests)["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    # The same numeric user as the image's USER, so runAsNonRoot can be verified.
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.findall(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)[-1]
    assert (str(pod["runAsUser"]), str(pod["runAsGroup"])) == user


def test_image_defaults_to_the_app_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    image = operator_container(render())["image"]
    assert image.endswith(f":{chart['appVersion']}")
    pinned = operator_container(render({"image": {"tag": "1.2.3"}}))["image"]
    assert pinned.endswith(":1.2.3")


# --- RBAC -------------------------------------------------------------------------------

WRITE = {"get", "list", "watch", "create", "patch", "delete"}
OPERATOR_RULES = {
    ("archivestream.io", "archiveclusters"): {"get", "list", "watch", "patch"},
    ("archivestream.io", "crawlregions"): {"get", "list", "watch", "patch"},
    ("archivestream.io", "archiveclusters/status"): {"get", "patch"},
    ("archivestream.io", "crawlregions/status"): {"get", "patch"},
    ("archivestream.io", "crawlregions/scale"): {"get", "patch"},
    ("apps", "statefulsets"): WRITE,
    ("apps", "deployments"): WRITE,
    ("batch", "jobs"): WRITE,
    ("", "services"): WRITE,
    ("", "configmaps"): WRITE,
    ("", "secrets"): WRITE,
    ("policy", "poddisruptionbudgets"): WRITE,
    ("autoscaling", "horizontalpodautoscalers"): WRITE,
    ("keda.sh", "scaledobjects"): WRITE,
    ("", "pods"): {"get", "list", "watch"},
    ("", "persistentvolumeclaims"): {"get", "list", "watch", "delete"},
    ("", "events"): {"create", "patch"},
    ("events.k8s.io", "events"): {"create", "patch"},
}
CLUSTER_ONLY = {
    ("apiextensions.k8s.io", "customresourcedefinitions"): {"get", "list", "watch"},
    ("kopf.dev", "clusterkopfpeerings"): {"get", "list", "watch", "patch"},
}


def test_cluster_role_grants_exactly_what_the_operator_touches() -> None:
    (role,) = find(render(), "ClusterRole")
    assert rules_of(role) == {**OPERATOR_RULES, **CLUSTER_ONLY}
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        assert "update" not in rule["verbs"], "children are written with patches only"
    # Keep-alives are written only into the operator's own peering object.
    (patch_rule,) = [
        r
        for r in role["rules"]
        if "clusterkopfpeerings" in r["resources"] and "patch" in r["verbs"]
    ]
    assert patch_rule["resourceNames"] == ["archivestream-operator"]


def test_namespaced_install_keeps_secrets_within_its_namespaces() -> None:
    manifests = render(NAMESPACED)
    (cluster_role,) = find(manifests, "ClusterRole")
    assert rules_of(cluster_role) == {
        ("apiextensions.k8s.io", "customresourcedefinitions"): {"get", "list", "watch"},
        ("kopf.dev", "clusterkopfpeerings"): {"get", "list", "watch", "patch"},
        ("", "namespaces"): {"get", "list", "watch"},
    }
    roles = find(manifests, "Role")
    assert {r["metadata"]["namespace"] for r in roles} == {"archive", "archive-staging"}
    for role in roles:
        assert rules_of(role) == {
            **OPERATOR_RULES,
            ("kopf.dev", "kopfpeerings"): {"get", "list", "watch", "patch"},
        }
    (account,) = find(manifests, "ServiceAccount")
    for binding in find(manifests, "RoleBinding") + find(manifests, "ClusterRoleBinding"):
        assert binding["subjects"] == [
            {
                "kind": "ServiceAccount",
                "name": account["metadata"]["name"],
                "namespace": account["metadata"]["namespace"],
            }
        ]


# --- monitoring -------------------------------------------------------------------------


def test_monitoring_objects_are_optional() -> None:
    kinds = {m["kind"] for m in render()}
    assert not kinds & {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
    assert {m["metadata"]["name"] for m in find(render(), "ConfigMap")} == set()


def test_service_monitors_scrape_the_operator_and_the_archive_api() -> None:
    manifests = render(EVERYTHING)
    (service,) = find(manifests, "Service")
    (deployment,) = find(manifests, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    container_ports = {p["name"] for p in operator_container(manifests)["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in container_ports

    monitors = {m["metadata"]["name"]: m for m in find(manifests, "ServiceMonitor")}
    operator = monitors["archivestream-operator"]
    assert operator["apiVersion"] == "monitoring.coreos.com/v1"
    assert (
        operator["spec"]["selector"]["matchLabels"].items()
        <= service["metadata"]["labels"].items()
    )
    assert operator["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]

    api = monitors["archivestream-operator-archive-api"]
    assert api["spec"]["namespaceSelector"] == {"any": True}
    assert api["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "api"
    assert api["spec"]["endpoints"][0]["path"] == "/metrics"

    namespaced = find(render(NAMESPACED), "ServiceMonitor", "archivestream-operator-archive-api")
    assert namespaced[0]["spec"]["namespaceSelector"] == {
        "matchNames": ["archive", "archive-staging"]
    }
    (pod_monitor,) = find(manifests, "PodMonitor")
    assert pod_monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == (
        "crawler"
    )
    assert pod_monitor["spec"]["podMetricsEndpoints"][0]["path"] == "/metrics"


def test_prometheus_rule_has_the_checklists_alerts() -> None:
    (rule,) = find(render(EVERYTHING), "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert set(alerts) == {
        "ArchiveStreamCrawlerFailureRateHigh",
        "ArchiveStreamFrontierDepthHigh",
        "ArchiveStreamApiLatencyHigh",
        "ArchiveStreamDatabasePoolExhausted",
        "ArchiveStreamVolumeAlmostFull",
    }
    for alert in alerts.values():
        assert alert["labels"]["severity"] in {"warning", "critical"}
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]
        assert re.fullmatch(r"\d+[smh]", alert["for"])
    assert (
        "max by (namespace, region) (archivestream_frontier_depth)"
        in (alerts["ArchiveStreamFrontierDepthHigh"]["expr"])
    )
    assert "kubelet_volume_stats_used_bytes" in alerts["ArchiveStreamVolumeAlmostFull"]["expr"]


def test_prometheus_adapter_rule_takes_max_by_region() -> None:
    (config_map,) = find(render(EVERYTHING), "ConfigMap", "archivestream-operator-adapter-rules")
    (rule,) = yaml.safe_load(config_map["data"]["config.yaml"])["externalRules"]
    assert rule["name"]["as"] == "archivestream_frontier_depth"
    assert rule["metricsQuery"].startswith("max(")
    assert rule["metricsQuery"].endswith("by (region)")
    assert "sum(" not in rule["metricsQuery"]


DESIGN_METRICS = {
    "archivestream_frontier_depth",
    "archivestream_frontier_in_flight",
    "archivestream_pages_crawled_total",
    "archivestream_fetch_duration_seconds_bucket",
    "archivestream_warc_bytes_written_total",
    "archivestream_warc_files_closed_total",
    "archivestream_payloads_deduplicated_total",
    "archivestream_api_request_duration_seconds_bucket",
    "archivestream_api_request_duration_seconds_count",
    "archivestream_db_pool_connections_in_use",
    "archivestream_db_pool_size",
    "kubelet_volume_stats_used_bytes",
    "kubelet_volume_stats_capacity_bytes",
}


def dashboard_queries() -> list[str]:
    dashboard = json.loads((CHART / "dashboards" / "archivestream.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_dashboard_reads_only_the_designs_metrics() -> None:
    (config_map,) = find(render(EVERYTHING), "ConfigMap", "archivestream-operator-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["archivestream.json"])
    assert dashboard["uid"] == "archivestream-overview"
    queries = dashboard_queries()
    assert len(queries) >= 10
    used = {name for q in queries for name in re.findall(r"\b(?:archivestream|kubelet)_\w+", q)}
    assert used <= DESIGN_METRICS, used - DESIGN_METRICS
    assert "archivestream_frontier_depth" in used
    # The frontier depth is read once per region, never summed over API replicas.
    assert not any(re.search(r"sum[^)]*\(archivestream_frontier_depth", q) for q in queries)


# --- README -----------------------------------------------------------------------------


def test_readme_installs_the_chart_under_the_tested_release_name() -> None:
    readme = (CHART / "README.md").read_text()
    assert "helm install archivestream-operator" in readme
    assert "kubectl get archiveclusters" in readme
    for key in ("KEDA", "prometheus-adapter", "Argo CD", "Flux", "Limitations"):
        assert key in readme, key


def _snippet_after(text: str, marker: str) -> str:
    """The first fenced code block after `marker`."""
    tail = text[text.index(marker) :]
    match = re.search(r"```[a-z]*\n(.*?)```", tail, re.DOTALL)
    assert match, f"no code block after {marker!r}"
    return match.group(1)


def test_readme_argocd_health_check_is_the_operators_lua() -> None:
    lua = ROOT / "operator" / "health" / "argocd.lua"
    if not lua.exists():
        pytest.skip("operator/health/argocd.lua not written yet")
    readme = (CHART / "README.md").read_text()
    block = yaml.safe_load(_snippet_after(readme, "<!-- argocd-health -->"))
    scripts = {
        key: value
        for key, value in block["data"].items()
        if key.startswith("resource.customizations.health.archivestream.io_")
    }
    assert scripts, "no resource.customizations.health.* key in the snippet"
    assert set(scripts) == {
        "resource.customizations.health.archivestream.io_ArchiveCluster",
        "resource.customizations.health.archivestream.io_CrawlRegion",
    }
    for key, script in scripts.items():
        assert script.strip() == lua.read_text().strip(), key


def test_readme_flux_health_check_is_the_operators_snippet() -> None:
    snippet = ROOT / "operator" / "health" / "flux-healthcheck.yaml"
    if not snippet.exists():
        pytest.skip("operator/health/flux-healthcheck.yaml not written yet")
    readme = (CHART / "README.md").read_text()
    block = yaml.safe_load(_snippet_after(readme, "<!-- flux-health -->"))
    expected = yaml.safe_load(snippet.read_text())
    assert block == expected


def test_no_machine_paths_in_the_chart() -> None:
    for path in Path(CHART).rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"(/work/|/tmp/|/root/)", text), path


def test_rbac_covers_every_child_the_operator_builds() -> None:
    # The operator's own builders, fed the examples, name every kind it writes; each must
    # be writable (create, patch, delete) under the chart's ClusterRole.
    from archivestream.operator import builders, models

    (role,) = find(render(), "ClusterRole")
    granted = rules_of(role)
    written: set[tuple[str, str]] = {("", "secrets")}  # certificates, generated passwords
    for folder in ("minimal", "multi-region", "external-services"):
        docs = [
            doc
            for path in sorted((ROOT / "examples" / folder).glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text())
            if doc and doc.get("apiVersion") == models.API_VERSION
        ]
        for index, doc in enumerate(docs):
            # As read back from the API server: owner references need a uid.
            doc["metadata"].update(namespace="archive", uid=f"uid-{folder}-{index}")
        (cluster_body,) = [d for d in docs if d["kind"] == "ArchiveCluster"]
        cluster = models.ArchiveCluster.from_body(cluster_body)
        children = builders.cluster_children(cluster, secrets={})
        for body in (d for d in docs if d["kind"] == "CrawlRegion"):
            region = models.CrawlRegion.from_body(body)
            for keda in (True, False):
                children += builders.region_children(
                    region, cluster, secrets={}, keda_available=keda
                )
        for child in children:
            group = child["apiVersion"].rpartition("/")[0]
            written.add((group, child["kind"].lower() + "s"))
    assert ("keda.sh", "scaledobjects") in written
    for kind in sorted(written):
        assert {"create", "patch", "delete"} <= granted.get(kind, set()), kind


def test_archive_api_service_monitor_scope_is_what_the_readme_says() -> None:
    # The README names both modes; the rendered selector follows operator.watchNamespaces.
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if "`metrics.serviceMonitor.enabled`" in line)
    assert "namespaceSelector.matchNames" in row and "namespaceSelector.any: true" in row
    assert "operator.watchNamespaces" in row
    (everywhere,) = find(
        render(EVERYTHING), "ServiceMonitor", "archivestream-operator-archive-api"
    )
    assert everywhere["spec"]["namespaceSelector"] == {"any": True}
    (confined,) = find(render(NAMESPACED), "ServiceMonitor", "archivestream-operator-archive-api")
    assert confined["spec"]["namespaceSelector"] == {"matchNames": ["archive", "archive-staging"]}


def test_archive_api_service_monitor_selects_the_api_services_the_operator_builds() -> None:
    # Its series then carry `service` = the API Service's name, which the autoscalers select.
    from design_examples import archive

    from archivestream.operator.builders import api

    (monitor,) = find(render(EVERYTHING), "ServiceMonitor", "archivestream-operator-archive-api")
    service = api.service(archive())
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    ports = {port["name"] for port in service["spec"]["ports"]}
    assert monitor["spec"]["endpoints"][0]["port"] in ports
    assert not monitor["spec"]["endpoints"][0].get("relabelings"), "the service label is kept"


def test_readme_limitations_are_stated() -> None:
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    limitations = readme.split("## Limitations", 1)[1]
    for phrase in ("demo transport", "search.external", "--locality", "watchNamespaces"):
        assert phrase in limitations, phrase
