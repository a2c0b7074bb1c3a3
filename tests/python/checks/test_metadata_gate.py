"""The metadata gate (dbt-bouncer with dbt-bouncer.yml and our checks in
scripts/lending/checks/dbt_bouncer/): the real project passes, and each kind of gap, made in
a copy of the real project's artifacts, fails it by check and by name."""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, ProjectCopy, run_command, run_dbt

# dbt-bouncer's own virtual environment, inside the project's (make install-dev).
BOUNCER = Path(sys.prefix) / "bouncer" / "bin" / "dbt-bouncer"
CONFIG = PROJECT_ROOT / "dbt-bouncer.yml"
PROJECT = "lending_research"


def gate(
    root: Path, manifest: dict, catalog: dict | None = None
) -> tuple[int, dict[str, list[str]]]:
    """dbt-bouncer on these artifacts: the exit status, and failure messages by check."""
    (root / "target").mkdir(parents=True, exist_ok=True)
    (root / "target" / "manifest.json").write_text(json.dumps(manifest))
    only = "manifest_checks"
    if catalog is not None:
        (root / "target" / "catalog.json").write_text(json.dumps(catalog))
        only += ",catalog_checks"
    results = root / "results.json"
    result = run_command(
        BOUNCER, "run", "--config-file", CONFIG, "--only", only,
        "--output-file", results, "--output-format", "json", "--output-only-failures",
        # dbt-bouncer reads the artifacts in $DBT_PROJECT_DIR/target.
        env=dict(os.environ, DBT_PROJECT_DIR=str(root)),
        timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr
    failures: dict[str, list[str]] = {}
    for failure in json.loads(results.read_text()):
        name = failure["check_run_id"].split(":")[0]
        failures.setdefault(name, []).append(failure["failure_message"])
    return result.returncode, failures


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> dict:
    """The real project's manifest, as `dbt parse` (the pre-commit hook) writes it."""
    target = tmp_path_factory.mktemp("parsed")
    parsed = run_dbt(
        "parse", "--target-path", str(target), "--log-path", str(target / "logs"), env=dbt_env
    )
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    return json.loads((target / "manifest.json").read_text())


def node(manifest: dict, kind: str, name: str) -> dict:
    return manifest["nodes"][f"{kind}.{PROJECT}.{name}"]


def without_test(manifest: dict, model: str, test: str, column: str | None = None) -> dict:
    changed = copy.deepcopy(manifest)
    found = [
        unique_id
        for unique_id, test_node in changed["nodes"].items()
        if test_node["resource_type"] == "test"
        and test_node.get("attached_node") == f"model.{PROJECT}.{model}"
        and (test_node.get("test_metadata") or {}).get("name") == test
        and (column is None or test_node.get("column_name") == column)
    ]
    assert found, f"{model} has no {test} test to remove"
    for unique_id in found:
        del changed["nodes"][unique_id]
    return changed


def as_unique_test(manifest: dict, model: str) -> dict:
    """The model's primary_key test (unique and not null, tests/generic/) turned into dbt's
    `unique` on the same column, which checks uniqueness only."""
    changed = copy.deepcopy(manifest)
    (key,) = [
        test_node
        for test_node in changed["nodes"].values()
        if test_node["resource_type"] == "test"
        and test_node.get("attached_node") == f"model.{PROJECT}.{model}"
        and (test_node.get("test_metadata") or {}).get("name") == "primary_key"
    ]
    (column,) = key["test_metadata"]["kwargs"]["columns"]
    key["test_metadata"] = {"name": "unique", "kwargs": {"column_name": column}}
    key["column_name"] = column
    return changed


def without_column_description(manifest: dict, model: str, column: str) -> dict:
    changed = copy.deepcopy(manifest)
    node(changed, "model", model)["columns"][column]["description"] = ""
    return changed


def without_contract(manifest: dict, model: str) -> dict:
    changed = copy.deepcopy(manifest)
    mart = node(changed, "model", model)
    mart["contract"]["enforced"] = mart["config"]["contract"]["enforced"] = False
    return changed


@pytest.mark.slow
def test_the_real_project_passes(manifest: dict, tmp_path: Path) -> None:
    status, failures = gate(tmp_path, manifest)
    assert (status, failures) == (0, {})
    # Not vacuous: models, key tests and contracted marts to look at.
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) >= 14
    assert any(n["config"]["contract"]["enforced"] for n in models)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "check", "message"),
    [
        pytest.param(
            partial(without_column_description, model="fct_country_monthly", column="success_rate"),
            "check_model_column_description_populated",
            "`fct_country_monthly` has columns that do not have a populated description: "
            "['success_rate']",
            id="undescribed-column",
        ),
        pytest.param(
            partial(without_test, model="fct_transactions", test="primary_key"),
            "check_model_has_unique_test",
            "`fct_transactions` does not have a test for uniqueness of a column.",
            id="untested-primary-key",
        ),
        pytest.param(
            partial(without_contract, model="fct_sector_monthly"),
            "check_model_has_contracts_enforced",
            "`fct_sector_monthly` does not have contracts enforced.",
            id="uncontracted-mart",
        ),
    ],
)
def test_a_gap_fails_its_check_and_no_other(
    manifest: dict, tmp_path: Path, change: Callable[[dict], dict], check: str, message: str
) -> None:
    status, failures = gate(tmp_path, change(manifest))
    assert status == 1
    assert failures == {check: [message]}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "check", "message"),
    [
        ("model", "check_model_description_populated", "`stg_bank__transactions` does not"),
        ("seed", "check_seed_description_populated", "`countries` does not"),
        ("source", "check_source_description_populated", "`bank.transactions` does not"),
        ("seed column", "check_seed_column_description_populated", "`countries` has columns"),
        ("source column", "check_source_column_description_populated", "`bank.transactions`"),
    ],
)
def test_undescribed_models_seeds_sources_and_their_columns_fail(
    manifest: dict, tmp_path: Path, kind: str, check: str, message: str
) -> None:
    changed = copy.deepcopy(manifest)
    resource = {
        "model": node(changed, "model", "stg_bank__transactions"),
        "seed": node(changed, "seed", "countries"),
        "source": changed["sources"][f"source.{PROJECT}.bank.transactions"],
    }[kind.split()[0]]
    if kind.endswith("column"):
        next(iter(resource["columns"].values()))["description"] = " "
    else:
        resource["description"] = ""
    status, failures = gate(tmp_path, changed)
    assert status == 1
    assert list(failures) == [check]
    assert failures[check][0].startswith(message)


