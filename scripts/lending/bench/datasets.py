"""The datasets a benchmark size builds: the base, the base plus one month, and the same
two on a shorter history (the latest months only) to show what an incremental month
costs does not grow with the history."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from lending.bench.measure import Run, run_measured

GENERATOR = [sys.executable, "-m", "lending.generator.cli", "--quiet"]
# The base dataset ends in August 2024 (lending.generator.periods).
APPENDED_MONTH = "2024-09"


def generate(size: int, output: Path) -> Run:
    """lending-generate writing `size` transactions (default seed, clean data), timed."""
    shutil.rmtree(output, ignore_errors=True)
    return run_measured([*GENERATOR, "--transactions", str(size), "--output", str(output)])


def append_month(base: Path, extended: Path) -> None:
    """`extended` = `base` plus one month, as the generator appends it (--append-month)."""
    shutil.rmtree(extended, ignore_errors=True)
    shutil.copytree(base, extended)
    run_measured([*GENERATOR, "--append-month", APPENDED_MONTH, "--output", str(extended)])


def partition_rows(dataset: Path) -> dict[Path, int]:
    """Rows per transactions partition (year=/month= folder, relative to the dataset),
    from the Parquet footers."""
    import pyarrow.parquet as pq

    rows: dict[Path, int] = {}
    for file in sorted((dataset / "transactions").glob("year=*/month=*/*.parquet")):
        partition = file.parent.relative_to(dataset)
        rows[partition] = rows.get(partition, 0) + pq.ParquetFile(file).metadata.num_rows
    return rows


def added_rows(base: Path, extended: Path) -> int:
    """Transactions in the partitions `extended` has and `base` has not."""
    before = partition_rows(base)
    return sum(n for partition, n in partition_rows(extended).items() if partition not in before)


def partition_month(partition: Path) -> tuple[int, ...]:
    """(year, month) of a `transactions/year=2024/month=08` partition, as numbers."""
    return tuple(int(level.split("=", 1)[1]) for level in partition.parts[1:])


def older_partitions(dataset: Path, keep_rows: int) -> list[Path]:
    """The transactions partitions older than the latest ones holding `keep_rows` rows."""
    newest_first = sorted(
        partition_rows(dataset).items(), key=lambda item: partition_month(item[0]), reverse=True
    )
    kept = 0
    for position, (_partition, rows) in enumerate(newest_first):
        if kept >= keep_rows:
            return [partition for partition, _ in newest_first[position:]]
        kept += rows
    return []


def without_partitions(source: Path, destination: Path, dropped: list[Path]) -> None:
    """A copy of the dataset `source` without the `dropped` partitions (hard links: the
    benchmark never writes to a dataset once it is generated)."""
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(source, destination, copy_function=os.link)
    for partition in dropped:
        shutil.rmtree(destination / partition)
        if not any((destination / partition.parent).iterdir()):
            (destination / partition.parent).rmdir()
