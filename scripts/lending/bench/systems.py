"""The computations the build competes with, each run in a fresh process.

  floor          one hand-written DuckDB query computing the country-month aggregates
                 straight from the Parquet: what the numbers cost at the least
  pandas+sqlite  the reference system's way: pandas reads the Parquet, loads SQLite, and
                 SQLite computes the aggregates
  pandas         the same aggregates with pandas alone

`python -m lending.bench.systems SYSTEM RAW OUTPUT` runs one, writing its country-month
numbers to OUTPUT (Parquet) for the benchmark to compare with the mart.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from lending.bench.measure import Run, run_measured

# A write-off is a book entry, not a payment attempt: in none of the settled and completed
# counts, nor the volume (seeds/transaction_types.csv, counts_in_success_rate).
WRITE_OFF = "write_off"

FLOOR_SQL = """
with transactions as (
    select * from read_parquet('{raw}/transactions/**/*.parquet', hive_partitioning = true)
),
rates as (
    select country_code, reference_month, indicator_value as local_per_usd
    from read_parquet('{raw}/economic_indicators/**/*.parquet', hive_partitioning = true)
    where indicator_code = 'exchange_rate'
)
select
    t.country_code,
    cast(date_trunc('month', t.transaction_at) as date) as month_start_date,
    count(*) as transaction_count,
    count(*) filter (where t.status <> 'pending' and t.transaction_type <> 'write_off')
        as settled_count,
    count(*) filter (where t.status = 'completed' and t.transaction_type <> 'write_off')
        as completed_count,
    coalesce(sum(cast(t.amount / r.local_per_usd as decimal(18, 2)))
        filter (where t.status = 'completed' and t.transaction_type <> 'write_off'), 0)
        as volume_usd
from transactions as t
join rates as r
    on r.country_code = t.country_code
    and r.reference_month = cast(date_trunc('month', t.transaction_at) as date)
group by all
"""


def floor(raw: Path, output: Path) -> None:
    import duckdb

    with duckdb.connect() as con:
        con.execute(f"copy ({FLOOR_SQL.format(raw=raw)}) to '{output}' (format parquet)")


def load_frames(raw: Path) -> tuple:
    import pandas as pd
    import pyarrow.dataset as ds

    transactions = ds.dataset(raw / "transactions", format="parquet", partitioning="hive")
    frame = transactions.to_table(
        columns=["country_code", "transaction_type", "status", "amount", "transaction_at"]
    ).to_pandas()
    frame["amount"] = frame["amount"].astype("float64")
    rates = ds.dataset(raw / "economic_indicators", format="parquet", partitioning="hive")
    rate_frame = rates.to_table(
        columns=["country_code", "indicator_code", "reference_month", "indicator_value"]
    ).to_pandas()
    rate_frame = rate_frame[rate_frame["indicator_code"] == "exchange_rate"]
    rate_frame["reference_month"] = pd.to_datetime(rate_frame["reference_month"])
    return frame, rate_frame


def pandas_only(raw: Path, output: Path) -> None:
    frame, rates = load_frames(raw)
    frame["month_start_date"] = frame["transaction_at"].dt.to_period("M").dt.to_timestamp()
    frame = frame.merge(
        rates.rename(columns={"reference_month": "month_start_date"}),
        on=["country_code", "month_start_date"],
    )
    payment = frame["transaction_type"] != WRITE_OFF
    frame["settled"] = (frame["status"] != "pending") & payment
    frame["completed"] = (frame["status"] == "completed") & payment
    frame["usd"] = (
        (frame["amount"] / frame["indicator_value"]).round(2).where(frame["completed"], 0.0)
    )
    result = (
        frame.groupby(["country_code", "month_start_date"])
        .agg(
            transaction_count=("status", "size"),
            settled_count=("settled", "sum"),
            completed_count=("completed", "sum"),
            volume_usd=("usd", "sum"),
        )
        .reset_index()
    )
    result.to_parquet(output)


def pandas_sqlite(raw: Path, output: Path) -> None:
    import sqlite3

    import pandas as pd

    frame, rates = load_frames(raw)
    frame["transaction_at"] = frame["transaction_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    rates["reference_month"] = rates["reference_month"].dt.strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory() as folder:
        con = sqlite3.connect(Path(folder) / "reference.sqlite")
        frame.to_sql("transactions", con, index=False, chunksize=100_000)
        rates.to_sql("rates", con, index=False)
        result = pd.read_sql(
            """
            select
                t.country_code,
                substr(t.transaction_at, 1, 7) || '-01' as month_start_date,
                count(*) as transaction_count,
                sum(t.status <> 'pending' and t.transaction_type <> 'write_off')
                    as settled_count,
                sum(t.status = 'completed' and t.transaction_type <> 'write_off')
                    as completed_count,
                sum(case when t.status = 'completed' and t.transaction_type <> 'write_off'
                    then round(t.amount / r.indicator_value, 2) else 0 end) as volume_usd
            from transactions as t
            join rates as r
                on r.country_code = t.country_code
                and r.reference_month = substr(t.transaction_at, 1, 7) || '-01'
            group by 1, 2
            """,
            con,
        )
        con.close()
    result["month_start_date"] = pd.to_datetime(result["month_start_date"])
    result.to_parquet(output)


COMPUTATIONS: dict[str, Callable[[Path, Path], None]] = {
    "floor": floor,
    "pandas+sqlite": pandas_sqlite,
    "pandas": pandas_only,
}


def compute(system: str, raw: Path, output: Path) -> Run:
    """One computation in a fresh process, timed; its numbers land in `output`."""
    return run_measured(
        [sys.executable, "-m", "lending.bench.systems", system, str(raw), str(output)]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one of the benchmark's computations.")
    parser.add_argument("system", choices=list(COMPUTATIONS))
    parser.add_argument("raw", type=Path, help="the dataset folder")
    parser.add_argument("output", type=Path, help="where to write the numbers (Parquet)")
    args = parser.parse_args(argv)
    COMPUTATIONS[args.system](args.raw, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
