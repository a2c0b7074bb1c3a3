"""What the generator writes: volumes, layout, schema, realism and reference codes."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import DEFAULT_SEED, PROJECT_ROOT
from lending.generator.economy import daily_exchange_rates
from lending.generator.periods import days, indicator_months
from lending.generator.profiles import COUNTRIES, INDICATORS, SECTORS, STATUSES, TRANSACTION_TYPES
from lending.generator.transactions import (
    SETTLEMENT_DAYS,
    TransactionGenerator,
    reference_rates,
)


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
        "loans": 3_514,
    }
    assert scalar(raw, "select count(*) from loans") == 3_514
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


# Each file's columns in order, with their Arrow types (the sources YAML's contract).
FILE_SCHEMAS: dict[str, dict[str, pa.DataType]] = {
    "transactions": {
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
    },
    "economic_indicators": {
        "country_code": pa.string(),
        "indicator_code": pa.string(),
        "reference_month": pa.date32(),
        "indicator_value": pa.float64(),
        "unit": pa.string(),
    },
    "demographics": {
        "country_code": pa.string(),
        "reference_year": pa.int16(),
        "population": pa.int64(),
        "urban_population_pct": pa.float64(),
        "literacy_rate_pct": pa.float64(),
        "life_expectancy_years": pa.float64(),
        "poverty_rate_pct": pa.float64(),
        "median_age_years": pa.float64(),
    },
}


@pytest.mark.parametrize("dataset", FILE_SCHEMAS)
def test_file_schemas(default_dataset: Path, dataset: str) -> None:
    schema = pq.read_schema(next((default_dataset / dataset).rglob("*.parquet")))
    assert [(field.name, field.type) for field in schema] == list(FILE_SCHEMAS[dataset].items())


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
    # Loans first disbursed in the window (the opening book's tranches come later than
    # newer loans' disbursements).
    disbursements = (
        "where transaction_type = 'disbursement' "
        "and loan_id in (select loan_id from loans where disbursed_before_window = 0)"
    )
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
    """Every transaction's loan is in the loans file with the same borrower, country and
    sector; a payment's loan was disbursed before the payment's month, in the window or
    (the opening book) before it."""
    unmatched = scalar(
        raw,
        """
        select count(*)
        from transactions
        left join loans
            on transactions.loan_id = loans.loan_id
            and transactions.borrower_id = loans.borrower_id
            and transactions.country_code = loans.country_code
            and transactions.sector_code = loans.sector_code
        where loans.loan_id is null
        """,
    )
    assert unmatched == 0
    orphans = scalar(
        raw,
        """
        with disbursements as (
            select loan_id, transaction_at
            from transactions
            where transaction_type = 'disbursement' and status = 'completed'
        )
        select count(*)
        from transactions as payment
        left join disbursements
            on payment.loan_id = disbursements.loan_id
            and disbursements.transaction_at < date_trunc('month', payment.transaction_at)
        where payment.transaction_type != 'disbursement'
            and disbursements.loan_id is null
            and payment.loan_id not in (
                select loan_id from loans where disbursed_before_window > 0
            )
        """,
    )
    assert orphans == 0
    # A loan disburses at most once in the window: a new loan's one disbursement, or the
    # opening book's last tranche.
    assert (
        scalar(
            raw,
            "select count(*) from (select loan_id from transactions "
            "where transaction_type = 'disbursement' group by loan_id having count(*) > 1)",
        )
        == 0
    )
    # The opening book: loans first disbursed before 2019 with a balance in the window.
    opening = raw.execute(
        "select count(*), min(agreement_signing_date), "
        "sum(disbursed_before_window - repaid_before_window) "
        "from loans where disbursed_before_window > 0"
    ).fetchone()
    assert opening[0] > 1_000 and opening[1].year < 1995 and opening[2] > 10e9


def test_defaulted_loans_are_restructured_or_written_off(raw) -> None:
    """A loan in default is restructured at 180 days past due (its new schedule in the
    loans file) or written off at 360 (a write_off transaction for its balance, and no
    payment after it)."""
    restructured = scalar(raw, "select count(*) from loans where restructured_date is not null")
    written_off = scalar(
        raw, "select count(*) from transactions where transaction_type = 'write_off'"
    )
    assert restructured > 10 and written_off > 5
    after_write_off = scalar(
        raw,
        """
        with written_off as (
            select loan_id, transaction_at from transactions where transaction_type = 'write_off'
        )
        select count(*) from transactions
        inner join written_off using (loan_id)
        where transactions.transaction_at > written_off.transaction_at
            and transactions.transaction_type != 'fee'
        """,
    )
    assert after_write_off == 0
    # The two payment dates before a write-off were missed.
    missed = raw.execute(
        """
        with written_off as (
            select loan_id, transaction_at from transactions where transaction_type = 'write_off'
        )
        select transactions.status, count(*) from transactions
        inner join written_off using (loan_id)
        where transactions.transaction_type = 'interest_payment'
            and transactions.transaction_at >= written_off.transaction_at - interval 13 month
        group by all
        """
    ).fetchall()
    assert dict(missed).keys() <= {"failed"}, missed
    later = scalar(
        raw,
        "select count(*) from loans where restructured_last_repayment_date <= last_repayment_date",
    )
    assert later == 0


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
    # Pending items are the unsettled tail of the extract, nothing older: settlement takes
    # days, so nothing is pending more than SETTLEMENT_DAYS before the extract's end.
    oldest_pending = scalar(
        raw, "select min(transaction_at) from transactions where status = 'pending'"
    )
    assert oldest_pending >= datetime(2024, 9, 1) - timedelta(days=SETTLEMENT_DAYS)
    assert scalar(raw, "select count(*) from transactions where status = 'pending'") > 20


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
    # The devaluation of 13 December 2023 splits its month: November to January more than
    # doubles, the month's own average is in between.
    november, december, january = argentina[59:62]
    assert january / november > 2.1
    assert november < december < january
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
    # Transport loans are larger than agricultural credit lines.
    by_sector = dict(
        raw.execute(
            "select sector_code, median(amount) from transactions "
            "where transaction_type = 'disbursement' and currency_code = 'USD' group by 1"
        ).fetchall()
    )
    assert by_sector["TRN"] > 2 * by_sector["AGR"]


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


# --- exchange rates: a daily path, published as monthly averages -------------------------


def test_the_monthly_rate_is_the_average_of_the_days(raw) -> None:
    daily = daily_exchange_rates(DEFAULT_SEED)
    month_of_day = days().astype("datetime64[M]")
    published = dict(
        ((code, month), value)
        for code, month, value in raw.execute(
            "select country_code, reference_month, indicator_value from economic_indicators "
            "where indicator_code = 'exchange_rate'"
        ).fetchall()
    )
    for index, country in enumerate(COUNTRIES):
        for month in indicator_months():
            mean = daily[index, month_of_day == month].mean()
            value = published[(country.code, month.astype("datetime64[D]").item())]
            assert value == pytest.approx(mean, abs=0.00005), (country.code, month)


def test_argentina_december_2023_averages_the_devaluation(raw) -> None:
    """The official rate was about 366 until 12 December 2023 and about 800 from the 13th:
    the month's average is near 630, not the post-devaluation level."""
    december = np.datetime64("2023-12", "M")
    argentina = [c.code for c in COUNTRIES].index("ARG")
    calendar = days()
    daily = daily_exchange_rates(DEFAULT_SEED)[argentina]
    before = daily[(calendar >= december) & (calendar < np.datetime64("2023-12-13"))]
    after = daily[(calendar >= np.datetime64("2023-12-13")) & (calendar < december + 1)]
    assert 355 < before.mean() < 375 and 790 < after.mean() < 815
    monthly = scalar(
        raw,
        "select indicator_value from economic_indicators where country_code = 'ARG' "
        "and indicator_code = 'exchange_rate' and reference_month = date '2023-12-01'",
    )
    assert 610 < monthly < 650


