"""Write-audit-publish: a build that fails any error-severity check (the rejected-share
gate, a reconciliation, a contract) leaves every published mart exactly as the last
passing build left it; the next passing build publishes, all marts at once.

One copy of the project goes through three failures, each with a new delivery that would
change the marts, and each followed by the fix. The published marts are compared byte for
byte (every column, bookkeeping included) before and after each failure.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import ProjectCopy, mart_fingerprints, project_copy, run_generator

INDICATORS_2024 = Path("economic_indicators") / "year=2024" / "part-0.parquet"
SEPTEMBER = Path("transactions") / "year=2024" / "month=09" / "part-0.parquet"


def set_indicator(raw: Path, country: str, code: str, value: float) -> float:
    """Set one September 2024 indicator value; returns the value it replaced."""
    table = pq.read_table(raw / INDICATORS_2024)
    row = pc.and_(
        pc.and_(pc.equal(table["country_code"], country), pc.equal(table["indicator_code"], code)),
        pc.equal(table["reference_month"], pa.scalar(date(2024, 9, 1))),
    )
    (old,) = table.filter(row)["indicator_value"].to_pylist()
    values = pc.if_else(row, value, table["indicator_value"])
    column = table.column_names.index("indicator_value")
    pq.write_table(table.set_column(column, "indicator_value", values), raw / INDICATORS_2024)
    return old


def settle_september(raw: Path) -> None:
    table = pq.read_table(raw / SEPTEMBER)
    status = pc.if_else(pc.equal(table["status"], "pending"), "completed", table["status"])
    column = table.column_names.index("status")
    pq.write_table(table.set_column(column, "status", status), raw / SEPTEMBER)


def edit(path: Path, old: str, new: str) -> str:
    """Replace text in a project file; returns the original, to put back."""
    original = path.read_text()
    assert old in original, f"{old!r} not in {path}"
    path.write_text(original.replace(old, new))
    return original


def scalar(database: Path, sql: str) -> object:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> ProjectCopy:
    root = tmp_path_factory.mktemp("publication")
    generated = run_generator(
        "--transactions", "3000", "--seed", "11", "--output", str(root / "raw")
    )
    assert generated.returncode == 0, generated.stderr
    copy = project_copy(root, root / "raw", dbt_env)
    first = copy.build()
    assert first.returncode == 0, first.stdout[-5000:]
    assert re.search(r"Published (\d+) of \1 marts to schema main", first.stdout)
    return copy


@pytest.fixture(scope="module")
def raw(project: ProjectCopy) -> Path:
    return Path(project.env["BANK_RAW_DATA_PATH"])


# The everyday build (`make build`): without the unit tests, so that the data tests and
# reconciliations are the guard, as they are on every delivery.
EVERYDAY = ("--exclude-resource-type", "unit_test")


def failed_without_publishing(project: ProjectCopy, expected_failure: str) -> str:
    """Build; assert it failed as expected and the published marts did not move."""
    before = mart_fingerprints(project.database)
    result = project.build(*EVERYDAY)
    assert result.returncode == 1, result.stdout[-3000:]
    assert re.search(expected_failure, result.stdout), result.stdout[-5000:]
    assert "Marts NOT published" in result.stdout
    assert "Nothing was published" in result.stdout
    assert mart_fingerprints(project.database) == before
    return result.stdout


def published(project: ProjectCopy) -> None:
    before = mart_fingerprints(project.database)
    result = project.build(*EVERYDAY)
    assert result.returncode == 0, result.stdout[-5000:]
    assert re.search(r"Published \d+ of \d+ marts to schema main", result.stdout)
    assert mart_fingerprints(project.database) != before


@pytest.mark.slow
def test_a_delivery_over_the_rejection_threshold_publishes_nothing(
    project: ProjectCopy, raw: Path
) -> None:
    appended = run_generator("--append-month", "2024-09", "--output", str(raw))
    assert appended.returncode == 0, appended.stderr
    originals = {
        ("ARG", "inflation"): set_indicator(raw, "ARG", "inflation", 5_000.0),
        ("BRA", "unemployment"): set_indicator(raw, "BRA", "unemployment", 150.0),
    }

    output = failed_without_publishing(project, "FAIL  assert_rejected_share_within_threshold")

    assert "economic_indicators 2024-09: 2 of 80 rows rejected (2.5%)" in output
    assert scalar(
        project.database, "select max(month_start_date) from main.fct_country_monthly"
    ) == (date(2024, 8, 1))
    # Why it failed stays inspectable: the build's own data-quality marts and quarantine.
    assert (
        scalar(
            project.database,
            "select count(*) from main_quarantine_audit.fct_rejected_economic_indicators "
            "where month_start_date = date '2024-09-01'",
        )
        == 2
    )

    for (country, code), value in originals.items():
        set_indicator(raw, country, code, value)
    published(project)
    assert scalar(
        project.database, "select max(month_start_date) from main.fct_country_monthly"
    ) == (date(2024, 9, 1))


@pytest.mark.slow
def test_a_failed_reconciliation_publishes_nothing(project: ProjectCopy, raw: Path) -> None:
    settle_september(raw)
    model = project.project / "models" / "marts" / "lending" / "fct_sector_monthly.sql"
    # A bug that loses one sector's activity: the sectors no longer add up to the country.
    original = edit(
        model,
        "select * from {{ ref('int_transactions_aggregated_to_sector_months') }}",
        "select * from {{ ref('int_transactions_aggregated_to_sector_months') }}"
        " where sector_code != 'ENE'",
    )

    failed_without_publishing(project, "FAIL  assert_sector_monthly_adds_up_to_country_monthly")
    assert (
        scalar(
            project.database,
            "select sum(pending_count) from main.fct_country_monthly "
            "where month_start_date = date '2024-09-01'",
        )
        > 0
    )

    model.write_text(original)
    published(project)
    assert (
        scalar(
            project.database,
            "select sum(pending_count) from main.fct_country_monthly "
            "where month_start_date = date '2024-09-01'",
        )
        == 0
    )


@pytest.mark.slow
def test_a_broken_contract_publishes_nothing(project: ProjectCopy, raw: Path) -> None:
    old_rate = set_indicator(raw, "BRA", "exchange_rate", 0)
    set_indicator(raw, "BRA", "exchange_rate", old_rate * 1.01)  # a revised September rate
    model = project.project / "models" / "marts" / "lending" / "dim_sectors.sql"
    original = edit(
        model, "        sector_name,\n", "        length(sector_name) as sector_name,\n"
    )

    try:
        failed_without_publishing(project, r"(?i)contract")
    finally:
        model.write_text(original)
    published(project)


@pytest.mark.slow
def test_a_table_built_by_older_code_names_the_fix(project: ProjectCopy) -> None:
    aggregate = "main_intermediate.int_transactions_aggregated_to_country_months"
    with duckdb.connect(str(project.database)) as con:
        con.execute(f"alter table {aggregate} drop column code_version")

    failed_without_publishing(
        project,
        r'"int_transactions_aggregated_to_country_months" was built by older code: it has no '
        r"code_version column\. Rebuild it: `dbt build --full-refresh`",
    )
    result = project.build("--full-refresh", *EVERYDAY)
    assert result.returncode == 0, result.stdout[-5000:]
    assert re.search(r"Published (\d+) of \1 marts to schema main", result.stdout)


@pytest.mark.slow
def test_the_audit_schemas_exist_before_any_model_runs(
    raw: Path, tmp_path: Path, dbt_env: dict[str, str]
) -> None:
    """Marts that run at the same time on a new warehouse (the three quarantine marts)
    would race to create their audit schema, and the loser fail the build: on-run-start
    creates every one before any model, even when no mart is selected."""
    fresh = project_copy(tmp_path, raw, dbt_env)
    result = fresh.dbt("run", "--select", "stg_bank__demographics")
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(fresh.database), read_only=True) as con:
        schemas = {
            name for (name,) in con.execute("select schema_name from duckdb_schemas()").fetchall()
        }
    assert {"main_audit", "main_quarantine_audit"} <= schemas, schemas


@pytest.mark.slow
def test_a_partial_build_publishes_nothing(project: ProjectCopy) -> None:
    before = mart_fingerprints(project.database)
    result = project.dbt("build", "--select", "dim_sectors")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Marts not published: this run did not build" in result.stdout
    assert mart_fingerprints(project.database) == before
