"""The offline Redshift check end to end, on copies of the project: it passes on portable
models (incremental ones included) and fails, naming the model and the construct, on a
model that only works on DuckDB."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import DBT, PROJECT_ROOT, command, copy_project, run_command
from lending.checks.redshift import (
    check_contracts,
    check_external_table_ddl,
    check_sources,
    check_warehouse_config,
    offline_env,
)

CHECK = command("lending-redshift-check")

INCREMENTAL_MODEL = """\
{{ config(materialized='incremental', unique_key='transaction_id', on_schema_change='fail') }}

with

transactions as (

    select
        transaction_id,
        transaction_at
    from {{ ref('int_transactions_classified') }}
    {% if is_incremental() %}
        where transaction_at > (select max(transaction_at) from {{ this }})
    {% endif %}

)

select * from transactions
"""

DUCKDB_ONLY_MODEL = """\
with

transactions as (

    select * from {{ ref('stg_bank__transactions') }}

),

by_country as (

    select
        country_code,
        count(*) filter (where transaction_status = 'completed') as completed_count,
        list(transaction_id) as transaction_ids
    from transactions
    group by all

)

select * from by_country
"""


def run_check(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHECK, "--project-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("redshift") / "project")


@pytest.mark.slow
def test_portable_project_passes_including_an_incremental_model(project: Path) -> None:
    (project / "models" / "intermediate" / "finance" / "int_incremental_probe.sql").write_text(
        INCREMENTAL_MODEL
    )
    result = run_check(project)
    assert result.returncode == 0, result.stderr[-5000:]
    assert "Redshift check passed" in result.stdout
    compiled = next((project / "target" / "redshift").rglob("int_incremental_probe.sql"))
    # Offline there is no table to ask about: the full-refresh branch is what compiles.
    assert "max(transaction_at)" not in compiled.read_text()


@pytest.mark.slow
def test_a_duckdb_only_model_fails_naming_the_model_and_the_construct(project: Path) -> None:
    path = project / "models" / "intermediate" / "finance" / "int_duckdb_only_probe.sql"
    path.write_text(DUCKDB_ONLY_MODEL)
    try:
        result = run_check(project)
    finally:
        path.unlink()
    assert result.returncode == 1
    where = "model int_duckdb_only_probe (models/intermediate/finance/int_duckdb_only_probe.sql)"
    lines = [line for line in result.stderr.splitlines() if where in line]
    assert any("`filter (where`" in line and "FILTER clause" in line for line in lines)
    assert any("`list(`" in line for line in lines)
    assert any("`group by all`" in line for line in lines)
    # Nothing else in the project is blamed.
    blamed = [line for line in result.stderr.splitlines()[1:] if where not in line]
    assert blamed == []


def test_views_must_be_late_binding_and_marts_granted() -> None:
    def node(name: str, layer: str, materialized: str, **config: object) -> dict:
        return {
            "resource_type": "model",
            "name": name,
            "original_file_path": f"models/{layer}/{name}.sql",
            "fqn": ["lending_research", layer, name],
            "config": {"materialized": materialized, **config},
        }

    manifest = {
        "nodes": {
            "a": node("stg_ok", "staging", "view", bind=False),
            "b": node("stg_bound", "staging", "view"),
            "c": node("fct_ok", "marts", "table", grants={"select": ["role:analysts"]}),
            "d": node("fct_private", "marts", "table", grants={}),
            "e": node("int_table", "intermediate", "table"),
        }
    }
    assert [str(problem) for problem in check_warehouse_config(manifest)] == [
        "model stg_bound (models/staging/stg_bound.sql): is a view without bind: false "
        "(late binding)",
        "model fct_private (models/marts/fct_private.sql): is a mart without grants: "
        "{select: [role:...]}",
    ]


def test_a_source_outside_the_external_schema_and_loose_types_are_named() -> None:
    manifest = {
        "sources": {
            "source.lending_research.bank.loans": {
                "source_name": "bank",
                "name": "loans",
                "identifier": "loans",
                "original_file_path": "models/staging/bank/_bank__sources.yml",
                "relation_name": '"analytics"."bank"."loans"',
                "columns": {"loan_id": {"name": "loan_id", "data_type": "hugeint"}},
            }
        },
        "nodes": {
            "model.lending_research.fct_loans": {
                "resource_type": "model",
                "name": "fct_loans",
                "original_file_path": "models/marts/fct_loans.sql",
                "config": {"contract": {"enforced": True}},
                "columns": {
                    "country_code": {"name": "country_code", "data_type": "varchar"},
                    "amount": {"name": "amount", "data_type": "double"},
                },
            }
        },
    }
    sources = [str(problem) for problem in check_sources(manifest)]
    assert sources[0].startswith(
        "source bank.loans (models/staging/bank/_bank__sources.yml): resolves to "
        '"analytics"."bank"."loans" on Redshift, not the external schema'
    )
    assert "column loan_id: hugeint is not a Redshift data type" in sources[1]
    contracts = [str(problem) for problem in check_contracts(manifest)]
    assert "contract column country_code: varchar without a length" in contracts[0]
    assert "contract column amount: double is not a Redshift data type" in contracts[1]


def compile_the_spectrum_ddl(target: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Only analyses/stage_external_sources.sql, for prod, offline (about 10 s)."""
    return run_command(
        DBT, "compile", "--target", "prod", "--no-introspect", "--no-populate-cache",
        "--select", "stage_external_sources", "--vars", "{offline_compile: true}",
        "--target-path", target, "--log-path", target / "logs",
        env=dict(offline_env(), DBT_PROFILES_DIR=str(PROJECT_ROOT), **env),
    )  # fmt: skip


