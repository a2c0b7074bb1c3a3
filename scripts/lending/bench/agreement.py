"""A benchmark that computes wrong numbers fails: every system's country-month numbers
(transactions, settled, completed, completed USD volume) against the mart's after the
full build, and the mart's after the incremental month against the floor's (itself
checked against the full build) over the dataset with that month."""

from __future__ import annotations

from pathlib import Path

# The aggregates every system computes, per country and calendar month.
COMPARED = ("transaction_count", "settled_count", "completed_count", "volume_usd")
Numbers = dict[tuple[str, str], tuple[float, ...]]


def mart_numbers(database: Path) -> Numbers:
    """fct_country_monthly's numbers, per (country, month) with transactions."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            f"select country_code, cast(month_start_date as varchar), {', '.join(COMPARED)} "
            "from fct_country_monthly where transaction_count > 0"
        ).fetchall()
    return {(r[0], r[1]): tuple(float(v) for v in r[2:]) for r in rows}


def parquet_numbers(path: Path) -> Numbers:
    """A competing system's numbers, from the Parquet file it wrote."""
    import pyarrow.parquet as pq

    return {
        (row["country_code"], str(row["month_start_date"])[:10]): tuple(
            float(row[column]) for column in COMPARED
        )
        for row in pq.read_table(path).to_pylist()
    }


def differences(expected: Numbers, actual: Numbers, reference: str = "the mart") -> str | None:
    """What differs from the `reference` numbers, in one sentence; None when they agree."""
    if expected.keys() != actual.keys():
        missing, extra = sorted(expected.keys() - actual.keys()), sorted(actual.keys() - expected)
        return f"other country-months than {reference} (missing {missing[:3]}, extra {extra[:3]})"
    for key, numbers in expected.items():
        theirs = actual[key]
        counts_match = numbers[:3] == theirs[:3]
        # Rounding each amount to cents can differ on an exact half cent between engines.
        volume_close = abs(numbers[3] - theirs[3]) <= 0.01 * numbers[0] + 0.01
        if not (counts_match and volume_close):
            return f"at {key}: {theirs} where {reference} has {numbers}"
    return None


def assert_same(
    expected: Numbers, actual: Numbers, system: str, reference: str = "the mart"
) -> None:
    """Stop the benchmark when `system` disagrees with the `reference` numbers."""
    problem = differences(expected, actual, reference)
    if problem:
        raise SystemExit(f"benchmark: {system} computed wrong numbers: {problem}")
