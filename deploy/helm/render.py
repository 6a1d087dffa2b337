"""Lints and renders the Kindpakket chart offline with Helm's own engine (helm-python-sdk: Helm v4's Go
SDK as a library; no helm binary, no cluster), and checks the CloudNativePG objects it renders against
the subset schemas in schemas/. Used by tests/tests/e2e/deployment.rs; an operator may run it too:

    PYTHONPATH=.tools/helm .tools/kubernetes-validate/bin/python deploy/helm/render.py \
        render deploy/helm/kindpakket -f my-values.yaml --out-yaml rendered.yaml

Subcommands (values: any number of `-f FILE` (YAML) and `--set-json JSON`, merged in order):
  lint CHART --kube-version V [values]   helm lint --strict; prints the findings, fails on any error or
                                         warning
  render CHART [values] [--name N] [--namespace NS] [--out-yaml F] [--out-json F]
                                         renders every template (hooks included) as Helm would install
                                         it; fails with Helm's message when values break the chart's
                                         values.schema.json or a template fails
  check-crds SCHEMAS_DIR MANIFESTS_JSON  validates every postgresql.cnpg.io object against
                                         SCHEMAS_DIR/cnpg-<kind>.json (JSON Schema); fails on any error
                                         or on a kind without a schema

Exit status 0 when all is well, 1 otherwise (the reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

import yaml


def merge(base: dict, override: dict) -> dict:
    """Values merged as Helm merges several -f files: maps deeply, everything else replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def values_of(arguments: argparse.Namespace) -> dict:
    values: dict = {}
    for file in arguments.values or []:
        values = merge(values, yaml.safe_load(pathlib.Path(file).read_text()) or {})
    for text in arguments.set_json or []:
        values = merge(values, json.loads(text))
    return values


def lint(arguments: argparse.Namespace) -> int:
    import helm_python as helm

    report = helm.lint(
        arguments.chart,
        values_of(arguments),
        strict=True,
        kube_version=arguments.kube_version,
    )
    for message in report.get("messages", []):
        severity = {1: "INFO", 2: "WARNING", 3: "ERROR"}.get(message.get("severity"), "UNKNOWN")
        print(f"[{severity}] {message.get('path')}: {message.get('error')}".rstrip())
    errors = report.get("errors") or []
    if errors:
        print(f"lint: {len(errors)} error(s)", file=sys.stderr)
        for error in errors:
            print(error.rstrip(), file=sys.stderr)
        return 1
    print(f"lint: {report.get('total_charts_linted')} chart(s) linted, no errors")
    return 0


def render(arguments: argparse.Namespace) -> int:
    import helm_python as helm

    try:
        with helm.Chart.load(arguments.chart) as chart:
            templates = chart.render(
                values_of(arguments),
                name=arguments.name,
                namespace=arguments.namespace,
                is_install=True,
            )
    except helm.HelmError as error:
        print(f"render: {error}", file=sys.stderr)
        return 1
    objects = []
    for template in sorted(templates):
        if not template.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(templates[template]):
            if document:
                objects.append({"template": template, "object": document})
    if arguments.out_yaml:
        pathlib.Path(arguments.out_yaml).write_text(
            yaml.safe_dump_all([entry["object"] for entry in objects], sort_keys=False)
        )
    if arguments.out_json:
        pathlib.Path(arguments.out_json).write_text(json.dumps(objects, indent=1))
    print(f"render: {len(objects)} object(s) from {len(templates)} template(s)")
    return 0


def check_crds(arguments: argparse.Namespace) -> int:
    import jsonschema

    schemas = pathlib.Path(arguments.schemas)
    objects = json.loads(pathlib.Path(arguments.manifests).read_text())
    failures = 0
    checked = 0
    for entry in objects:
        document = entry["object"]
        if not str(document.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
            continue
        kind = document.get("kind", "")
        name = document.get("metadata", {}).get("name")
        schema_file = schemas / f"cnpg-{kind.lower()}.json"
        if not schema_file.exists():
            print(f"check-crds: {kind} {name}: no schema {schema_file}", file=sys.stderr)
            failures += 1
            continue
        schema = json.loads(schema_file.read_text())
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = validator_class(schema)
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
        for error in errors:
            path = "/".join(str(part) for part in error.absolute_path)
            print(f"check-crds: {kind} {name}: at '/{path}': {error.message}", file=sys.stderr)
        failures += len(errors)
        checked += 1
        if not errors:
            print(f"check-crds: {kind} {name} valid against {schema_file.name}")
    print(f"check-crds: {checked} object(s) checked, {failures} error(s)")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def with_values(command: argparse.ArgumentParser) -> None:
        command.add_argument("chart")
        command.add_argument("-f", "--values", action="append", help="a values file (YAML)")
        command.add_argument("--set-json", action="append", help="values as a JSON object")

    lint_command = commands.add_parser("lint")
    with_values(lint_command)
    lint_command.add_argument("--kube-version", required=True)
    lint_command.set_defaults(run=lint)

    render_command = commands.add_parser("render")
    with_values(render_command)
    render_command.add_argument("--name", default="kindpakket")
    render_command.add_argument("--namespace", default="kindpakket")
    render_command.add_argument("--out-yaml")
    render_command.add_argument("--out-json")
    render_command.set_defaults(run=render)

    crds_command = commands.add_parser("check-crds")
    crds_command.add_argument("schemas")
    crds_command.add_argument("manifests")
    crds_command.set_defaults(run=check_crds)

    arguments = parser.parse_args()
    return arguments.run(arguments)


if __name__ == "__main__":
    sys.exit(main())