@pytest.mark.slow
def test_the_spectrum_ddl_names_its_role_and_fails_on_over_long_strings(tmp_path: Path) -> None:
    compiled = compile_the_spectrum_ddl(tmp_path)
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert check_external_table_ddl(manifest) == []
    ddl = next(tmp_path.rglob("stage_external_sources.sql")).read_text()
    assert "iam_role 'arn:aws:iam::123456789012:role/offline-check'" in ddl
    assert ddl.count("table properties ('surplus_char_handling'='FAIL')") == len(
        manifest["sources"]
    )
    # Each table's partitions from its own first month: the loans' opening book from
    # 1992, the monthly transactions from December 2018 (meta lake_first_month).
    assert "partition (year=1992) location 's3://" in ddl
    assert "partition (year=2018, month=12) location" in ddl
    assert "partition (year=2018, month=11)" not in ddl
    assert "partition (year=1991)" not in ddl


@pytest.mark.slow
def test_the_default_role_is_refused(tmp_path: Path) -> None:
    compiled = compile_the_spectrum_ddl(tmp_path, REDSHIFT_SPECTRUM_ROLE_ARN="default")
    assert compiled.returncode != 0
    assert "REDSHIFT_SPECTRUM_ROLE_ARN must be an IAM role ARN" in compiled.stdout
    assert "never 'default'" in compiled.stdout


def test_ddl_without_the_surplus_rule_or_with_the_default_role_is_caught() -> None:
    """The check the previous test relies on, shown to bite on a broken copy of the DDL."""
    source = {"source_name": "bank", "name": "loans", "identifier": "loans"}
    good = (
        'create external schema if not exists "bank_lake"\nfrom data catalog\n'
        "iam_role 'arn:aws:iam::123456789012:role/x';\n\n"
        'create external table "bank_lake"."loans" (\n    "loan_id" bigint\n)\n'
        "stored as parquet\nlocation 's3://lake/raw/loans/'\n"
        "table properties ('surplus_char_handling'='FAIL');\n\n"
        'alter table "bank_lake"."loans" add if not exists\npartition (year=2024)'
    )

    def problems(ddl: str) -> list[str]:
        analysis = {
            "resource_type": "analysis",
            "name": "stage_external_sources",
            "original_file_path": "analyses/stage_external_sources.sql",
            "compiled_code": ddl,
        }
        manifest = {"nodes": {"a": analysis}, "sources": {"s": source}}
        return [str(problem) for problem in check_external_table_ddl(manifest)]

    assert problems(good) == []
    where = "analysis stage_external_sources (analyses/stage_external_sources.sql): "
    # The property of the next table does not count for this one.
    no_rule = good.replace("\ntable properties ('surplus_char_handling'='FAIL')", "")
    assert problems(no_rule + good.split(";", 1)[1].replace('"loans"', '"other"')) == [
        where + 'the external table "bank_lake"."loans" for source bank.loans: no '
        "table properties ('surplus_char_handling'='fail')"
    ]
    default_role = good.replace("iam_role 'arn:aws:iam::123456789012:role/x'", "iam_role default")
    assert problems(default_role) == [where + "uses the default IAM role"]
