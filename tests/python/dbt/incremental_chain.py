"""The chain of deliveries and revisions the incremental tests take a built project
through (test_incremental_*.py, one chain each, so that the workers share them).

Each chain starts from a copy of one build of a small dataset, made once per session and
built twice (the second time with nothing new). After each step, `lending-build` updates
the copy's warehouse incrementally, a full refresh of the same files builds a second
warehouse from nothing, and every published mart must be equal in both (all columns but
the bookkeeping ones), while the incremental run rebuilt only the partitions the change
touched. The steps of a chain change different months, so a change left stale by one
step stays visible at the next.

Every build here raises the rejection threshold: some steps reject a country-month on
purpose, and the point is what both builds publish, not whether the gate passes (the
gate has tests of its own).
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import (
    BOOKKEEPING_COLUMNS,
    ProjectCopy,
    built_in_place,
    made_once,
    mart_differences,
    mart_fingerprints,
    run_generator,
    shared_copy,
)

INCREMENTAL_MODELS = (
    "int_transaction_partitions_totalled",
    "int_transactions_deduplicated",
    "int_transaction_validations",
    "int_transactions_aggregated_to_country_months",
    "int_transactions_aggregated_to_sector_months",
)
ANY_REJECTED_SHARE = ("--vars", "{max_rejected_share: 1}")
ALL_PARTITIONS = "every partition"
# Steps that change only the aggregates' code: they rebuild every month they hold.
AGGREGATE_CODE_CHANGES = {"a changed metric macro"}


def incremental_build(copy: ProjectCopy) -> subprocess.CompletedProcess[str]:
    """`lending-build` in the copy, with a log of its own (dbt rotates a long one)."""
    shutil.rmtree(copy.project / "logs", ignore_errors=True)
    return copy.build(*ANY_REJECTED_SHARE)


def rebuilt_partitions(log: Path) -> dict[str, set[str]]:
    """What each incremental model said it rebuilt in the run that wrote the log."""
    said: dict[str, set[str]] = {}
    for line in log.read_text().splitlines():
        for model in INCREMENTAL_MODELS:
            marker = f"{model}: rebuilding "
            if marker in line:
                listed = line.split(marker, 1)[1].split("partition(s)", 1)[1].strip()
                said[model] = set(listed.split(", ")) if listed else set()
    return said


def rewrite(path: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    pq.write_table(change(pq.read_table(path)), path)


def replaced(table: pa.Table, column: str, where: pa.Array, value: object) -> pa.Table:
    """The table with `column` set to `value` (a scalar or an array) where `where` holds."""
    values = pc.if_else(where, value, table[column])
    return table.set_column(table.column_names.index(column), column, values)


def indicator_row(table: pa.Table, country: str, code: str, month: date) -> pa.Array:
    return pc.and_(
        pc.and_(pc.equal(table["country_code"], country), pc.equal(table["indicator_code"], code)),
        pc.equal(table["reference_month"], pa.scalar(month)),
    )


def scale_indicator(country: str, month: date, factor: float) -> Callable:
    def change(table: pa.Table) -> pa.Table:
        row = indicator_row(table, country, "exchange_rate", month)
        scaled = pc.multiply(table["indicator_value"], factor)
        return replaced(table, "indicator_value", row, scaled)

    return change


def drop_indicator(country: str, month: date) -> Callable:
    return lambda table: table.filter(
        pc.invert(indicator_row(table, country, "exchange_rate", month))
    )


def written_partitions(raw: Path, before: dict[str, tuple[int, int]]) -> set[str]:
    """The transaction partitions whose files were added, removed or written again since
    `before` (a snapshot of transaction_files(raw))."""
    after = transaction_files(raw)
    return {
        _partition(path)
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path)
    }


def transaction_files(raw: Path) -> dict[str, tuple[int, int]]:
    """Each transaction file with its size and time of writing, as a build finds them."""
    return {
        str(path.relative_to(raw)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in (raw / "transactions").rglob("*.parquet")
    }


def _partition(path: str) -> str:
    year, month = re.findall(r"(?:year|month)=([0-9]+)", path)
    return f"{int(year)}-{int(month)}"


def transactions_file(raw: Path, year: int, month: int) -> Path:
    return raw / "transactions" / f"year={year}" / f"month={month:02}" / "part-0.parquet"


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def revise_rates_and_population(chain: Chain) -> set[str]:
    """A revised rate, a withdrawn rate, a rate set to 0 (rejected as out of range) and a
    revised population: only the three months of the rates are validated again."""
    rates = chain.raw / "economic_indicators"
    rewrite(
        rates / "year=2021" / "part-0.parquet",
        scale_indicator("BRA", date(2021, 5, 1), 1.02),
    )
    rewrite(rates / "year=2020" / "part-0.parquet", drop_indicator("ARG", date(2020, 11, 1)))
    rewrite(rates / "year=2022" / "part-0.parquet", scale_indicator("MEX", date(2022, 3, 1), 0))

    def more_people(table: pa.Table) -> pa.Table:
        colombia = pc.equal(table["country_code"], "COL")
        return replaced(table, "population", colombia, pc.multiply(table["population"], 2))

    rewrite(chain.raw / "demographics" / "year=2022" / "part-0.parquet", more_people)
    return {"2020-11", "2021-5", "2022-3"}


def append_a_month(chain: Chain) -> set[str]:
    appended = run_generator("--append-month", "2024-09", "--output", str(chain.raw))
    assert appended.returncode == 0, appended.stderr
    return {"2024-9"}


def settle_pending_payments(chain: Chain) -> set[str]:
    """August re-delivered once its pending payments cleared."""

    def settle(table: pa.Table) -> pa.Table:
        pending = pc.equal(table["status"], "pending")
        assert pc.sum(pending).as_py() > 0, "the sample's August should have pending payments"
        return replaced(table, "status", pending, "completed")

    rewrite(transactions_file(chain.raw, 2024, 8), settle)
    return {"2024-8"}


def move_verdicts_across_months(chain: Chain) -> set[str]:
    """Two re-deliveries that change the verdict on rows of other months: March 2021
    with a loan's only disbursement now failed (its later payments lose their loan; not a
    loan of the opening book, whose payments need no disbursement in the window), and
    February 2022 carrying a copy of a June transaction (the copy, delivered first, makes
    the June original the duplicate)."""
    loan, payment_months = query(
        chain.copy.database,
        f"""
        -- The bank's loan ids (fct_transactions shows pseudonyms): its rows, as validated.
        with facts as (
            select * from main_intermediate.int_transactions_validated where is_valid
        ),

        disbursed as (
            select loan_id
            from facts
            where transaction_type = 'disbursement' and is_successful and loan_id not in (
                select loan_id from read_parquet('{chain.raw}/loans/*/*.parquet')
                where disbursed_before_window > 0
            )
            group by loan_id
            having count(*) = 1 and min(month_start_date) = date '2021-03-01'
        )
        select
            loan_id,
            list(distinct year(month_start_date) || '-' || month(month_start_date))
        from facts
        inner join disbursed using (loan_id)
        where transaction_type != 'disbursement' and month_start_date > date '2021-03-01'
        group by loan_id
        order by count(*) desc, loan_id
        limit 1
        """,
    )[0]

    def fail_disbursement(table: pa.Table) -> pa.Table:
        disbursement = pc.equal(table["transaction_type"], "disbursement")
        of_the_loan = pc.and_(pc.equal(table["loan_id"], loan), disbursement)
        return replaced(table, "status", of_the_loan, "failed")

    rewrite(transactions_file(chain.raw, 2021, 3), fail_disbursement)
    june = pq.read_table(transactions_file(chain.raw, 2022, 6))
    rewrite(
        transactions_file(chain.raw, 2022, 2),
        lambda table: pa.concat_tables([table, june.slice(0, 1)]),
    )
    return {"2021-3", *payment_months, "2022-2", "2022-6"}


def withdraw_a_month(chain: Chain) -> set[str]:
    """July 2023 withdrawn from the delivery: its rows go, and the later payments of the
    loans it paid out are rejected."""
    loans_months = query(
        chain.copy.database,
        """
        select distinct year(month_start_date) || '-' || month(month_start_date)
        from main.fct_transactions as payments
        where payments.transaction_type != 'disbursement' and payments.loan_id in (
            select loan_id from main.fct_transactions
            where transaction_type = 'disbursement' and is_successful
            group by loan_id having min(month_start_date) = date '2023-07-01'
        )
        """,
    )
    shutil.rmtree(transactions_file(chain.raw, 2023, 7).parent)
    return {"2023-7", *(month for (month,) in loans_months)}


def revise_the_loans_file(chain: Chain) -> set[str]:
    """A revised loans file: one loan moved to another country (its payments no longer
    agree with it: loan_mismatch) and a loan of the opening book removed (its payments
    name no loan: unknown_loan). Only the months whose transactions name one of the two
    are validated again."""
    # The loans file read as it is (the staging views read the raw files by a path
    # relative to the project), the partitions each loan's transactions are in as built.
    (moved, moved_country), (removed, _) = (
        query(
            chain.copy.database,
            f"""
            select listed.loan_id, any_value(loans.country_code)
            from main_intermediate.int_transaction_loans_listed_by_partition as listed
            inner join read_parquet('{chain.raw}/loans/*/*.parquet') as loans using (loan_id)
            where {opening_book} loans.disbursed_before_window > 0
            group by listed.loan_id
            order by count(*) desc, listed.loan_id
            limit 1
            """,
        )[0]
        for opening_book in ("not", "")
    )
    # The months naming either loan, and those holding a later delivery of one of their
    # transactions' ids (the first delivery wins: a month validated again re-judges its
    # ids' later copies; the previous step left one).
    months = query(
        chain.copy.database,
        f"""
        with named as (
            select distinct partition_year, partition_month
            from main_intermediate.int_transaction_loans_listed_by_partition
            where loan_id in ({moved}, {removed})
        ),

        rows as (
            select partition_year, partition_month, transaction_id, source_file,
                source_row_number
            from main_intermediate.int_transactions_deduplicated
        ),

        later_copies as (
            select later.partition_year, later.partition_month
            from rows as earlier
            inner join named using (partition_year, partition_month)
            inner join rows as later using (transaction_id)
            where (later.source_file, later.source_row_number)
                > (earlier.source_file, earlier.source_row_number)
        )

        select partition_year || '-' || partition_month from named
        union
        select partition_year || '-' || partition_month from later_copies
        """,
    )
    countries = sorted({row["country_code"] for row in seed_rows(chain, "countries")})
    elsewhere = countries[(countries.index(moved_country) + 1) % len(countries)]

    def revise(table: pa.Table) -> pa.Table:
        country = table.schema.field("country_code").type
        codes = replaced(
            table.set_column(
                table.column_names.index("country_code"),
                "country_code",
                table["country_code"].cast(pa.string()),
            ),
            "country_code",
            pc.equal(table["loan_id"], moved),
            elsewhere,
        )
        codes = codes.set_column(
            codes.column_names.index("country_code"),
            "country_code",
            codes["country_code"].cast(country),
        )
        return codes.filter(pc.not_equal(codes["loan_id"], removed))

    revised = 0
    for path in sorted((chain.raw / "loans").rglob("*.parquet")):
        loan_ids = pq.read_table(path, columns=["loan_id"])["loan_id"]
        if pc.any(pc.is_in(loan_ids, pa.array([moved, removed]))).as_py():
            rewrite(path, revise)
            revised += 1
    assert revised > 0, "the two loans should be in the loans file"
    return {month for (month,) in months}


def seed_rows(chain: Chain, seed: str) -> list[dict[str, str]]:
    with (chain.copy.project / "seeds" / f"{seed}.csv").open() as file:
        return list(csv.DictReader(file))


def redefine_reference_data(chain: Chain) -> str:
    """A status whose meaning changes (reversals no longer count as settled), a new
    sector, and a wrong currency for Uruguay: every partition is validated again."""
    seeds = chain.copy.project / "seeds"
    statuses = seeds / "transaction_statuses.csv"
    edit_csv(statuses, "transaction_status", "reversed", is_settled="false")
    with (seeds / "sectors.csv").open("a") as sectors:
        sectors.write('TOU,Tourism,Productive,"Tourism infrastructure and services"\n')
    edit_csv(seeds / "countries.csv", "country_code", "URY", currency_code="UYW")
    return ALL_PARTITIONS


def correct_the_currency(chain: Chain) -> str:
    edit_csv(
        chain.copy.project / "seeds" / "countries.csv", "country_code", "URY", currency_code="UYU"
    )
    return ALL_PARTITIONS


def change_a_metric_macro(chain: Chain) -> set[str]:
    """Only a macro the aggregates call changes (a borrower with any transaction in the
    month counts as active, not only one with a successful one): no partition is
    validated again, and the aggregates, whose code version covers the macros they call,
    rebuild every month."""
    project = chain.copy.project
    replace_in(
        project / "macros" / "metrics" / "transaction_outcome_metrics.sql",
        "count(distinct case when is_successful then borrower_id end) as active_borrower_count",
        "count(distinct borrower_id) as active_borrower_count",
    )
    # The macro's unit test changes with it: January's four borrowers, February's one.
    unit_tests = project / "models" / "intermediate" / "finance" / "_finance__models.yml"
    replace_in(
        unit_tests,
        "active_borrower_count: 2\n        - country_code: COL",
        "active_borrower_count: 4\n        - country_code: COL",
    )
    replace_in(
        unit_tests,
        "active_borrower_count: 0\n\n  - name: partial_quarters",
        "active_borrower_count: 1\n\n  - name: partial_quarters",
    )
    return set()


def change_the_code(chain: Chain) -> str:
    """Code and rules change, no data: a stricter ceiling on one amount (a var of the
    rules), sector names shown in capitals in fct_transactions (published month by month),
    a reworded aggregate, and a release that adds columns to a seed and to the
    aggregates, built over the warehouse of the release before. Every partition and month
    is rebuilt or republished."""
    project = chain.copy.project
    statuses = project / "seeds" / "transaction_statuses.csv"
    with statuses.open() as file:
        header, *rows = file.read().splitlines()
    statuses.write_text("\n".join([header + ",sort_order"] + [f"{row},{n}" for n, row in
                                    enumerate(rows)]) + "\n")  # fmt: skip
    replace_in(
        project / "macros" / "metrics" / "transactions_aggregated.sql",
        "        max(validated_at) as validated_at,\n",
        "        count(*) as aggregated_row_count,\n        max(validated_at) as validated_at,\n",
    )
    replace_in(
        project / "dbt_project.yml",
        "max_transaction_amount_usd: 1000000000",
        "max_transaction_amount_usd: 100000000",
    )
    replace_in(
        project / "models" / "marts" / "lending" / "fct_transactions.sql",
        "        sectors.sector_name,\n",
        "        upper(sectors.sector_name) as sector_name,\n",
    )
    replace_in(
        project
        / "models"
        / "intermediate"
        / "finance"
        / "int_transactions_aggregated_to_sector_months.sql",
        "{{ config(\n",
        "{# Reworded. #}\n{{ config(\n",
    )
    return ALL_PARTITIONS


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def edit_csv(path: Path, key: str, value: str, **changes: str) -> None:
    with path.open() as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        if row[key] == value:
            row.update(changes)
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


class Chain:
    """The project copy the steps change, its raw data, and a second warehouse (with a
    target of its own) for the full refreshes of the same files."""

    def __init__(self, copy: ProjectCopy, raw: Path, root: Path) -> None:
        self.copy, self.raw = copy, raw
        self.reference_database = root / "reference.duckdb"
        self.reference = ProjectCopy(
            project=copy.project,
            database=self.reference_database,
            env=dict(
                copy.env,
                DBT_DUCKDB_PATH=str(self.reference_database),
                DBT_TARGET_PATH=str(root / "reference-target"),
                DBT_LOG_PATH=str(root / "reference-logs"),
            ),
        )

    def full_refresh(self) -> None:
        """Every model and seed of the same files into an empty warehouse, published; the
        tests run in the incremental builds."""
        self.reference_database.unlink(missing_ok=True)
        built = self.reference.dbt(
            "build", "--full-refresh", "--resource-type", "model", "--resource-type", "seed",
            *ANY_REJECTED_SHARE,
        )  # fmt: skip
        assert built.returncode == 0, built.stdout[-5000:]
        assert re.search(r"Published (\d+) of \1 marts", built.stdout), built.stdout[-3000:]

    def partitions(self) -> set[str]:
        return {month for (month,) in query(
            self.copy.database,
            "select partition_year || '-' || partition_month "
            "from main_intermediate.int_transaction_partitions_fingerprinted",
        )}  # fmt: skip


def _build_the_start(folder: Path, dbt_env: dict[str, str]) -> None:
    copy = built_in_place(folder, dbt_env, "--transactions", "3000", "--seed", "11")
    for build in ("first", "unchanged"):
        built = incremental_build(copy)
        assert built.returncode == 0, f"{build} build: {built.stdout[-5000:]}"


def run_chain(
    tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str], steps: dict[str, Callable]
) -> dict:
    """The steps, in order, on a copy of the shared start, each with what the incremental
    run rebuilt and how its marts compare with a full refresh of the same files; and
    "an unchanged delivery", the start's second build."""
    # One dbt.log for every build: dbt rotates it at 10 MB by default, which would move a
    # run's first lines (where rebuilt_partitions starts) to dbt.log.1.
    dbt_env = dict(dbt_env, DBT_LOG_FILE_MAX_BYTES="0")
    start = made_once(
        tmp_path_factory, "incremental-start", lambda folder: _build_the_start(folder, dbt_env)
    )
    root = tmp_path_factory.mktemp("incremental")
    copy = shared_copy(start, root / "start", dbt_env)
    chain = Chain(copy, copy.project / "data" / "raw", root)
    results: dict[str, dict] = {
        "an unchanged delivery": {
            "expected": set(),
            "written": set(),
            "rebuilt": rebuilt_partitions(copy.project / "logs" / "dbt.log"),
        }
    }
    for name, step in steps.items():
        files = transaction_files(chain.raw)
        expected = step(chain)
        built = incremental_build(copy)
        assert built.returncode == 0, f"{name}: {built.stdout[-5000:]}"
        chain.full_refresh()
        results[name] = {
            "expected": chain.partitions() if expected == ALL_PARTITIONS else expected,
            "written": written_partitions(chain.raw, files),
            "rebuilt": rebuilt_partitions(copy.project / "logs" / "dbt.log"),
            "aggregated months": query(
                copy.database,
                "select count(distinct month_start_date)"
                " from main_intermediate.int_transactions_aggregated_to_country_months",
            )[0][0],
            "incremental": mart_fingerprints(copy.database, BOOKKEEPING_COLUMNS),
            "full refresh": mart_fingerprints(chain.reference_database, BOOKKEEPING_COLUMNS),
            "differences": mart_differences(
                copy.database, chain.reference_database, BOOKKEEPING_COLUMNS
            ),
        }
    return results


def check_full_refresh(chain: dict, step: str) -> None:
    result = chain[step]
    assert result["incremental"].keys() == result["full refresh"].keys()
    assert result["differences"] == {}, f"after {step}, marts differ: {result['differences']}"
    assert result["incremental"] == result["full refresh"]


def check_rebuilt_partitions(chain: dict, step: str) -> None:
    result = chain[step]
    # The Parquet is read again only where files were written (an appended month writes
    # its own partition and leaves the others' files as they were).
    assert result["rebuilt"]["int_transaction_partitions_totalled"] == result["written"]
    for model in ("int_transactions_deduplicated", "int_transaction_validations"):
        rebuilt, expected = result["rebuilt"][model], result["expected"]
        assert rebuilt == expected, (
            f"{model} after {step}: rebuilt {sorted(rebuilt - expected)} too, "
            f"not {sorted(expected - rebuilt)}"
        )
    for model in INCREMENTAL_MODELS[3:]:
        if step in AGGREGATE_CODE_CHANGES:
            assert len(result["rebuilt"][model]) == result["aggregated months"], model
        else:
            # The aggregates follow the months validated again (a month with no valid rows
            # left, like a withdrawn one, is one they delete).
            assert result["rebuilt"][model] <= result["expected"], model
