"""The datasets a size builds: rows per partition, the appended month, a shorter history."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lending.bench.datasets import (
    added_rows,
    older_partitions,
    partition_month,
    partition_rows,
    without_partitions,
)

# Rows per month, oldest first.
MONTHS = {(2023, 9): 5, (2023, 10): 7, (2023, 11): 1, (2024, 1): 3, (2024, 2): 4}


def partition(year: int, month: int) -> Path:
    return Path("transactions", f"year={year}", f"month={month:02d}")


def write_rows(file: Path, rows: int) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"transaction_id": list(range(rows))}), file)


def dataset(root: Path, months: dict[tuple[int, int], int] = MONTHS) -> Path:
    """Transactions in monthly partitions (one month in two files) and one indicator file."""
    for (year, month), rows in months.items():
        if rows > 1:
            write_rows(root / partition(year, month) / "part-0.parquet", rows - 1)
            write_rows(root / partition(year, month) / "part-1.parquet", 1)
        else:
            write_rows(root / partition(year, month) / "part-0.parquet", rows)
    write_rows(root / "economic_indicators" / "year=2023" / "part-0.parquet", 2)
    return root


def test_rows_per_partition_come_from_every_file_of_the_partition(tmp_path: Path) -> None:
    assert partition_rows(dataset(tmp_path)) == {
        partition(year, month): rows for (year, month), rows in MONTHS.items()
    }


def test_partition_month_is_numeric() -> None:
    assert partition_month(partition(2023, 10)) == (2023, 10)
    # Months in order even where a folder's name would sort otherwise as text.
    unpadded = Path("transactions", "year=2023", "month=9")
    assert partition_month(unpadded) < partition_month(partition(2023, 10))


def test_added_rows_count_only_the_new_partitions(tmp_path: Path) -> None:
    base = dataset(tmp_path / "base")
    extended = dataset(tmp_path / "extended", {**MONTHS, (2024, 3): 6})
    assert added_rows(base, extended) == 6


@pytest.mark.parametrize(
    ("keep_rows", "dropped"),
    [
        # The newest months are kept until they hold keep_rows: February (4 rows), then
        # January (7 in all), November (8), October (15).
        (4, [(2024, 1), (2023, 11), (2023, 10), (2023, 9)]),
        (5, [(2023, 11), (2023, 10), (2023, 9)]),
        (8, [(2023, 10), (2023, 9)]),
        (9, [(2023, 9)]),
        (20, []),
    ],
)
def test_older_partitions_are_those_beyond_the_latest_holding_keep_rows(
    tmp_path: Path, keep_rows: int, dropped: list[tuple[int, int]]
) -> None:
    expected = [partition(year, month) for year, month in dropped]
    assert older_partitions(dataset(tmp_path), keep_rows) == expected


def test_a_shorter_history_drops_partitions_and_empty_years_only(tmp_path: Path) -> None:
    source = dataset(tmp_path / "source")
    before = partition_rows(source)
    copy = tmp_path / "shorter"
    without_partitions(source, copy, older_partitions(source, 8))
    assert partition_rows(copy) == {
        partition(2023, 11): 1,
        partition(2024, 1): 3,
        partition(2024, 2): 4,
    }
    assert (copy / "economic_indicators" / "year=2023" / "part-0.parquet").is_file()
    assert partition_rows(source) == before  # the source is untouched
    without_partitions(source, copy, older_partitions(source, 5))  # replaces the copy
    assert not (copy / "transactions" / "year=2023").exists()
    assert list(partition_rows(copy)) == [partition(2024, 1), partition(2024, 2)]