@pytest.mark.slow
def test_a_model_documenting_no_columns_fails(manifest: dict, tmp_path: Path) -> None:
    changed = copy.deepcopy(manifest)
    node(changed, "model", "int_transactions_classified")["columns"] = {}
    _status, failures = gate(tmp_path, changed)
    assert failures["check_model_documents_columns"] == [
        "`int_transactions_classified` documents no columns: list them, each with a description."
    ]


@pytest.mark.slow
def test_a_unique_key_that_may_be_null_fails(manifest: dict, tmp_path: Path) -> None:
    status, failures = gate(tmp_path, as_unique_test(manifest, "time_spine_daily"))
    assert status == 1
    assert list(failures) == ["check_model_primary_key_not_null"]
    assert failures["check_model_primary_key_not_null"][0].startswith(
        "`time_spine_daily`: the unique key (date_day) may be null"
    )


@pytest.mark.slow
def test_a_not_null_constraint_counts_only_under_an_enforced_contract(
    manifest: dict, tmp_path: Path
) -> None:
    # With dbt's unique test on its key, dim_countries' key is not null by its contract's
    # constraints only.
    unique_only = as_unique_test(manifest, "dim_countries")
    assert gate(tmp_path / "contracted", unique_only) == (0, {})
    _status, failures = gate(
        tmp_path / "uncontracted", without_contract(unique_only, "dim_countries")
    )
    assert failures["check_model_primary_key_not_null"][0].startswith(
        "`dim_countries`: the unique key"
    )


@pytest.mark.slow
def test_the_built_project_passes_and_an_undocumented_warehouse_column_fails(
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    """The catalog checks, on a built copy's manifest and catalog (`dbt docs generate`)."""
    built = analyst_build.manifest()
    catalog = json.loads((analyst_build.target / "catalog.json").read_text())
    assert gate(tmp_path / "as-built", built, catalog) == (0, {})

    changed = copy.deepcopy(built)
    del node(changed, "model", "fct_transactions")["columns"]["amount_usd"]
    status, failures = gate(tmp_path / "changed", changed, catalog)
    assert status == 1
    assert failures["check_columns_are_all_documented"] == [
        "`fct_transactions` has columns that are not included in the models properties "
        "file: ['amount_usd']"
    ]
