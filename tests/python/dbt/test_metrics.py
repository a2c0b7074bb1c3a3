"""The semantic layer: `mf query` returns the same numbers as the marts.

Each query runs the MetricFlow CLI exactly as an analyst does, in a built copy of the
project, and is checked against the same figures computed directly from the marts.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import ProjectCopy

MF = str(Path(sys.executable).with_name("mf"))
Key = tuple[str, ...]


def query_metrics(
    build: ProjectCopy, tmp_path: Path, metrics: list[str], group_by: list[str]
) -> dict[Key, tuple[float | None, ...]]:
    """`mf query` as an analyst runs it, keyed by its groups (periods as YYYY-MM-DD)."""
    output = tmp_path / "result.csv"
    result = build.run(
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


def mart_rows(build: ProjectCopy, sql: str) -> dict[Key, tuple[float | None, ...]]:
    """Rows of a query keyed by their leading text columns, numbers as floats."""
    with duckdb.connect(str(build.database), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    keyed: dict[Key, tuple[float | None, ...]] = {}
    for row in rows:
        keys = tuple(str(v) for v in row if isinstance(v, str))
        keyed[keys] = tuple(None if v is None else float(v) for v in row[len(keys) :])
    return keyed


def as_float(value: str) -> float | None:
    return None if value == "" else float(value)


def assert_same(
    metric_rows: dict[Key, tuple[float | None, ...]],
    mart: dict[Key, tuple[float | None, ...]],
) -> None:
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


@pytest.mark.slow
def test_success_rate_by_country_and_year_matches_fct_country_monthly(
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    metric = query_metrics(
        analyst_build,
        tmp_path,
        ["success_rate", "completed_count", "settled_count", "transaction_count"],
        ["country__country_name", "metric_time__year"],
    )
    mart = mart_rows(
        analyst_build,
        """
        select
            country_name,
            strftime(date_trunc('year', month_start_date), '%Y-%m-%d'),
            sum(completed_count) / nullif(sum(settled_count), 0),
            sum(completed_count),
            sum(settled_count),
            sum(transaction_count)
        from fct_country_monthly
        group by all
        having sum(transaction_count) > 0
        """,
    )
    assert len(mart) >= 50  # 10 countries over six calendar years
    assert_same(metric, mart)


@pytest.mark.slow
def test_usd_volumes_by_sector_and_quarter_match_fct_sector_monthly(
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    metric = query_metrics(
        analyst_build,
        tmp_path,
        ["disbursed_usd", "repaid_usd", "volume_usd", "success_rate"],
        ["sector__sector_name", "metric_time__quarter"],
    )
    mart = mart_rows(
        analyst_build,
        """
        select
            sector_name,
            strftime(date_trunc('quarter', month_start_date), '%Y-%m-%d'),
            sum(disbursed_usd),
            sum(repaid_usd),
            sum(volume_usd),
            sum(completed_count) / nullif(sum(settled_count), 0)
        from fct_sector_monthly
        group by all
        having sum(transaction_count) > 0
        """,
    )
    assert len(mart) >= 200  # 10 sectors over 23 quarters, a few without a transaction
    assert_same(metric, mart)


@pytest.mark.slow
def test_lending_per_capita_matches_fct_country_monthly_by_month(
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    metric = query_metrics(
        analyst_build,
        tmp_path,
        ["lending_per_capita_usd"],
        ["country__country_name", "metric_time__month"],
    )
    mart = mart_rows(
        analyst_build,
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
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    metric = query_metrics(
        analyst_build,
        tmp_path,
        ["lending_per_capita_usd", "population", "disbursed_usd"],
        ["country__subregion", "metric_time__year"],
    )
    # Population is a stock: a year's, not twelve months' added up; countries add up.
    mart = mart_rows(
        analyst_build,
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
            sum(disbursed_usd) / sum(population),
            sum(population),
            sum(disbursed_usd)
        from country_years
        group by all
        """,
    )
    assert {key[0] for key in mart} == {"South America", "Central America"}
    assert_same(metric, mart)


