"""Slim CI for the warehouse: `state:modified+` against the production manifest selects a
changed staging model and everything downstream of it, nothing else. Offline: the prod
target with dummy settings (the job itself adds --defer, which needs the warehouse)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_project
from lending.checks.redshift import offline_env

DBT = str(Path(sys.executable).with_name("dbt"))
CHANGED = "model.lending_research.stg_bank__economic_indicators"
CHANGED_FILE = Path("models/staging/bank/stg_bank__economic_indicators.sql")


def dbt(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [DBT, *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def descendants(manifest: dict, start: str) -> set[str]:
    found, pending = {start}, [start]
    while pending:
        for child in manifest["child_map"].get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


@pytest.fixture(scope="module")
def slim(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("slim")
    project = copy_project(root / "project")
    prod_env = offline_env()
    # What the deploy job publishes: the manifest of production as it is.
    dbt(project, "parse", "--target", "prod", "--target-path", str(root / "prod"), env=prod_env)

    # The pull request: one staging model changes.
    path = project / CHANGED_FILE
    path.write_text(
        path.read_text().replace("unit as indicator_unit", "trim(unit) as indicator_unit")
    )
    ci_env = dict(prod_env, REDSHIFT_SCHEMA="ci_pr_42")
    listed = dbt(
        project,
        "ls",
        "--target", "prod",
        "--select", "state:modified+",
        "--state", str(root / "prod"),
        "--resource-type", "model", "--resource-type", "test",
        "--output", "json", "--output-keys", "unique_id",
        "--target-path", str(root / "ci"),
        "--quiet",
        env=ci_env,
    )  # fmt: skip
    selected = {json.loads(line)["unique_id"] for line in listed.stdout.splitlines() if line}
    manifest = json.loads((root / "ci" / "manifest.json").read_text())
    return {"selected": selected, "manifest": manifest}


@pytest.mark.slow
def test_the_changed_model_and_everything_downstream_is_selected_and_nothing_else(
    slim: dict,
) -> None:
    manifest = slim["manifest"]
    expected = {
        node for node in descendants(manifest, CHANGED) if node.split(".")[0] in ("model", "test")
    }
    assert CHANGED in slim["selected"]
    assert slim["selected"] == expected
    # Downstream reaches the marts; siblings and unrelated branches stay out.
    assert "model.lending_research.int_indicators_pivoted_to_country_months" in expected
    assert "model.lending_research.fct_country_monthly" in expected
    # Exchange rates shape every transaction's USD amount and verdict.
    assert "model.lending_research.int_transactions_validated" in expected
    for untouched in (
        "model.lending_research.stg_bank__transactions",
        "model.lending_research.int_demographics_validated",
        "model.lending_research.dim_sectors",
        "model.lending_research.dim_countries",
    ):
        assert untouched not in slim["selected"], untouched
