"""Judge a custom resource manifest by the CRDs in `crds/`, as an API server would.

No API server runs in tests, so this does what one does on `kubectl apply` with strict
field validation: apply the schema's defaults, check the `openAPIV3Schema` with
`jsonschema` (unknown fields refused), then evaluate every `x-kubernetes-validations`
CEL rule with cel-python (`celpy`) on the node it is attached to. Transition rules (those
naming `oldSelf`) run only when an old object is given, as on an update.

    from tests.crd_judge import judge
    errors = judge(manifest)            # [] when the API server would accept it

What it does not do: Kubernetes' own metadata checks beyond the name, CEL cost limits,
and `format` checks other than those jsonschema knows.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import yaml

CRD_DIR = Path(__file__).resolve().parent.parent / "crds"
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@cache
def schemas(crd_dir: Path = CRD_DIR) -> dict[tuple[str, str], dict[str, Any]]:
    """openAPIV3Schema of every served version, by (apiVersion, kind)."""
    found = {}
    for path in sorted(crd_dir.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                found[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return found


def judge(
    manifest: dict[str, Any], *, old: dict[str, Any] | None = None, crd_dir: Path = CRD_DIR
) -> list[str]:
    """Reasons the API server would refuse `manifest`; an empty list when it accepts it."""
    key = (manifest.get("apiVersion", ""), manifest.get("kind", ""))
    schema = schemas(crd_dir).get(key)
    if schema is None:
        return [f"no CRD in {crd_dir.name}/ serves {key[0]} {key[1]}"]

    errors = []
    name = (manifest.get("metadata") or {}).get("name", "")
    if not name or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        errors.append(f"metadata.name: {name!r} is not a DNS subdomain")

    defaulted = with_defaults(schema, copy.deepcopy(manifest))
    validator = jsonschema.Draft7Validator(strict(schema))
    for error in sorted(validator.iter_errors(defaulted), key=lambda e: list(e.path)):
        where = ".".join(str(part) for part in error.path) or "(root)"
        errors.append(f"{where}: {error.message}")
    if errors:
        # The API server stops at the schema; CEL rules never see a malformed object.
        return errors

    old_defaulted = with_defaults(schema, copy.deepcopy(old)) if old is not None else None
    for where, rule, message in _broken_rules(schema, defaulted, old_defaulted, ""):
        errors.append(f"{where or '(root)'}: {message} (rule: {rule})")
    return errors


def with_defaults(schema: dict[str, Any], value: Any) -> Any:
    """`value` with the schema's defaults filled in, parents before children."""
    if isinstance(value, dict) and "properties" in schema:
        for name, child in schema["properties"].items():
            if name not in value and "default" in child:
                value[name] = copy.deepcopy(child["default"])
            if name in value:
                value[name] = with_defaults(child, value[name])
    if isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for name in value:
            value[name] = with_defaults(schema["additionalProperties"], value[name])
    if isinstance(value, list) and "items" in schema:
        value = [with_defaults(schema["items"], item) for item in value]
    return value


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with unknown fields refused, as `kubectl apply --validate=strict` does."""
    node = {k: v for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if "properties" in node:
        node["properties"] = {name: strict(child) for name, child in node["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = strict(node["additionalProperties"])
    if "items" in node:
        node["items"] = strict(node["items"])
    if (
        node.get("type") == "object"
        and "properties" not in node
        and "additionalProperties" not in node
    ):
        node.pop("additionalProperties", None)
    return node


def _broken_rules(
    schema: dict[str, Any], value: Any, old: Any, where: str
) -> Iterator[tuple[str, str, str]]:
    for validation in schema.get("x-kubernetes-validations", []):
        rule = validation["rule"]
        transition = re.search(r"\boldSelf\b", rule) is not None
        if transition and old is None:
            continue
        if not evaluate(rule, value, old):
            yield where, rule, validation.get("message", f"failed rule: {rule}")

    if isinstance(value, dict):
        for name, child in (schema.get("properties") or {}).items():
            if name in value:
                old_child = old.get(name) if isinstance(old, dict) else None
                yield from _broken_rules(child, value[name], old_child, _join(where, name))
        if isinstance(schema.get("additionalProperties"), dict):
            for name, item in value.items():
                old_item = old.get(name) if isinstance(old, dict) else None
                yield from _broken_rules(
                    schema["additionalProperties"], item, old_item, _join(where, name)
                )
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            # Without list-map keys, Kubernetes does not pair old and new items either.
            yield from _broken_rules(schema["items"], item, None, f"{where}[{index}]")


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


@cache
def _program(rule: str) -> celpy.Runner:
    environment = celpy.Environment()
    return environment.program(environment.compile(rule))


def evaluate(rule: str, value: Any, old: Any = None) -> bool:
    """A CEL rule on `self` (and `oldSelf`); an evaluation error counts as a refusal."""
    activation = {"self": celpy.json_to_cel(value)}
    if old is not None:
        activation["oldSelf"] = celpy.json_to_cel(old)
    try:
        result = _program(rule).evaluate(activation)
    except celpy.CELEvalError:
        return False
    return bool(result) if not isinstance(result, celpy.CELEvalError) else False
