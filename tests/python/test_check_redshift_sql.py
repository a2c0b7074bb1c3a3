"""The offline Redshift check end to end, on copies of the project: it passes on portable
models (incremental ones included) and fails, naming the model and the construct, on a
model that only works on DuckDB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, copy_project

CHECK = PROJECT_ROOT / "scripts" / "check_redshift_sql.py"

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
        [sys.executable, str(CHECK), "--project-dir", str(project)],
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
