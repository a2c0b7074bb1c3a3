"""A benchmark that computes wrong numbers fails: the comparison with the mart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lending.bench.agreement import assert_same, differences, mart_numbers, parquet_numbers

MART = {
    ("AR", "2024-01-01"): (100.0, 90.0, 80.0, 1234.56),
    ("BR", "2024-01-01"): (10.0, 9.0, 8.0, 5.0),
}


def changed(key: tuple[str, str], position: int, value: float) -> dict:
    numbers = dict(MART)
    row = list(numbers[key])
    row[position] = value
    numbers[key] = tuple(row)
    return numbers


def test_the_same_numbers_agree() -> None:
    assert differences(MART, dict(MART)) is None
    assert_same(MART, dict(MART), "floor")


@pytest.mark.parametrize("position", [0, 1, 2])
def test_one_count_off_by_one_is_a_difference(position: int) -> None:
    theirs = changed(("AR", "2024-01-01"), position, MART[("AR", "2024-01-01")][position] + 1)
    assert differences(MART, theirs) == (
        f"at ('AR', '2024-01-01'): {theirs[('AR', '2024-01-01')]} "
        f"where the mart has {MART[('AR', '2024-01-01')]}"
    )


def test_volume_may_differ_by_a_cent_per_transaction_and_no_more() -> None:
    # 100 transactions: each rounded to cents may land a half cent apart, 1.01 in all.
    assert differences(MART, changed(("AR", "2024-01-01"), 3, 1234.56 + 1.0)) is None
    assert differences(MART, changed(("AR", "2024-01-01"), 3, 1234.56 + 1.02)) is not None


def test_a_missing_or_extra_country_month_is_a_difference() -> None:
    fewer = {key: value for key, value in MART.items() if key[0] == "AR"}
    assert "missing [('BR', '2024-01-01')]" in (differences(MART, fewer) or "")
    more = {**MART, ("CL", "2024-01-01"): (1.0, 1.0, 1.0, 1.0)}
    assert "extra [('CL', '2024-01-01')]" in (differences(MART, more) or "")


def test_a_disagreeing_system_stops_the_benchmark_naming_it_and_the_reference() -> None:
    wrong = changed(("BR", "2024-01-01"), 0, 11.0)
    expected = r"the incremental build computed wrong numbers: .* where the floor has"
    with pytest.raises(SystemExit, match=expected):
        assert_same(MART, wrong, "the incremental build", "the floor")


def test_numbers_are_read_from_the_mart_and_from_a_systems_parquet(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(
            "create table fct_country_monthly as select * from (values "
            "('AR', date '2024-01-01', 100, 90, 80, 1234.56::decimal(18, 2)), "
            "('BR', date '2024-01-01', 10, 9, 8, 5.00::decimal(18, 2)), "
            # A month without transactions: the mart has it, the systems do not.
            "('CL', date '2024-01-01', 0, 0, 0, 0.00::decimal(18, 2))) as t("
            "country_code, month_start_date, transaction_count, settled_count, "
            "completed_count, volume_usd)"
        )
    assert mart_numbers(database) == MART
    output = tmp_path / "system.parquet"
    pq.write_table(
        pa.table(
            {
                "country_code": ["BR", "AR"],
                "month_start_date": [date(2024, 1, 1)] * 2,
                "transaction_count": [10, 100],
                "settled_count": [9, 90],
                "completed_count": [8, 80],
                "volume_usd": [5.0, 1234.56],
            }
        ),
        output,
    )
    assert parquet_numbers(output) == MART
