"""The marts carry their Redshift grants everywhere, and on DuckDB applying them is a
silent no-op (dbt-duckdb's own version warns on every table)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from conftest import run_dbt


@pytest.mark.slow
def test_a_granted_mart_builds_on_duckdb_without_a_word_about_grants(
    tmp_path: Path, dbt_env: dict[str, str], default_dataset: Path
) -> None:
    # Data of its own: `make test` runs pytest before it generates data/raw.
    env = dict(
        dbt_env,
        DBT_DUCKDB_PATH=str(tmp_path / "grants.duckdb"),
        BANK_RAW_DATA_PATH=str(default_dataset),
    )
    result = run_dbt(
        "build", "--select", "+dim_sectors", "--indirect-selection", "cautious",
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    mart = manifest["nodes"]["model.lending_research.dim_sectors"]
    assert mart["config"]["grants"] == {"select": ["role:analysts"]}
    assert "grant" not in result.stdout.lower()
    with duckdb.connect(str(tmp_path / "grants.duckdb"), read_only=True) as con:
        # A partial build publishes nothing: the mart built is its audit copy.
        assert con.execute("select count(*) from main_audit.dim_sectors").fetchone() == (10,)
