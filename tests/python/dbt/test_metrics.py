"""The semantic layer: `mf query` returns the same numbers as the marts.

Each query runs the MetricFlow CLI exactly as an analyst does, in a built copy of the
project, and is checked against the same figures computed directly from the marts.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import ProjectCopy

MF = str(Path(sys.executable).with_name("mf"))
Key = tuple[str, ...]
Rows = dict[Key, tuple[float | None, ...]]


@dataclass(frozen=True)
class Analyst:
    """The analysts' built copy, read both ways: `mf query` and SQL on the marts."""

    build: ProjectCopy
    scratch: Path

    def query(self, metrics: list[str], group_by: list[str]) -> Rows:
        """`mf query` as an analyst runs it, keyed by its groups (periods as YYYY-MM-DD)."""
        output = self.scratch / "result.csv"
        result = self.build.run(
            MF,
            "query",
            "--metrics",
            ",".join(metrics),
            "--group-by",
            ",".join(group_by),
            "--csv",
            str(output),
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        with output.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        return {
            tuple(row[g][:10] if g.startswith("metric_time") else row[g] for g in group_by): tuple(
                as_float(row[m]) for m in metrics
            )
            for row in rows
        }

    def side_by_side(self, group_by: list[str], sql: str) -> tuple[Rows, Rows]:
        """`mf query` of the metrics a mart query's value columns are named after, by
        `group_by`, and the query's own rows keyed by its text columns: keyed alike, so that
        the two compare row by row."""
        with duckdb.connect(str(self.build.database), read_only=True) as con:
            cursor = con.execute(sql)
            rows = cursor.fetchall()
            metrics = [column[0] for column in cursor.description][len(group_by) :]
        keyed: Rows = {}
        for row in rows:
            keys = tuple(str(v) for v in row if isinstance(v, str))
            keyed[keys] = tuple(None if v is None else float(v) for v in row[len(keys) :])
        return self.query(metrics, group_by), keyed


@pytest.fixture
def analyst(analyst_build: ProjectCopy, tmp_path: Path) -> Analyst:
    return Analyst(analyst_build, tmp_path)


def as_float(value: str) -> float | None:
    return None if value == "" else float(value)


def assert_same(metric_rows: Rows, mart: Rows) -> None:
    assert metric_rows.keys() == mart.keys()
    for key, values in mart.items():
        for got, expected in zip(metric_rows[key], values, strict=True):
            if expected is None:
                assert got is None, key
            else:
                assert got is not None and math.isclose(got, expected, rel_tol=1e-9), (
                    key,
                    got,
                    expected,
                )


# What each metric adds up to over a monthly mart's rows.
MONTHLY_TOTALS = {
    "success_rate": "sum(completed_count) / nullif(sum(settled_count), 0)",
    "completed_count": "sum(completed_count)",
    "settled_count": "sum(settled_count)",
    "transaction_count": "sum(transaction_count)",
    "disbursed_usd": "sum(disbursed_usd)",
    "repaid_usd": "sum(repaid_usd)",
    "volume_usd": "sum(volume_usd)",
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("entity", "period", "metrics", "at_least"),
    [
        # 10 countries over six calendar years
        (
            "country",
            "year",
            ["success_rate", "completed_count", "settled_count", "transaction_count"],
            50,
        ),
        # 10 sectors over 23 quarters, a few without a transaction
        ("sector", "quarter", ["disbursed_usd", "repaid_usd", "volume_usd", "success_rate"], 200),
    ],
    ids=["success-rate-by-country-and-year", "usd-volumes-by-sector-and-quarter"],
)
def test_period_totals_match_the_monthly_mart(
    analyst: Analyst, entity: str, period: str, metrics: list[str], at_least: int
) -> None:
    """Only periods with a transaction: MetricFlow has no row for the others."""
    totals = ", ".join(f"{MONTHLY_TOTALS[name]} as {name}" for name in metrics)
    metric, mart = analyst.side_by_side(
        [f"{entity}__{entity}_name", f"metric_time__{period}"],
        f"""
        select
            {entity}_name,
            strftime(date_trunc('{period}', month_start_date), '%Y-%m-%d'),
            {totals}
        from fct_{entity}_monthly
        group by all
        having sum(transaction_count) > 0
        """,
    )
    assert len(mart) >= at_least
    assert_same(metric, mart)


@pytest.mark.slow
def test_lending_per_capita_matches_fct_country_monthly_by_month(analyst: Analyst) -> None:
    metric, mart = analyst.side_by_side(
        ["country__country_name", "metric_time__month"],
        """
        select country_name, strftime(month_start_date, '%Y-%m-%d'), lending_per_capita_usd
        from fct_country_monthly
        """,
    )
    # Both are dense: population is known every month, so a month without lending is 0.
    assert len(mart) == 680
    assert_same(metric, mart)


@pytest.mark.slow
def test_lending_per_capita_counts_population_once_a_year_across_countries(
    analyst: Analyst,
) -> None:
    # Population is a stock: a year's, not twelve months' added up; countries add up.
    metric, mart = analyst.side_by_side(
        ["country__subregion", "metric_time__year"],
        """
        with country_years as (
            select
                subregion,
                country_code,
                strftime(date_trunc('year', month_start_date), '%Y-%m-%d') as year_start,
                sum(disbursed_usd) as disbursed_usd,
                max(population) as population
            from fct_country_monthly
            group by all
        )
        select
            subregion,
            year_start,
            sum(disbursed_usd) / sum(population) as lending_per_capita_usd,
            sum(population) as population,
            sum(disbursed_usd) as disbursed_usd
        from country_years
        group by all
        """,
    )
    assert {key[0] for key in mart} == {"South America", "Central America"}
    assert_same(metric, mart)


@pytest.mark.slow
def test_exposure_and_macro_metrics_match_fct_country_risk_monthly(analyst: Analyst) -> None:
    # Stocks at the year's latest month; the rates averaged over the year's months.
    metric, mart = analyst.side_by_side(
        ["country__country_name", "metric_time__year"],
        """
        select
            country_name,
            strftime(date_trunc('year', month_start_date), '%Y-%m-%d'),
            arg_max(outstanding_usd, month_start_date) as outstanding_usd,
            arg_max(disbursed_last_12_months_usd, month_start_date)
                as disbursed_last_12_months_usd,
            arg_max(repaid_last_12_months_usd, month_start_date) as repaid_last_12_months_usd,
            avg(gdp_growth_pct) as gdp_growth_pct,
            avg(inflation_pct) as inflation_pct,
            avg(unemployment_pct) as unemployment_pct,
            avg(policy_rate_pct) as policy_rate_pct,
            avg(local_per_usd) as local_per_usd,
            avg(local_per_usd_change_12_months_pct) as local_per_usd_change_12_months_pct,
            arg_max(share_of_portfolio, month_start_date) as share_of_portfolio
        from fct_country_risk_monthly
        group by all
        """,
    )
    assert len(mart) == 60  # 10 countries over six calendar years
    assert_same(metric, mart)


@pytest.mark.slow
def test_the_shares_of_the_portfolio_add_up_to_the_whole_book(analyst: Analyst) -> None:
    """Across countries at each year's latest month: the whole book, 1."""
    shares = analyst.query(["share_of_portfolio"], ["metric_time__year"])
    assert len(shares) == 6
    for (year,), (share,) in shares.items():
        assert share is not None and math.isclose(share, 1.0, rel_tol=1e-9), year


@pytest.mark.slow
def test_year_on_year_metrics_match_the_same_month_a_year_earlier(analyst: Analyst) -> None:
    metric, mart = analyst.side_by_side(
        ["country__country_name", "metric_time__month"],
        """
        with monthly as (
            -- A month without any transaction has no row in MetricFlow, so no figure a
            -- year later either (the mart is dense: zeros).
            select *, case when transaction_count > 0 then disbursed_usd end as booked_usd
            from fct_country_monthly
        )
        select
            this_month.country_name,
            strftime(this_month.month_start_date, '%Y-%m-%d'),
            this_month.disbursed_usd,
            year_earlier.booked_usd as disbursed_usd_year_ago,
            (this_month.disbursed_usd - year_earlier.booked_usd)
                / nullif(year_earlier.booked_usd, 0) as disbursed_usd_yoy_change
        from monthly as this_month
        left join monthly as year_earlier
            on this_month.country_code = year_earlier.country_code
            and year_earlier.month_start_date = this_month.month_start_date - interval 1 year
        -- MetricFlow has a row where either month had a transaction (the mart is dense).
        where this_month.transaction_count > 0 or year_earlier.transaction_count > 0
        """,
    )
    # An offset metric also shows the year after the data: that year's "a year earlier".
    latest = max(month for _, month in mart)
    after_the_data = {key: values for key, values in metric.items() if key[1] > latest}
    assert after_the_data and all(values[0] == 0 for values in after_the_data.values())
    assert_same({key: v for key, v in metric.items() if key[1] <= latest}, mart)


@pytest.mark.slow
def test_year_to_date_and_previous_month_match_fct_country_monthly(analyst: Analyst) -> None:
    metric, mart = analyst.side_by_side(
        ["metric_time__month"],
        """
        with months as (
            select month_start_date, sum(disbursed_usd) as disbursed_usd
            from fct_country_monthly
            group by all
        ),
        to_date as (
            select
                month_start_date,
                disbursed_usd,
                sum(disbursed_usd) over (
                    partition by year(month_start_date) order by month_start_date
                ) as year_to_date
            from months
        )
        select
            strftime(month_start_date, '%Y-%m-%d'),
            year_to_date as disbursed_usd_year_to_date,
            lag(disbursed_usd) over (order by month_start_date) as disbursed_usd_previous_month,
            year_to_date / nullif(lag(year_to_date, 12) over (order by month_start_date), 0) - 1
                as disbursed_usd_year_to_date_yoy_change
        from to_date
        """,
    )
    latest = max(month for (month,) in mart)
    assert_same({key: v for key, v in metric.items() if key[0] <= latest}, mart)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("period", "period_start", "partial", "complete"),
    [
        ("year", "make_date(calendar_year, 1, 1)", "2024-01-01", "2023-01-01"),
        ("quarter", "quarter_start_date", "2024-07-01", "2024-04-01"),
    ],
)
def test_partial_periods_are_flagged_in_the_metrics(
    analyst: Analyst, period: str, period_start: str, partial: str, complete: str
) -> None:
    """The sample's last period is partial, the one before it complete."""
    flag = f"is_{period}_complete"
    metric = analyst.query(["disbursed_usd"], [f"metric_time__{period}", f"calendar_month__{flag}"])
    with duckdb.connect(str(analyst.build.database), read_only=True) as con:
        flags = dict(
            con.execute(
                f"select strftime({period_start}, '%Y-%m-%d'), bool_and({flag}) "
                "from dim_months group by 1"
            ).fetchall()
        )
    assert {start: value == "True" for start, value in metric} == flags
    assert flags[partial] is False
    assert flags[complete] is True