def test_transactions_are_booked_at_the_days_rate() -> None:
    """Argentina's disbursements of early December 2023 convert at ~366 pesos a dollar,
    those after the 13th at ~800 (principals are whole thousands of dollars)."""
    generator = TransactionGenerator(DEFAULT_SEED, 200_000)
    december = next(b for b in generator if b.month == np.datetime64("2023-12", "M"))
    argentina = [c.code for c in COUNTRIES].index("ARG")
    rows = (december.country == argentina) & (december.kind == 0)
    principal = generator.plan.loans.disbursement_usd[december.loan_number[rows] - 1]
    rate = december.cents[rows] / 100 / principal
    early = december.transaction_at[rows] < np.datetime64("2023-12-13")
    assert early.any() and (~early).any()
    assert np.all((rate[early] > 340) & (rate[early] < 380))
    assert np.all((rate[~early] > 780) & (rate[~early] < 830))


def test_indicators_carry_the_publishers_precision(raw) -> None:
    """Rounded at the source: 3.4, never 3.4000000000000004."""
    steps = {indicator.code: Decimal(str(indicator.rounding_step)) for indicator in INDICATORS}
    rows = raw.execute("select indicator_code, indicator_value from economic_indicators").fetchall()
    for code, value in rows:
        as_written = Decimal(repr(value))
        assert as_written % steps[code] == 0, (code, value)
        assert -as_written.as_tuple().exponent <= -steps[code].as_tuple().exponent, (code, value)


