"""Write the whole dataset as Hive-partitioned Parquet, atomically, with a manifest."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bankdata.economy import demographics, economic_indicators
from bankdata.transactions import TransactionGenerator

MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = 1
PARQUET_FILE = "part-0.parquet"
# zstd at a low level: about as fast to write as snappy and a third smaller.
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 1}


class DatasetError(Exception):
    """A problem the user can fix; the message says what and where."""


@dataclass(frozen=True)
class Options:
    seed: int
    transactions: int


@dataclass(frozen=True)
class Progress:
    months_done: int
    months_total: int
    rows_written: int
    elapsed_seconds: float


def generator_fingerprint() -> str:
    """Hash of the generator's own source: data from older code is not 'current'."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_manifest(output: Path) -> dict | None:
    try:
        return json.loads((output / MANIFEST_NAME).read_text())
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None


def is_current(output: Path, options: Options) -> bool:
    manifest = read_manifest(output)
    return (
        manifest is not None
        and manifest.get("format") == MANIFEST_FORMAT
        and manifest.get("options") == asdict(options)
        and manifest.get("generator") == generator_fingerprint()
    )


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **PARQUET_OPTIONS)


def _write_by_year(table: pa.Table, root: Path, year_column: pa.Array) -> dict[str, int]:
    """One file per `year=YYYY` partition; returns rows per written file."""
    files: dict[str, int] = {}
    years = np.asarray(year_column)
    for year in np.unique(years):
        part = table.filter(pa.array(years == year))
        path = root / f"year={year}" / PARQUET_FILE
        _write(part, path)
        files[str(path)] = part.num_rows
    return files


def _prepare_staging(output: Path) -> Path:
    """A fresh sibling directory to write into, so the swap is a same-filesystem rename."""
    if output.exists() and not output.is_dir():
        raise DatasetError(f"{output} exists and is not a directory")
    if output.is_dir() and any(output.iterdir()) and read_manifest(output) is None:
        raise DatasetError(
            f"refusing to replace {output}: it is not empty and has no {MANIFEST_NAME}, "
            "so it was not written by this generator; choose another --output"
        )
    parent = output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for stale in parent.glob(f".{output.name}.tmp-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _process_alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        staging = parent / f".{output.name}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as error:
        raise DatasetError(f"cannot write to {parent}: {error.strerror or error}") from error
    return staging


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_in(staging: Path, output: Path) -> None:
    """Replace `output` with `staging`; the old dataset stays whole until the last moment."""
    retired = output.parent / f".{output.name}.old-{os.getpid()}"
    if output.exists():
        output.rename(retired)
    staging.rename(output)
    shutil.rmtree(retired, ignore_errors=True)


def generate(
    output: Path,
    options: Options,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict:
    """Generate every dataset under `output` and return the manifest written with it."""
    started = time.perf_counter()
    staging = _prepare_staging(output)
    try:
        indicators, exchange_rates = economic_indicators(options.seed)
        people = demographics(options.seed)
        files: dict[str, int] = {}
        files |= _write_by_year(
            indicators,
            staging / "economic_indicators",
            pc.year(indicators["reference_month"]),
        )
        files |= _write_by_year(people, staging / "demographics", people["reference_year"])

        generator = TransactionGenerator(options.seed, options.transactions, exchange_rates)
        months_total = len(generator.months)
        rows_written = 0
        for batch in generator:
            done = int((batch.month - generator.months[0]).astype(int)) + 1
            year, month = str(batch.month).split("-")
            path = staging / "transactions" / f"year={year}" / f"month={month}" / PARQUET_FILE
            _write(batch.table, path)
            files[str(path)] = batch.table.num_rows
            rows_written += batch.table.num_rows
            if on_progress is not None:
                on_progress(
                    Progress(done, months_total, rows_written, time.perf_counter() - started)
                )

        manifest = {
            "format": MANIFEST_FORMAT,
            "generator": generator_fingerprint(),
            "options": asdict(options),
            "rows": {
                "economic_indicators": indicators.num_rows,
                "demographics": people.num_rows,
                "transactions": rows_written,
            },
            "files": {
                str(Path(path).relative_to(staging)): rows for path, rows in sorted(files.items())
            },
        }
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        _swap_in(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest
