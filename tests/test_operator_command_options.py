"""`archivestream operator` declares every option the Helm chart passes, with help text, and
refuses an option it does not know instead of ignoring a typo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from chart_render import find, render
from typer.testing import CliRunner

from archivestream.core.cli import app

DEPLOYMENT = (
    Path(__file__).resolve().parent.parent
    / "charts"
    / "archivestream-operator"
    / "templates"
    / "deployment.yaml"
)


def invoke(*args: str):
    return CliRunner().invoke(app, ["operator", *args], env={"COLUMNS": "200", "NO_COLOR": "1"})


def test_help_lists_the_options_the_chart_passes() -> None:
    result = invoke("--help")
    assert result.exit_code == 0, result.output
    chart_options = set(re.findall(r"- (--[a-z-]+)", DEPLOYMENT.read_text(encoding="utf-8")))
    assert {"--peering", "--standalone", "--liveness", "--namespace"} <= chart_options
    for option in chart_options | {"--priority"}:
        assert option in result.output, option
    assert "liveness probe" in result.output


def test_a_misspelt_option_is_an_error() -> None:
    result = invoke("--namespce", "archive")
    assert result.exit_code == 2
    assert "No such option" in result.output and "--namespce" in result.output


def test_peering_and_standalone_exclude_each_other() -> None:
    result = invoke("--peering=archivestream-operator", "--standalone")
    assert result.exit_code == 2
    assert "exclude each other" in result.output


@pytest.mark.parametrize(
    "values",
    [{}, {"peering": {"enabled": False}}, {"operator": {"watchNamespaces": ["a", "b"]}}],
    ids=["default", "standalone", "namespaced"],
)
def test_the_charts_args_parse_as_declared_options(values: dict) -> None:
    (deployment,) = find(render(values), "Deployment")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[0] == "operator"
    command = typer.main.get_command(app).commands["operator"]
    # Parses and validates exactly as the command line would, without running the operator.
    params = command.make_context("operator", list(args[1:])).params
    assert params["liveness"].endswith("/healthz")
    assert params["standalone"] == ("--standalone" in args)
    assert (params["peering"] is not None) == any(a.startswith("--peering=") for a in args)
    namespaces = list(params["namespace"] or [])
    assert namespaces == values.get("operator", {}).get("watchNamespaces", [])
