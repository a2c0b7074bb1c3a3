"""Metadata gate over dbt's manifest.json: the project stays documented and tested.

Fails, naming the file, model and column, unless:

  - every model, seed and source table has a description, and so does every column its
    YAML lists; a model lists at least one column;
  - every model's primary key is tested: a unique_combination_of_columns test, or one
    column with `unique` plus `not_null` (a test, or a not_null constraint the model's
    contract enforces);
  - every mart (models/marts/) enforces its contract;
  - with --duckdb, every column the built relation really has is documented.

Runs after `dbt parse` (pre-commit) or `dbt build` (make test, with --duckdb).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import duckdb

from lending.checks.problems import Problem, report

KEY_TESTS = ("unique", "not_null", "unique_combination_of_columns")


def _yaml_file(node: dict) -> str:
    """The YAML that documents a node (or, when none does, its own file)."""
    patch = node.get("patch_path") or ""
    return patch.split("://", 1)[-1] if patch else node["original_file_path"]


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def _own(manifest: dict, kind: str) -> list[dict]:
    project = manifest["metadata"].get("project_name")
    collection = manifest["sources"] if kind == "source" else manifest["nodes"]
    return [
        node
        for node in collection.values()
        if node["resource_type"] == kind and node["package_name"] == project
    ]


def check_descriptions(manifest: dict) -> list[Problem]:
    problems = []
    for kind in ("model", "seed", "source"):
        for node in _own(manifest, kind):
            name = f"{node['source_name']}.{node['name']}" if kind == "source" else node["name"]
            where = f"{_yaml_file(node)}: {kind} {name}"
            if _blank(node.get("description")):
                problems.append(Problem(where, "has no description"))
            if kind == "model" and not node["columns"]:
                problems.append(Problem(where, "documents no columns"))
            for column in node["columns"].values():
                if _blank(column.get("description")):
                    problems.append(
                        Problem(f"{where}, column {column['name']}", "has no description")
                    )
    return problems


def _key_tests(manifest: dict) -> dict[str, dict[str, set[str]]]:
    """model id -> test name -> the columns it covers ('*' for a combination)."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or metadata.get("name") not in KEY_TESTS:
            continue
        model = node.get("attached_node")
        if model is None:
            continue
        if metadata["name"] == "unique_combination_of_columns":
            found[model][metadata["name"]].add("*")
        elif node.get("column_name"):
            found[model][metadata["name"]].add(node["column_name"])
    return found


def check_primary_keys(manifest: dict) -> list[Problem]:
    tests = _key_tests(manifest)
    problems = []
    for model in _own(manifest, "model"):
        covered = tests.get(model["unique_id"], {})
        if covered.get("unique_combination_of_columns"):
            continue
        not_null = set(covered.get("not_null", set()))
        if model["config"]["contract"]["enforced"]:
            not_null |= {
                name
                for name, column in model["columns"].items()
                if any(c.get("type") == "not_null" for c in column.get("constraints", []))
            }
        if covered.get("unique", set()) & not_null:
            continue
        problems.append(
            Problem(
                f"{_yaml_file(model)}: model {model['name']}",
                "primary key not tested: add unique + not_null on the key column, or a "
                "unique_combination_of_columns test",
            )
        )
    return problems


def check_mart_contracts(manifest: dict) -> list[Problem]:
    return [
        Problem(
            f"{_yaml_file(model)}: model {model['name']}",
            "is a mart but does not enforce its contract (config: contract: {enforced: true})",
        )
        for model in _own(manifest, "model")
        if len(model["fqn"]) > 1
        and model["fqn"][1] == "marts"
        and not model["config"]["contract"]["enforced"]
    ]


def check_columns_in_warehouse(manifest: dict, database: Path) -> list[Problem]:
    """Columns the built relations have that the YAML does not document."""
    problems = []
    with duckdb.connect(str(database), read_only=True) as con:
        for model in _own(manifest, "model"):
            if model["config"]["materialized"] == "ephemeral":
                continue
            rows = con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [model["schema"], model["alias"]],
            ).fetchall()
            if not rows:
                problems.append(
                    Problem(f"model {model['name']}", f"is not built in {database}; build first")
                )
                continue
            documented = {name.lower() for name in model["columns"]}
            for (column,) in rows:
                if column.lower() not in documented:
                    problems.append(
                        Problem(
                            f"{_yaml_file(model)}: model {model['name']}, column {column}",
                            "exists in the warehouse but is not documented",
                        )
                    )
    return problems


def check(manifest: dict, database: Path | None = None) -> list[Problem]:
    problems = [
        *check_descriptions(manifest),
        *check_primary_keys(manifest),
        *check_mart_contracts(manifest),
    ]
    if database is not None:
        problems += check_columns_in_warehouse(manifest, database)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="check_metadata.py",
        description=__doc__.split("\n\n")[0],
        epilog="Example: lending-metadata target/manifest.json "
        "--duckdb data/lending_research.duckdb",
    )
    parser.add_argument(
        "manifest",
        type=Path,
        nargs="?",
        default=Path("target/manifest.json"),
        help="dbt's manifest.json (default: target/manifest.json)",
    )
    parser.add_argument(
        "--duckdb",
        type=Path,
        metavar="FILE",
        help="also require every column of the built relations in this DuckDB file documented",
    )
    args = parser.parse_args(argv)
    try:
        manifest = json.loads(args.manifest.read_text())
    except FileNotFoundError:
        print(
            f"check_metadata.py: error: {args.manifest} not found; run `dbt parse` first",
            file=sys.stderr,
        )
        return 2
    problems = check(manifest, args.duckdb)
    if problems:
        return report("Metadata gate", problems)
    models = len(_own(manifest, "model"))
    print(
        f"Metadata gate passed: {models} models, their columns, seeds and sources described; "
        "every primary key tested; every mart contracted."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
