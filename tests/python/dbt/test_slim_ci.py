"""Slim CI for the warehouse: `state:modified+` against the production manifest selects a
changed staging model and everything downstream of it, nothing else (offline: the prod
target with dummy settings); and, on DuckDB, the pull request's schemas and its --defer
build against a production build (below)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import (
    DBT,
    ProjectCopy,
    copy_project,
    generated,
    mart_fingerprints,
    project_copy,
    run_command,
)
from lending.checks.redshift import offline_env

CHANGED = "model.lending_research.stg_bank__economic_indicators"
CHANGED_FILE = Path("models/staging/bank/stg_bank__economic_indicators.sql")


def dbt(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = run_command(DBT, *args, "--project-dir", project, "--profiles-dir", project, env=env)
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


# --- The pull request's schemas, and what --defer reads from production -------------------
# On DuckDB, with a production build and a pull request's build in one warehouse file: the
# schemas CI creates are exactly those its build writes, its deferred refs read production's
# published marts (never the audit copies, which CI is not granted on Redshift: emptied
# here, so reading them would fail), and dropping CI's schemas leaves production.

CI_SCHEMA = "ci_pr_7"
CHANGED_MART = Path("models/marts/lending/fct_country_monthly.sql")
NOT_GRANTED_TO_CI = ("main_audit", "main_quarantine_audit", "main_dbt_test__audit")
# Read only by the published fct_transactions view, which on Redshift (and PostgreSQL) reads
# it with its owner's privileges, not CI's; DuckDB has no owners, so it stays.
READ_AS_THE_VIEWS_OWNER = {("main_audit", "published_versions")}


def schemas(database: Path) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select schema_name from information_schema.schemata "
            "where catalog_name = current_database()"
        ).fetchall()
    return {name for (name,) in rows} - {"information_schema", "pg_catalog"}


def logged_schemas(result: subprocess.CompletedProcess[str], verb: str) -> set[str]:
    return set(re.findall(rf"{verb} schema (\w+)", result.stdout))


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> dict:
    root = tmp_path_factory.mktemp("pull-request")
    generated(root / "raw", "--transactions", "2000", "--seed", "3")
    production = project_copy(root / "production", root / "raw", dbt_env)
    built = production.dbt("build", "--exclude-resource-type", "unit_test")
    assert built.returncode == 0, built.stdout[-4000:]
    shutil.copytree(production.target, root / "prod-state")
    published = mart_fingerprints(production.database)
    in_production = schemas(production.database)
    planned = production.dbt("run-operation", "create_ci_schemas", "--args", "{dry_run: true}")

    # The pull request: its own copy, its own schema, one mart changed.
    ci = project_copy(root / "ci", root / "raw", dbt_env)
    profile = ci.project / "profiles.yml"
    duckdb_target = "      type: duckdb\n"
    profile.write_text(
        profile.read_text().replace(duckdb_target, f"{duckdb_target}      schema: {CI_SCHEMA}\n")
    )
    mart = ci.project / CHANGED_MART
    mart.write_text(mart.read_text() + "\n-- a pull request's change\n")
    shared = dict(ci.env, DBT_DUCKDB_PATH=str(production.database))
    ci = ProjectCopy(ci.project, production.database, shared)
    with duckdb.connect(str(production.database)) as con:
        relations = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema in ?",
            [list(NOT_GRANTED_TO_CI)],
        ).fetchall()
        for schema, name, kind in relations:
            if (schema, name) not in READ_AS_THE_VIEWS_OWNER:
                con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} {schema}.{name}")

    created = ci.dbt("run-operation", "create_ci_schemas")
    assert created.returncode == 0, created.stdout[-3000:]
    build = ci.dbt(
        "build", "--select", "state:modified+", "--defer", "--state", str(root / "prod-state"),
        "--exclude-resource-type", "unit_test",
    )  # fmt: skip
    after_build = schemas(production.database)
    dropped = ci.dbt("run-operation", "drop_ci_schemas")
    return {
        "production": production,
        "published": published,
        "in_production": in_production,
        "planned": planned,
        "created": created,
        "build": build,
        "after_build": after_build,
        "dropped": dropped,
        "after_drop": schemas(production.database),
    }


@pytest.mark.slow
def test_the_ci_schemas_are_every_schema_a_build_writes(pull_request: dict) -> None:
    # For production's target schema, the list is what a full build created...
    refused = pull_request["planned"]
    assert refused.returncode != 0
    assert "works only on a pull request's schemas (ci_*)" in refused.stdout
    # ...and for the pull request's, what its build used, all of them ci_*.
    created = logged_schemas(pull_request["created"], "created")
    assert created == {CI_SCHEMA + name[len("main") :] for name in pull_request["in_production"]}
    assert {s for s in pull_request["after_build"] if s.startswith("ci_")} <= created
    assert all(re.fullmatch(r"ci_[a-z0-9_]{1,60}", schema) for schema in created)


@pytest.mark.slow
def test_a_deferred_build_reads_only_what_ci_is_granted(pull_request: dict) -> None:
    build = pull_request["build"]
    assert build.returncode == 0, build.stdout[-4000:]
    assert "fct_country_monthly" in build.stdout
    assert re.search(r"PASS=\d+ WARN=\d+ ERROR=0", build.stdout)


@pytest.mark.slow
def test_dropping_the_ci_schemas_leaves_production_as_it_was(pull_request: dict) -> None:
    dropped = pull_request["dropped"]
    assert dropped.returncode == 0, dropped.stdout[-3000:]
    assert logged_schemas(dropped, "dropped") == logged_schemas(pull_request["created"], "created")
    assert not {s for s in pull_request["after_drop"] if s.startswith("ci_")}
    assert pull_request["after_drop"] == pull_request["in_production"]
    assert mart_fingerprints(pull_request["production"].database) == pull_request["published"]
