"""End to end: a small generated dataset through a real `dbt build` on DuckDB."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import SMALL_DATASET, command, run_dbt


@pytest.mark.slow
def test_build_passes_with_zero_warnings(small_build: dict) -> None:
    result = small_build["result"]
    assert result.returncode == 0, result.stdout[-5000:]
    assert "OK hook: lending_research.on-run-start" in result.stdout  # the raw files' check
    # Every mart, however many there are.
    assert re.search(r"Published (\d+) of \1 marts to schema main", result.stdout)
    assert "Build summary" in result.stdout
    assert "WARN=0 ERROR=0 SKIP=0" in result.stdout
    assert "[WARNING]" not in result.stdout
    assert "Deprecat" not in result.stdout
    run_results = json.loads((small_build["root"] / "target" / "run_results.json").read_text())
    results = run_results["results"]
    # dbt build lists exposures as nodes with nothing to run.
    exposures = [r for r in results if r["unique_id"].startswith("exposure.")]
    assert {r["status"] for r in exposures} == {"no-op"}
    statuses = {r["status"] for r in results if r not in exposures}
    assert statuses <= {"success", "pass"}
    kinds = {r["unique_id"].split(".")[0] for r in results}
    # "operation": the project's hooks (the raw files' check, the publication).
    assert kinds == {"seed", "model", "test", "unit_test", "exposure", "operation"}


@pytest.mark.slow
def test_country_monthly_is_dense_and_reconciles(small_build: dict) -> None:
    with duckdb.connect(str(small_build["database"]), read_only=True) as con:
        rows, empty, transactions = con.execute(
            "select count(*), count(*) filter (where transaction_count = 0), "
            "sum(transaction_count) from fct_country_monthly"
        ).fetchone()
        assert rows == 680
        assert empty > 0, "expected some country-months without transactions"
        assert transactions == SMALL_DATASET
        null_rates = con.execute(
            "select count(*) from fct_country_monthly "
            "where settled_count = 0 and success_rate is not null"
        ).fetchone()[0]
        assert null_rates == 0
        fct_volume, mart_volume, sector_volume = con.execute(
            "select (select sum(amount_usd) from fct_transactions where is_successful), "
            "(select sum(volume_usd) from fct_country_monthly), "
            "(select sum(volume_usd) from fct_sector_monthly)"
        ).fetchone()
        assert fct_volume == mart_volume == sector_volume
        assert con.execute("select count(*) from fct_sector_monthly").fetchone()[0] == 6_800


@pytest.mark.slow
def test_summary_reads_the_build(small_build: dict) -> None:
    root = small_build["root"]
    result = subprocess.run(
        [
            command("lending-summary"),
            "--database",
            str(small_build["database"]),
            "--run-results",
            str(root / "target" / "run_results.json"),
            "--raw-data",
            str(small_build["raw"]),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "fct_country_monthly 680" in result.stdout
    assert "3,000 transactions" in result.stdout
    assert "0 failed" in result.stdout
    assert "success rate" in result.stdout


@pytest.mark.slow
def test_prod_target_parses_with_credentials_from_the_environment(
    tmp_path: Path, dbt_env: dict[str, str]
) -> None:
    env = dict(dbt_env)
    env.update(
        REDSHIFT_HOST="example.abc123.eu-west-1.redshift.amazonaws.com",
        REDSHIFT_DATABASE="analytics",
        REDSHIFT_USER="ci",
        DBT_ENV_SECRET_REDSHIFT_PASSWORD="not-a-real-password",
        BANK_LAKE_S3_URI="s3://example-lake/raw",  # no fallback lake (SECURITY.md, finding 10)
    )
    result = run_dbt("parse", "--target", "prod", "--target-path", str(tmp_path), env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    # Without credentials the prod target refuses to start and says which variable is missing.
    bare = {k: v for k, v in env.items() if not k.startswith(("REDSHIFT_", "DBT_ENV_SECRET_"))}
    result = run_dbt("parse", "--target", "prod", "--target-path", str(tmp_path), env=bare)
    assert result.returncode != 0
    assert "REDSHIFT_HOST" in result.stdout