@pytest.mark.slow
def test_exposure_and_macro_metrics_match_fct_country_risk_monthly(
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    metric = query_metrics(
        analyst_build,
        tmp_path,
        [
            "outstanding_usd",
            "disbursed_last_12_months_usd",
            "repaid_last_12_months_usd",
            "gdp_growth_pct",
            "inflation_pct",
        ],
        ["country__country_name", "metric_time__year"],
    )
    # Stocks at the year's latest month; the rates averaged over the year's months.
    mart = mart_rows(
        analyst_build,
        """
        select
            country_name,
            strftime(date_trunc('year', month_start_date), '%Y-%m-%d'),
            arg_max(outstanding_usd, month_start_date),
            arg_max(disbursed_last_12_months_usd, month_start_date),
            arg_max(repaid_last_12_months_usd, month_start_date),
            avg(gdp_growth_pct),
            avg(inflation_pct)
        from fct_country_risk_monthly
        group by all
        """,
    )
    assert len(mart) == 60  # 10 countries over six calendar years
    assert_same(metric, mart)


@pytest.mark.slow
def test_year_on_year_metrics_match_the_same_month_a_year_earlier(
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    metrics = ["disbursed_usd", "disbursed_usd_year_ago", "disbursed_usd_yoy_change"]
    metric = query_metrics(
        analyst_build, tmp_path, metrics, ["country__country_name", "metric_time__month"]
    )
    mart = mart_rows(
        analyst_build,
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
            year_earlier.booked_usd,
            (this_month.disbursed_usd - year_earlier.booked_usd)
                / nullif(year_earlier.booked_usd, 0)
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
def test_year_to_date_and_previous_month_match_fct_country_monthly(
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    metric = query_metrics(
        analyst_build,
        tmp_path,
        [
            "disbursed_usd_year_to_date",
            "disbursed_usd_previous_month",
            "disbursed_usd_year_to_date_yoy_change",
        ],
        ["metric_time__month"],
    )
    mart = mart_rows(
        analyst_build,
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
            year_to_date,
            lag(disbursed_usd) over (order by month_start_date),
            year_to_date / nullif(lag(year_to_date, 12) over (order by month_start_date), 0) - 1
        from to_date
        """,
    )
    latest = max(month for (month,) in mart)
    assert_same({key: v for key, v in metric.items() if key[0] <= latest}, mart)


@pytest.mark.slow
def test_partial_years_and_quarters_are_flagged_in_the_metrics(
    analyst_build: ProjectCopy, tmp_path: Path
) -> None:
    by_year = query_metrics(
        analyst_build,
        tmp_path,
        ["disbursed_usd"],
        ["metric_time__year", "calendar_month__is_year_complete"],
    )
    by_quarter = query_metrics(
        analyst_build,
        tmp_path,
        ["disbursed_usd"],
        ["metric_time__quarter", "calendar_month__is_quarter_complete"],
    )
    with duckdb.connect(str(analyst_build.database), read_only=True) as con:
        years = dict(
            con.execute(
                "select strftime(make_date(calendar_year, 1, 1), '%Y-%m-%d'), "
                "bool_and(is_year_complete) from dim_months group by 1"
            ).fetchall()
        )
        quarters = dict(
            con.execute(
                "select strftime(quarter_start_date, '%Y-%m-%d'), bool_and(is_quarter_complete) "
                "from dim_months group by 1"
            ).fetchall()
        )
    assert {year: flag == "True" for year, flag in by_year} == years
    assert {quarter: flag == "True" for quarter, flag in by_quarter} == quarters
    assert years["2024-01-01"] is False and quarters["2024-07-01"] is False  # the sample's
    assert years["2023-01-01"] is True and quarters["2024-04-01"] is True  # last periods
