"""What the generator writes: volumes, layout, schema, realism and reference codes."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import PROJECT_ROOT
from lending.generator.profiles import COUNTRIES, SECTORS, STATUSES, TRANSACTION_TYPES


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def seed_rows(name: str) -> list[dict[str, str]]:
    with (PROJECT_ROOT / "seeds" / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_default_volumes_match_the_reference_system(default_dataset: Path, raw) -> None:
    manifest = json.loads((default_dataset / "_manifest.json").read_text())
    assert manifest["rows"] == {
        "economic_indicators": 5_520,
        "demographics": 60,
        "transactions": 50_000,
    }
    assert scalar(raw, "select count(*) from economic_indicators") == 5_520
    assert scalar(raw, "select count(*) from demographics") == 60
    assert scalar(raw, "select count(*) from transactions") == 50_000
    country_months = "select count(distinct (country_code, year, month)) from transactions"
    assert scalar(raw, country_months) == 680


def test_partitions_are_hive_style_by_date(default_dataset: Path) -> None:
    months = sorted(
        p.parent.relative_to(default_dataset / "transactions").as_posix()
        for p in (default_dataset / "transactions").glob("year=*/month=*/*.parquet")
    )
    assert len(months) == 68
    assert months[0] == "year=2019/month=01"
    assert months[-1] == "year=2024/month=08"
    indicator_years = sorted(p.name for p in (default_dataset / "economic_indicators").iterdir())
    assert indicator_years == [f"year={y}" for y in range(2018, 2025)]
    demographic_years = sorted(p.name for p in (default_dataset / "demographics").iterdir())
    assert demographic_years == [f"year={y}" for y in range(2019, 2025)]
    # Nothing else in the dataset but Parquet and the manifest.
    other = [
        p
        for p in default_dataset.rglob("*")
        if p.is_file() and p.suffix != ".parquet" and p.name != "_manifest.json"
    ]
    assert other == []


def test_rows_sit_in_the_partition_of_their_date(raw) -> None:
    misplaced = scalar(
        raw,
        "select count(*) from transactions "
        "where year != extract(year from transaction_at) "
        "or month != extract(month from transaction_at)",
    )
    assert misplaced == 0
    assert (
        scalar(
            raw,
            "select count(*) from economic_indicators "
            "where year != extract(year from reference_month)",
        )
        == 0
    )
    assert scalar(raw, "select count(*) from demographics where year != reference_year") == 0


def test_file_schemas(default_dataset: Path) -> None:
    schema = pq.read_schema(next((default_dataset / "transactions").rglob("*.parquet")))
    assert {field.name: field.type for field in schema} == {
        "transaction_id": pa.int64(),
        "loan_id": pa.int64(),
        "borrower_id": pa.int64(),
        "country_code": pa.string(),
        "sector_code": pa.string(),
        "transaction_type": pa.string(),
        "status": pa.string(),
        "amount": pa.decimal128(18, 2),
        "currency_code": pa.string(),
        "transaction_at": pa.timestamp("us"),
    }
    schema = pq.read_schema(next((default_dataset / "economic_indicators").rglob("*.parquet")))
    assert schema.names == [
        "country_code",
        "indicator_code",
        "reference_month",
        "indicator_value",
        "unit",
    ]
    schema = pq.read_schema(next((default_dataset / "demographics").rglob("*.parquet")))
    assert schema.names == [
        "country_code",
        "reference_year",
        "population",
        "urban_population_pct",
        "literacy_rate_pct",
        "life_expectancy_years",
        "poverty_rate_pct",
        "median_age_years",
    ]


def test_no_nulls_and_unique_ids(raw) -> None:
    nulls = scalar(
        raw,
        "select count(*) from transactions where transaction_id is null or loan_id is null "
        "or borrower_id is null or country_code is null or sector_code is null "
        "or transaction_type is null or status is null or amount is null "
        "or currency_code is null or transaction_at is null",
    )
    assert nulls == 0
    assert scalar(raw, "select count(distinct transaction_id) from transactions") == 50_000
    # Ledger order is time order, for transactions and for the loans they create.
    out_of_order = """
        select count(*) from (
            select transaction_at, lag(transaction_at) over (order by {key}) as previous_at
            from transactions {where}
        ) where transaction_at < previous_at
    """
    assert scalar(raw, out_of_order.format(key="transaction_id", where="")) == 0
    disbursements = "where transaction_type = 'disbursement'"
    assert scalar(raw, out_of_order.format(key="loan_id", where=disbursements)) == 0


def test_indicators_are_a_complete_grid(raw) -> None:
    grid = raw.execute(
        "select count(distinct country_code), count(distinct indicator_code), "
        "count(distinct reference_month), min(reference_month), max(reference_month), "
        "count(distinct (country_code, indicator_code, reference_month)) "
        "from economic_indicators"
    ).fetchone()
    assert grid[:3] == (10, 8, 69)
    assert str(grid[3]) == "2018-12-01"
    assert str(grid[4]) == "2024-08-01"
    assert grid[5] == 5_520


def test_codes_match_the_dbt_seeds() -> None:
    countries = seed_rows("countries")
    assert {(r["country_code"], r["currency_code"]) for r in countries} == {
        (c.code, c.currency_code) for c in COUNTRIES
    }
    assert {r["sector_code"] for r in seed_rows("sectors")} == {s.code for s in SECTORS}
    assert [r["transaction_type"] for r in seed_rows("transaction_types")] == [
        t.code for t in TRANSACTION_TYPES
    ]
    statuses = {r["transaction_status"]: r for r in seed_rows("transaction_statuses")}
    assert set(statuses) == set(STATUSES)
    assert [s for s, r in statuses.items() if r["is_successful"] == "true"] == ["completed"]
    assert [s for s, r in statuses.items() if r["is_settled"] == "false"] == ["pending"]


def test_data_uses_only_seeded_codes(raw) -> None:
    assert {
        r[0] for r in raw.execute("select distinct country_code from transactions").fetchall()
    } == {c.code for c in COUNTRIES}
    mismatched_currency = scalar(
        raw,
        "select count(*) from transactions join (values "
        + ", ".join(f"('{c.code}', '{c.currency_code}')" for c in COUNTRIES)
        + ") as expected(country_code, currency_code) using (country_code) "
        "where transactions.currency_code != expected.currency_code",
    )
    assert mismatched_currency == 0
    assert {
        r[0] for r in raw.execute("select distinct status from transactions").fetchall()
    } == set(STATUSES)


def test_payments_belong_to_loans_disbursed_earlier(raw) -> None:
    orphans = scalar(
        raw,
        """
        with disbursements as (
            select loan_id, borrower_id, country_code, sector_code, transaction_at
            from transactions
            where transaction_type = 'disbursement' and status = 'completed'
        )
        select count(*)
        from transactions as payment
        left join disbursements
            on payment.loan_id = disbursements.loan_id
            and payment.borrower_id = disbursements.borrower_id
            and payment.country_code = disbursements.country_code
            and payment.sector_code = disbursements.sector_code
            and disbursements.transaction_at < date_trunc('month', payment.transaction_at)
        where payment.transaction_type != 'disbursement'
            and disbursements.loan_id is null
        """,
    )
    assert orphans == 0
    # Each loan is born from exactly one disbursement.
    assert (
        scalar(
            raw,
            "select count(*) from (select loan_id from transactions "
            "where transaction_type = 'disbursement' group by loan_id having count(*) > 1)",
        )
        == 0
    )


def test_success_rate_is_near_95_percent_and_says_something(raw) -> None:
    rate = (
        "count(*) filter (where status = 'completed')::double "
        "/ count(*) filter (where status != 'pending')"
    )
    overall = scalar(raw, f"select {rate} from transactions")
    assert 0.94 <= overall <= 0.96
    by_country = dict(
        raw.execute(f"select country_code, {rate} from transactions group by 1").fetchall()
    )
    assert by_country["URY"] - by_country["ARG"] > 0.02  # capital controls vs. stable rails
    by_year = dict(raw.execute(f"select year, {rate} from transactions group by 1").fetchall())
    assert by_year[2020] < by_year[2019]  # the pandemic year bounced more payments
    by_sector = [
        r[0]
        for r in raw.execute(f"select {rate} from transactions group by sector_code").fetchall()
    ]
    assert max(by_sector) - min(by_sector) > 0.01
    # Pending items are the unsettled tail: concentrated in the last month.
    last_month_share = scalar(
        raw,
        "select count(*) filter (where year = 2024 and month = 8)::double / count(*) "
        "from transactions where status = 'pending'",
    )
    assert last_month_share > 0.3


def test_exchange_rates_follow_each_regime(raw) -> None:
    def rates(country: str) -> list[float]:
        return [
            r[0]
            for r in raw.execute(
                "select indicator_value from economic_indicators "
                "where indicator_code = 'exchange_rate' and country_code = ? "
                "order by reference_month",
                [country],
            ).fetchall()
        ]

    assert set(rates("ECU")) == {1.0}  # dollarised
    assert set(rates("BOL")) == {6.96}  # fixed
    argentina = rates("ARG")
    assert argentina[-1] / argentina[0] > 15  # the peso's slide, December 2023 devaluation included
    assert max(b / a for a, b in itertools.pairwise(argentina)) > 1.8
    brazil = rates("BRA")
    assert min(brazil) > 3.5
    assert max(brazil) < 6.5


def test_amounts_are_plausible(raw) -> None:
    assert scalar(raw, "select min(amount) from transactions") > 0
    # Currencies without minor units carry whole amounts.
    fractional = scalar(
        raw,
        "select count(*) from transactions "
        "where currency_code in ('CLP', 'PYG') and amount != round(amount)",
    )
    assert fractional == 0
    medians = dict(
        raw.execute(
            """
            select t.transaction_type, median(t.amount / i.indicator_value)
            from transactions as t
            join economic_indicators as i
                on i.country_code = t.country_code
                and i.indicator_code = 'exchange_rate'
                and i.reference_month = date_trunc('month', t.transaction_at)
            group by 1
            """
        ).fetchall()
    )
    # USD medians: disbursements of millions, repayments and interest a fraction of that,
    # fees smaller still.
    assert 1e6 < medians["disbursement"] < 5e7
    assert medians["fee"] < medians["interest_payment"] < medians["disbursement"]
    assert medians["repayment"] < medians["disbursement"]
    # Infrastructure loans are larger than SME credit lines.
    by_sector = dict(
        raw.execute(
            "select sector_code, median(amount) from transactions "
            "where transaction_type = 'disbursement' and currency_code = 'USD' group by 1"
        ).fetchall()
    )
    assert by_sector["TRN"] > 10 * by_sector["FIN"]


def test_demographics_are_plausible(raw) -> None:
    brazil_2019, brazil_2024 = (
        r[0]
        for r in raw.execute(
            "select population from demographics where country_code = 'BRA' order by reference_year"
        ).fetchall()[::5]
    )
    assert 200e6 < brazil_2019 < brazil_2024 < 230e6
    bad = scalar(
        raw,
        "select count(*) from demographics where literacy_rate_pct > 100 "
        "or urban_population_pct > 100 or poverty_rate_pct < 0 or population <= 0",
    )
    assert bad == 0


@pytest.mark.parametrize("country", ["ARG", "CHL", "MEX"])
def test_timestamps_fall_in_business_hours_on_weekdays(raw, country: str) -> None:
    weekend_share, median_hour = raw.execute(
        "select avg(case when dayofweek(transaction_at) in (0, 6) then 1 else 0 end), "
        "median(hour(transaction_at)) from transactions where country_code = ?",
        [country],
    ).fetchone()
    assert weekend_share < 0.1
    assert 13 <= median_hour <= 20
