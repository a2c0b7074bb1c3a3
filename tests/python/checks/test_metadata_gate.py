"""The metadata gate: passes on the real project, fails on each kind of gap, by name."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_ROOT, command
from lending.checks.metadata import check

GATE = command("lending-metadata")
DBT = command("dbt")


def model(name: str, path: str, *, contract: bool = False, **columns: str) -> dict:
    return {
        "unique_id": f"model.demo.{name}",
        "resource_type": "model",
        "package_name": "demo",
        "name": name,
        "alias": name,
        "schema": "main",
        "fqn": ["demo", *path.split("/"), name],
        "original_file_path": f"models/{path}/{name}.sql",
        "patch_path": f"demo://models/{path}/_models.yml",
        "description": f"One row per {name}.",
        "config": {"contract": {"enforced": contract}, "materialized": "table"},
        "columns": {
            column: {"name": column, "description": text, "constraints": []}
            for column, text in columns.items()
        },
    }


def data_test(name: str, attached: str, column: str | None = None) -> dict:
    return {
        "unique_id": f"test.demo.{name}_{attached}_{column}",
        "resource_type": "test",
        "package_name": "demo",
        "name": name,
        "attached_node": f"model.demo.{attached}",
        "column_name": column,
        "test_metadata": {"name": name},
    }


def good_manifest() -> dict:
    stg = model("stg_loans", "staging/bank", loan_id="The loan.", amount="Amount.")
    fct = model("fct_loans", "marts/lending", contract=True, loan_id="The loan.")
    fct["columns"]["loan_id"]["constraints"] = [{"type": "not_null"}]
    grid = model("int_grid", "intermediate/finance", country="Country.", month="Month.")
    nodes = [
        stg,
        fct,
        grid,
        data_test("unique", "stg_loans", "loan_id"),
        data_test("not_null", "stg_loans", "loan_id"),
        data_test("unique", "fct_loans", "loan_id"),
        data_test("unique_combination_of_columns", "int_grid"),
    ]
    return {
        "metadata": {"project_name": "demo"},
        "nodes": {node["unique_id"]: node for node in nodes},
        "sources": {},
    }


def messages(manifest: dict) -> list[str]:
    return [str(problem) for problem in check(manifest)]


def test_a_documented_tested_project_passes() -> None:
    assert messages(good_manifest()) == []


def test_a_model_without_description_is_named() -> None:
    manifest = good_manifest()
    manifest["nodes"]["model.demo.stg_loans"]["description"] = "  "
    assert messages(manifest) == [
        "models/staging/bank/_models.yml: model stg_loans: has no description"
    ]


def test_an_undescribed_column_is_named() -> None:
    manifest = good_manifest()
    manifest["nodes"]["model.demo.int_grid"]["columns"]["month"]["description"] = ""
    assert messages(manifest) == [
        "models/intermediate/finance/_models.yml: model int_grid, column month: has no description"
    ]


def test_a_model_with_no_columns_documented_fails() -> None:
    manifest = good_manifest()
    manifest["nodes"]["model.demo.int_grid"]["columns"] = {}
    assert any("int_grid: documents no columns" in m for m in messages(manifest))


@pytest.mark.parametrize(
    "missing",
    [
        "test.demo.unique_stg_loans_loan_id",
        "test.demo.not_null_stg_loans_loan_id",
    ],
)
def test_a_key_needs_both_unique_and_not_null(missing: str) -> None:
    manifest = good_manifest()
    del manifest["nodes"][missing]
    (message,) = messages(manifest)
    assert message.startswith("models/staging/bank/_models.yml: model stg_loans: primary key")


def test_unique_and_not_null_must_be_on_the_same_column() -> None:
    manifest = good_manifest()
    manifest["nodes"]["test.demo.not_null_stg_loans_loan_id"]["column_name"] = "amount"
    assert any("stg_loans: primary key not tested" in m for m in messages(manifest))


def test_a_not_null_constraint_counts_only_when_the_contract_is_enforced() -> None:
    manifest = good_manifest()
    fct = manifest["nodes"]["model.demo.fct_loans"]
    fct["fqn"] = ["demo", "intermediate", "fct_loans"]  # not a mart, so no contract rule
    fct["config"]["contract"]["enforced"] = False
    assert any("fct_loans: primary key not tested" in m for m in messages(manifest))


def test_a_mart_without_an_enforced_contract_fails() -> None:
    manifest = good_manifest()
    manifest["nodes"]["model.demo.fct_loans"]["config"]["contract"]["enforced"] = False
    found = messages(manifest)
    assert any("fct_loans: is a mart but does not enforce its contract" in m for m in found)


def test_undescribed_sources_and_seeds_fail() -> None:
    manifest = good_manifest()
    manifest["sources"]["source.demo.bank.loans"] = {
        "resource_type": "source",
        "package_name": "demo",
        "source_name": "bank",
        "name": "loans",
        "original_file_path": "models/staging/bank/_sources.yml",
        "description": "",
        "columns": {"loan_id": {"name": "loan_id", "description": ""}},
    }
    seed = copy.deepcopy(manifest["nodes"]["model.demo.int_grid"])
    seed.update(resource_type="seed", unique_id="seed.demo.countries", name="countries")
    seed["description"] = ""
    manifest["nodes"][seed["unique_id"]] = seed
    found = messages(manifest)
    assert "models/staging/bank/_sources.yml: source bank.loans: has no description" in found
    assert any("source bank.loans, column loan_id: has no description" in m for m in found)
    assert any("seed countries: has no description" in m for m in found)


def test_columns_in_the_warehouse_must_be_documented(tmp_path: Path) -> None:
    database = tmp_path / "dev.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create table stg_loans (loan_id bigint, amount decimal(18,2), note varchar)")
        con.execute("create table fct_loans (loan_id bigint)")
        con.execute("create table int_grid (country varchar, month date)")
    problems = [str(p) for p in check(good_manifest(), database)]
    assert problems == [
        "models/staging/bank/_models.yml: model stg_loans, column note: "
        "exists in the warehouse but is not documented"
    ]


def test_the_cli_exits_1_on_a_bad_manifest_and_0_on_a_good_one(tmp_path: Path) -> None:
    bad = good_manifest()
    bad["nodes"]["model.demo.stg_loans"]["description"] = ""
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "good.json").write_text(json.dumps(good_manifest()))
    failed = subprocess.run(
        [GATE, str(tmp_path / "bad.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert "model stg_loans: has no description" in failed.stderr
    passed = subprocess.run(
        [GATE, str(tmp_path / "good.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert passed.returncode == 0, passed.stderr
    assert "Metadata gate passed: 3 models" in passed.stdout


@pytest.mark.slow
def test_the_real_project_passes_the_gate(tmp_path: Path, dbt_env: dict[str, str]) -> None:
    parsed = subprocess.run(
        [DBT, "parse", "--target-path", str(tmp_path), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_ROOT,
        env=dbt_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert check(manifest) == []
    # Not vacuous: the project has models, key tests and contracted marts to look at.
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) >= 14
    assert any(n["config"]["contract"]["enforced"] for n in models)
