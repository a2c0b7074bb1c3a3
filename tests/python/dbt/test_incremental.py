"""Incremental processing: a new month rebuilds only that month, a re-delivered month is
replaced, and the result equals a full refresh of the same data."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import mart_fingerprints, run_build, run_generator

INCREMENTAL_MODELS = (
    "int_transactions_validated",
    "fct_transactions",
    "int_transactions_aggregated_to_country_months",
    "int_transactions_aggregated_to_sector_months",
)


def rebuilt_partitions(log: Path) -> dict[str, str]:
    """What each incremental model said it rebuilt in the latest run's log."""
    said: dict[str, str] = {}
    lines = log.read_text().splitlines()
    start = max(i for i, line in enumerate(lines) if "Running with dbt" in line)
    for line in lines[start:]:
        for model in INCREMENTAL_MODELS:
            marker = f"{model}: rebuilding "
            if marker in line:
                said[model] = line.split(marker, 1)[1].strip()
    return said


def table_fingerprint(database: Path, relation: str, exclude: str = "") -> str:
    columns = f"* exclude ({exclude})" if exclude else "*"
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            f"select count(*) || ':' || coalesce(sum(hash(t)), 0) "
            f"from (select {columns} from {relation}) as t"
        ).fetchone()[0]


def settle_pending(partition: Path) -> int:
    """Re-deliver a month with its pending transactions settled, as the bank's system
    does once the payments clear."""
    table = pq.read_table(partition)
    pending = pc.equal(table["status"], "pending")
    settled = pc.if_else(pending, "completed", table["status"])
    pq.write_table(
        table.set_column(table.column_names.index("status"), "status", settled), partition
    )
    return pc.sum(pending).as_py()


@pytest.fixture(scope="module")
def incremental(small_build: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the small build, taken through a new month and a re-delivery."""
    root = tmp_path_factory.mktemp("incremental")
    shutil.copytree(small_build["raw"], root / "raw")
    shutil.copy(small_build["database"], root / "warehouse.duckdb")
    env = dict(
        small_build["env"],
        BANK_RAW_DATA_PATH=str(root / "raw"),
        DBT_DUCKDB_PATH=str(root / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(root / "target"),
        DBT_LOG_PATH=str(root / "logs"),
    )
    steps: dict[str, dict] = {}

    unchanged = run_build(env=env)
    assert unchanged.returncode == 0, unchanged.stdout[-3000:]
    steps["unchanged"] = {"said": rebuilt_partitions(root / "logs" / "dbt.log")}

    appended = run_generator("--append-month", "2024-09", "--output", str(root / "raw"))
    assert appended.returncode == 0, appended.stderr
    new_month = run_build(env=env)
    assert new_month.returncode == 0, new_month.stdout[-3000:]
    steps["new month"] = {"said": rebuilt_partitions(root / "logs" / "dbt.log")}

    settled = settle_pending(
        root / "raw" / "transactions" / "year=2024" / "month=08" / "part-0.parquet"
    )
    redelivered = run_build(env=env)
    assert redelivered.returncode == 0, redelivered.stdout[-3000:]
    steps["re-delivery"] = {
        "said": rebuilt_partitions(root / "logs" / "dbt.log"),
        "settled": settled,
    }

    full_env = dict(
        env,
        DBT_DUCKDB_PATH=str(root / "full.duckdb"),
        DBT_TARGET_PATH=str(root / "full-target"),
        DBT_LOG_PATH=str(root / "full-logs"),
    )
    full = run_build("--full-refresh", env=full_env)
    assert full.returncode == 0, full.stdout[-3000:]
    return {"root": root, "steps": steps}


@pytest.mark.slow
def test_an_unchanged_delivery_rebuilds_nothing(incremental: dict) -> None:
    said = incremental["steps"]["unchanged"]["said"]
    assert said == {model: "0 partition(s)" for model in INCREMENTAL_MODELS}


@pytest.mark.slow
def test_a_new_month_rebuilds_only_that_month(incremental: dict) -> None:
    said = incremental["steps"]["new month"]["said"]
    assert said == {model: "1 partition(s) 2024-9" for model in INCREMENTAL_MODELS}
    with duckdb.connect(str(incremental["root"] / "warehouse.duckdb"), read_only=True) as con:
        months = con.execute("select count(distinct month_start_date) from fct_country_monthly")
        assert months.fetchone()[0] == 69


@pytest.mark.slow
def test_a_redelivered_month_is_replaced(incremental: dict) -> None:
    step = incremental["steps"]["re-delivery"]
    assert step["settled"] > 0, "the sample's last month should have pending transactions"
    assert step["said"] == {model: "1 partition(s) 2024-8" for model in INCREMENTAL_MODELS}
    with duckdb.connect(str(incremental["root"] / "warehouse.duckdb"), read_only=True) as con:
        pending = con.execute(
            "select sum(pending_count) from fct_country_monthly "
            "where month_start_date = '2024-08-01'"
        ).fetchone()[0]
    assert pending == 0


@pytest.mark.slow
def test_the_incremental_path_equals_a_full_refresh(incremental: dict) -> None:
    root = incremental["root"]
    assert mart_fingerprints(root / "warehouse.duckdb") == mart_fingerprints(root / "full.duckdb")
    for relation, exclude in (
        ("int_transactions_validated", "validated_at"),
        ("int_transactions_aggregated_to_country_months", ""),
        ("int_transactions_aggregated_to_sector_months", ""),
        ("fct_rejected_transactions", ""),
    ):
        assert table_fingerprint(root / "warehouse.duckdb", relation, exclude) == (
            table_fingerprint(root / "full.duckdb", relation, exclude)
        ), relation