# --- the loan book: grace, semi-annual amortisation, interest over a reference rate -------

# Completed flows converted to USD at the month's average rate, the outstanding book
# (disbursed less principal repaid), and interest and principal received as annualised
# shares of the year's average book.
BOOK_BY_YEAR = """
with

completed as (

    select
        transactions.transaction_type,
        date_trunc('month', transactions.transaction_at) as month_start,
        transactions.amount / rates.indicator_value as amount_usd
    from transactions
    inner join economic_indicators as rates
        on transactions.country_code = rates.country_code
        and rates.indicator_code = 'exchange_rate'
        and rates.reference_month = date_trunc('month', transactions.transaction_at)
    where transactions.status = 'completed'

),

months as (

    select
        month_start,
        coalesce(sum(amount_usd) filter (where transaction_type = 'disbursement'), 0)
            as disbursed_usd,
        coalesce(sum(amount_usd) filter (where transaction_type = 'repayment'), 0)
            as repaid_usd,
        coalesce(sum(amount_usd) filter (where transaction_type = 'interest_payment'), 0)
            as interest_usd,
        coalesce(sum(amount_usd) filter (where transaction_type = 'write_off'), 0)
            as written_off_usd
    from completed
    group by month_start

),

brought_forward as (

    select sum(disbursed_before_window - repaid_before_window) as book_usd from loans

),

book as (

    select
        months.*,
        brought_forward.book_usd
        + sum(disbursed_usd - repaid_usd - written_off_usd) over (order by month_start)
            as closing_usd,
        brought_forward.book_usd
        + sum(disbursed_usd - repaid_usd - written_off_usd) over (order by month_start)
        - (disbursed_usd - repaid_usd - written_off_usd) as opening_usd
    from months
    cross join brought_forward

)

select
    year(month_start) as calendar_year,
    sum(disbursed_usd) as disbursed_usd,
    arg_max(closing_usd, month_start) as closing_book_usd,
    sum(interest_usd) / avg((opening_usd + closing_usd) / 2) * 12 / count(*)
        as interest_yield,
    sum(repaid_usd) / avg((opening_usd + closing_usd) / 2) * 12 / count(*) as repaid_share,
    sum(repaid_usd) / sum(disbursed_usd) as repaid_per_disbursed
from book
group by calendar_year
order by calendar_year
"""


@pytest.fixture(scope="module")
def book(raw) -> dict[int, dict]:
    """Per calendar year, completed flows in USD (at the month's average rate), the book
    at the year's end, and interest and principal received as annualised shares of the
    average outstanding book."""
    cursor = raw.execute(BOOK_BY_YEAR)
    names = [column[0] for column in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_the_bank_disburses_a_regional_lenders_billions(book: dict) -> None:
    for year in range(2019, 2024):
        assert 2e9 < book[year]["disbursed_usd"] < 4.5e9, year
    # The pandemic year: counter-cyclical lending rose.
    assert book[2020]["disbursed_usd"] > book[2019]["disbursed_usd"]
    assert 12e9 < book[2019]["closing_book_usd"] < 18e9  # the opening book, and 2019's
    assert 15e9 < book[2024]["closing_book_usd"] < 25e9


def test_interest_follows_dollar_rates_plus_a_spread(book: dict) -> None:
    # Near-zero dollar rates in 2021: little more than the spread (1-2.5%).
    assert 0.008 < book[2021]["interest_yield"] < 0.025
    # Rates above 5% in 2023-2024: 4.5-8% a year.
    for year in (2023, 2024):
        assert 0.045 < book[year]["interest_yield"] < 0.08, year
    assert book[2023]["interest_yield"] - book[2021]["interest_yield"] > 0.03


def test_principal_comes_back_like_a_mature_lenders(book: dict) -> None:
    """The opening book repays from the first month: a lender that has lent for decades
    gets back half or more of what it disburses, 5-12% of its book a year."""
    for year in range(2019, 2025):
        assert 0.4 < book[year]["repaid_per_disbursed"] < 0.9, year
        assert 0.05 < book[year]["repaid_share"] < 0.12, year


def test_payments_fall_every_six_months_after_disbursement(raw) -> None:
    """On the loan's semi-annual grid (its first repayment date's months), and principal
    never before the first repayment date: a restructuring keeps the grid, and its new
    schedule repays from the payment date after it."""
    off_schedule = scalar(
        raw,
        """
        select count(*)
        from transactions
        inner join loans using (loan_id)
        where transaction_type in ('interest_payment', 'repayment')
            and date_diff(
                'month',
                date_trunc('month', first_repayment_date),
                date_trunc('month', transaction_at)
            ) % 6 != 0
        """,
    )
    assert off_schedule == 0
    early = scalar(
        raw,
        """
        select count(*)
        from transactions
        inner join loans using (loan_id)
        where transaction_type = 'repayment'
            and transaction_at < date_trunc('month', first_repayment_date)
            and restructured_date is null
        """,
    )
    assert early == 0


def test_dollar_loans_show_the_terms_exactly(raw) -> None:
    """Ecuador is dollarised, so its amounts are the loans' own USD figures: the first
    interest payment is half a year on the whole principal at the reference rate of the
    disbursement month plus a spread of 0.75-2.45%, and instalments are equal."""
    first_interest = raw.execute(
        """
        with new_loans as (
            select loan_id, amount as principal, date_trunc('month', transaction_at) as month
            from transactions
            where currency_code = 'USD' and transaction_type = 'disbursement'
                and loan_id in (select loan_id from loans where disbursed_before_window = 0)
        ),
        interest as (
            select loan_id, amount, row_number() over (
                partition by loan_id order by transaction_at) as payment
            from transactions where transaction_type = 'interest_payment'
        )
        select new_loans.month, interest.amount / new_loans.principal
        from new_loans inner join interest using (loan_id)
        where interest.payment = 1
        """
    ).fetchall()
    assert len(first_interest) > 50
    months = np.array([month for month, _ in first_interest], dtype="datetime64[M]")
    reference = reference_rates(months)
    spread = np.array([200 * float(share) for _, share in first_interest]) - reference
    assert np.all((spread > 0.74) & (spread < 2.46)), (spread.min(), spread.max())

    uneven = scalar(
        raw,
        """
        with instalments as (
            select loan_id, amount, status, row_number() over (
                partition by loan_id order by transaction_at) as instalment
            from transactions
            where currency_code = 'USD' and transaction_type = 'repayment'
                and loan_id in (select loan_id from loans where restructured_date is null)
        )
        select count(*) from instalments as first
        inner join instalments as second
            on first.loan_id = second.loan_id and second.instalment = 2
        where first.instalment = 1 and first.status = 'completed'
            and abs(first.amount - second.amount) > 0.01
        """,
    )
    assert uneven == 0
