"""Write the whole dataset as Hive-partitioned Parquet, atomically, with a manifest."""

from __future__ import annotations

import ast
import filecmp
import hashlib
import json
import os
import re
import shutil
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lending import settings
from lending.checks.raw_structure import load_tables
from lending.generator.defects import (
    TRANSACTION_DEFECTS,
    InjectedDefect,
    inject_demographic_defects,
    inject_indicator_defects,
    inject_loan_defects,
    inject_transaction_defects,
)
from lending.generator.economy import demographics, economic_indicators
from lending.generator.loans import COMPLETED, loans_table
from lending.generator.periods import BASE_LAST_MONTH, FIRST_TRANSACTION_MONTH, transaction_months
from lending.generator.profiles import COUNTRIES, SECTORS
from lending.generator.transactions import MonthBatch, TransactionGenerator
from lending.locking import exclusive_lock, private_directory

MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = 1
# With --defect-rate: every defect injected on purpose, and the reason it must get.
INJECTED_DEFECTS_NAME = "_injected_defects.parquet"
# The one folder per dataset the generator writes; nothing else belongs in its output.
DATASETS = ("economic_indicators", "demographics", "transactions", "loans")
OWN_ENTRIES = frozenset({MANIFEST_NAME, INJECTED_DEFECTS_NAME, *DATASETS})
# generator_fingerprint(): what every manifest the generator writes carries.
FINGERPRINT = re.compile(r"[0-9a-f]{16}")
PARQUET_FILE = "part-0.parquet"
# zstd at a low level: about as fast to write as snappy and a third smaller. No Arrow
# schema in the footer: plain Parquet types, read the same by every engine.
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 1, "store_schema": False}
# Dictionary-encode only the low-cardinality columns: trying it on unique ids costs time.
TRANSACTION_DICTIONARY_COLUMNS = [
    "country_code",
    "sector_code",
    "transaction_type",
    "status",
    "currency_code",
]
# Months being turned into Arrow and written while the next ones are generated. Arrow
# and Parquet release the GIL, so two writers keep both cores busy; the bound keeps
# memory flat at any scale.
WRITER_THREADS = 2
MAX_MONTHS_IN_FLIGHT = 4


class DatasetError(Exception):
    """A problem the user can fix; the message says what and where."""


@dataclass(frozen=True)
class Options:
    seed: int
    transactions: int
    defect_rate: float = 0.0
    # The last month with transactions: August 2024, or later once months are appended.
    last_month: str = str(BASE_LAST_MONTH)

    @property
    def last(self) -> np.datetime64:
        return np.datetime64(self.last_month, "M")


@dataclass(frozen=True)
class Progress:
    months_done: int
    months_total: int
    rows_written: int
    elapsed_seconds: float


def generator_fingerprint() -> str:
    """Hash of what the generator's code does and of its data (macro_anchors.toml), and of
    the file columns and types its schemas take from the sources YAML (schemas.py): data
    from older code, older figures or an older contract is not 'current'. What cannot
    change the files is left out: comments and docstrings (the code is hashed as its
    syntax tree), the TOML's comments and layout (hashed as the values it holds), and the
    YAML's descriptions and tests."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted([*here.glob("*.py"), *here.glob("*.toml")]):
        digest.update(path.name.encode())
        text = path.read_text()
        if path.suffix == ".py":
            digest.update(ast.dump(_without_docstrings(ast.parse(text))).encode())
        else:
            digest.update(repr(tomllib.loads(text)).encode())
    digest.update(repr([(table.name, table.declared) for table in load_tables()]).encode())
    return digest.hexdigest()[:16]


def _without_docstrings(tree: ast.Module) -> ast.Module:
    scopes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, scopes)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


def read_manifest(output: Path) -> dict | None:
    try:
        manifest = json.loads((output / MANIFEST_NAME).read_text())
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return manifest if isinstance(manifest, dict) else None


def manifest_problem(manifest: dict | None) -> str | None:
    """Why `manifest` is not one this generator wrote, or None when it is: its format, the
    generator's fingerprint, and files that are relative paths inside the dataset folders
    (never absolute, never `..`), so that what replaces, uploads or deletes by it stays
    inside the dataset."""
    if manifest is None:
        return f"it has no readable {MANIFEST_NAME}"
    if manifest.get("format") != MANIFEST_FORMAT:
        return f"its {MANIFEST_NAME} is not in the generator's format {MANIFEST_FORMAT}"
    if not FINGERPRINT.fullmatch(str(manifest.get("generator"))):
        return f"its {MANIFEST_NAME} carries no generator fingerprint"
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return f"its {MANIFEST_NAME} lists no files"
    for name in files:
        path = PurePosixPath(name)
        if (
            path.is_absolute()
            or ".." in path.parts
            or path.as_posix() != name
            or len(path.parts) < 2
            or path.parts[0] not in DATASETS
        ):
            return f"its {MANIFEST_NAME} lists {name!r}, which is not a file of the dataset"
    return None


def foreign_problem(output: Path) -> str | None:
    """Why the non-empty folder `output` is not a dataset this generator wrote, or None:
    its manifest must be the generator's, and it may hold nothing but the generator's own
    entries."""
    problem = manifest_problem(read_manifest(output))
    if problem:
        return problem
    foreign = sorted(entry.name for entry in output.iterdir() if entry.name not in OWN_ENTRIES)
    if foreign:
        return f"it holds {', '.join(foreign[:3])}, which the generator never writes"
    return None


def is_current(output: Path, options: Options) -> bool:
    manifest = read_manifest(output)
    return (
        manifest is not None
        and manifest.get("format") == MANIFEST_FORMAT
        and manifest.get("options") == asdict(options)
        and manifest.get("generator") == generator_fingerprint()
    )


def options_for_appending(output: Path, month: str) -> Options:
    """The options that extend the dataset in `output` by `month`, its next month."""
    manifest = read_manifest(output)
    if manifest is None:
        raise DatasetError(
            f"cannot append to {output}: no {MANIFEST_NAME} there; generate a dataset first"
        )
    current = Options(**manifest["options"])
    try:
        wanted = np.datetime64(month, "M")
    except ValueError:
        raise DatasetError(f"--append-month {month!r} is not a month like 2024-09") from None
    if wanted != current.last + 1:
        raise DatasetError(
            f"cannot append {month} to {output}: its last month is {current.last_month}, "
            f"so the next one is {current.last + 1}"
        )
    return Options(current.seed, current.transactions, current.defect_rate, str(wanted))


def _write(table: pa.Table, path: Path, **options: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **PARQUET_OPTIONS, **options)


@dataclass(frozen=True)
class DefectPlan:
    """Where `--defect-rate` puts its defects; empty when the rate is 0."""

    seed: int
    rate: float
    # (country code, transaction month index) pairs whose exchange rate is removed.
    removed_exchange_rates: frozenset[tuple[str, int]]
    # (country code, sector code) -> a loan of the base window whose disbursement failed:
    # where a loan_never_disbursed defect points a payment.
    never_disbursed_loans: tuple[tuple[tuple[str, str], int], ...] = ()

    @classmethod
    def choose(cls, options: Options, generator: TransactionGenerator) -> DefectPlan:
        counts = generator.counts
        removed: set[tuple[str, int]] = set()
        if options.defect_rate > 0:
            # About as many rows as each row-level kind gets, at least one country-month,
            # chosen in the base window so that appending a month changes none of it.
            base = counts[: len(transaction_months())]
            wanted = max(1, round(base.size * options.defect_rate / len(TRANSACTION_DEFECTS)))
            months, countries = np.nonzero(base)
            rng = np.random.default_rng([options.seed, 6])
            for pick in rng.choice(len(months), size=min(wanted, len(months)), replace=False):
                removed.add((COUNTRIES[countries[pick]].code, int(months[pick])))
        return cls(
            options.seed, options.defect_rate, frozenset(removed), _never_disbursed(generator)
        )

    @property
    def active(self) -> bool:
        return self.rate > 0

    def remove_exchange_rates(self, indicators: pa.Table) -> pa.Table:
        if not self.removed_exchange_rates:
            return indicators
        first = np.datetime64(transaction_months()[0], "D").astype("datetime64[M]")
        month = (np.asarray(indicators["reference_month"]).astype("datetime64[M]") - first).astype(
            int
        )
        country = np.asarray(indicators["country_code"])
        is_rate = np.asarray(indicators["indicator_code"]) == "exchange_rate"
        drop = np.zeros(indicators.num_rows, dtype=bool)
        for code, month_idx in self.removed_exchange_rates:
            drop |= is_rate & (country == code) & (month == month_idx)
        return indicators.filter(pa.array(~drop))


def _never_disbursed(generator: TransactionGenerator) -> tuple[tuple[tuple[str, str], int], ...]:
    """The first loan of each country and sector whose disbursement failed and that was
    never disbursed before the window, among the base window's loans (appending a month
    changes none of them)."""
    loans = generator.plan.loans
    base = loans.month < len(transaction_months())
    never = np.flatnonzero(base & (loans.status != COMPLETED) & (loans.disbursed_before_usd == 0))
    first: dict[tuple[str, str], int] = {}
    for position in never:
        key = (COUNTRIES[loans.country[position]].code, SECTORS[loans.sector[position]].code)
        first.setdefault(key, int(position) + 1)
    return tuple(sorted(first.items()))


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _write_month(
    batch: MonthBatch, root: Path, plan: DefectPlan, exchange_rates: np.ndarray
) -> tuple[str, int, list[InjectedDefect]]:
    year, month = str(batch.month).split("-")
    path = root / "transactions" / f"year={year}" / f"month={month}" / PARQUET_FILE
    table, injected = batch.table(), []
    if plan.active:
        month_idx = int((batch.month - FIRST_TRANSACTION_MONTH).astype(int))
        table, records = inject_transaction_defects(
            table,
            np.random.default_rng([plan.seed, 5, month_idx]),
            plan.rate,
            month_idx,
            {c.code: float(exchange_rates[i, month_idx + 1]) for i, c in enumerate(COUNTRIES)},
            frozenset(code for code, m in plan.removed_exchange_rates if m == month_idx),
            dict(plan.never_disbursed_loans),
        )
        injected = [InjectedDefect(_relative(path, root), row, why) for row, why in records]
    _write(table, path, use_dictionary=TRANSACTION_DICTIONARY_COLUMNS)
    return str(path), table.num_rows, injected


def _write_transactions(
    generator: TransactionGenerator, root: Path, plan: DefectPlan, exchange_rates: np.ndarray
) -> Iterator[tuple[int, str, int, list[InjectedDefect]]]:
    """Write each month's partition; yield (month position, path, rows, defects) in order.

    The generator itself is sequential (a month's payments need the loans of earlier
    months), so it runs here while worker threads build and write the months before it.
    """
    first = generator.months[0]
    with ThreadPoolExecutor(max_workers=WRITER_THREADS) as writers:
        in_flight: deque[tuple[int, Future[tuple[str, int, list[InjectedDefect]]]]] = deque()
        for batch in generator:
            position = int((batch.month - first).astype(int)) + 1
            job = writers.submit(_write_month, batch, root, plan, exchange_rates)
            in_flight.append((position, job))
            if len(in_flight) >= MAX_MONTHS_IN_FLIGHT:
                position, written = in_flight.popleft()
                yield position, *written.result()
        while in_flight:
            position, written = in_flight.popleft()
            yield position, *written.result()


YearDefects = Callable[[pa.Table, np.random.Generator, float, int], tuple[pa.Table, list]]


def _write_by_year(
    table: pa.Table,
    root: Path,
    dataset: str,
    year_column: pa.Array,
    plan: DefectPlan,
    inject: YearDefects,
    stream: int,
) -> tuple[dict[str, int], list[InjectedDefect]]:
    """One file per `year=YYYY` partition; returns rows per file and injected defects."""
    files: dict[str, int] = {}
    injected: list[InjectedDefect] = []
    years = np.asarray(year_column)
    for offset, year in enumerate(np.unique(years)):
        part = table.filter(pa.array(years == year))
        path = root / dataset / f"year={year}" / PARQUET_FILE
        if plan.active:
            rng = np.random.default_rng([plan.seed, stream, int(year)])
            part, records = inject(part, rng, plan.rate, offset)
            injected += [InjectedDefect(_relative(path, root), row, why) for row, why in records]
        _write(part, path)
        files[str(path)] = part.num_rows
    return files, injected


def _write_injected(staging: Path, injected: list[InjectedDefect]) -> dict[str, dict[str, int]]:
    """The record of injected defects (a Parquet file) and its counts per dataset and reason."""
    table = pa.table(
        {
            "source_file": [d.source_file for d in injected],
            "source_row_number": pa.array([d.source_row_number for d in injected], pa.int64()),
            "rejection_reason": [d.rejection_reason for d in injected],
        }
    ).sort_by([("source_file", "ascending"), ("source_row_number", "ascending")])
    _write(table, staging / INJECTED_DEFECTS_NAME)
    counts: dict[str, dict[str, int]] = {}
    for defect in injected:
        per_reason = counts.setdefault(defect.source_file.split("/")[0], {})
        per_reason[defect.rejection_reason] = per_reason.get(defect.rejection_reason, 0) + 1
    return {dataset: dict(sorted(reasons.items())) for dataset, reasons in sorted(counts.items())}


def _prepare_staging(output: Path) -> Path:
    """A fresh sibling directory to write into, so the swap is a same-filesystem rename."""
    parent = output.parent
    try:
        private_directory(parent)
        clean_up_after_dead_runs(output)
    except OSError as error:
        raise DatasetError(f"cannot write to {parent}: {error.strerror or error}") from error
    if output.exists() and not output.is_dir():
        raise DatasetError(f"{output} exists and is not a directory")
    if output.is_dir() and any(output.iterdir()):
        problem = foreign_problem(output)
        if problem:
            raise DatasetError(
                f"refusing to replace {output}: {problem}, so it was not written by this "
                "generator; choose another --output"
            )
    try:
        staging = parent / f".{output.name}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as error:
        raise DatasetError(f"cannot write to {parent}: {error.strerror or error}") from error
    return staging


def _leftovers(output: Path, kind: str) -> list[Path]:
    """`.<name>.tmp-<pid>` or `.<name>.old-<pid>` folders of runs no longer alive."""
    found = []
    for path in output.parent.glob(f".{output.name}.{kind}-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            found.append(path)
    return sorted(found)


def clean_up_after_dead_runs(output: Path) -> None:
    """Remove what killed runs left: their unfinished new datasets (.tmp-*) and the old
    datasets they retired (.old-*). A retired dataset is the only copy when the run died
    between its two renames: then it is put back instead."""
    for staging in _leftovers(output, "tmp"):
        shutil.rmtree(staging, ignore_errors=True)
    for retired in _leftovers(output, "old"):
        if not output.exists() and foreign_problem(retired) is None:
            retired.rename(output)
        else:
            shutil.rmtree(retired, ignore_errors=True)


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
    _keep_unchanged_files(staging, output)
    with _build_lock(output):
        if output.exists():
            output.rename(retired)
        staging.rename(output)
    shutil.rmtree(retired, ignore_errors=True)


def _keep_unchanged_files(staging: Path, output: Path) -> None:
    """Put the old file, not a byte-identical new one, in the new dataset: a file that did
    not change keeps its time of writing, and a build, which finds the partitions delivered
    again by their files' size and time (stg_bank__transaction_files), reads only what did
    change (an appended month, not the whole history again). A hard link, so the old
    dataset stays whole until the swap."""
    if not output.is_dir():
        return
    for new in staging.rglob("*.parquet"):
        old = output / new.relative_to(staging)
        if old.is_file() and not old.is_symlink() and filecmp.cmp(old, new, shallow=False):
            new.unlink()
            os.link(old, new)


def _build_lock(output: Path) -> AbstractContextManager[None]:
    """The build's lock when `output` is the folder the build reads: a running build
    finishes on the dataset it started with, and the next one starts on the new one."""
    if output.resolve() == settings.raw_data_path().resolve():
        return exclusive_lock(settings.duckdb_path(), "replacing the raw data")
    return nullcontext()


def generate(
    output: Path,
    options: Options,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict:
    """Generate every dataset under `output` and return the manifest written with it.
    A symbolic link as `output` stays a link: the dataset is replaced where it points."""
    started = time.perf_counter()
    output = output.resolve()
    staging = _prepare_staging(output)
    try:
        indicators, exchange_rates = economic_indicators(options.seed, options.last)
        people = demographics(options.seed, options.last)
        generator = TransactionGenerator(options.seed, options.transactions, options.last)
        plan = DefectPlan.choose(options, generator)
        loans = loans_table(generator.plan.loans, len(generator.months) - 1)
        indicators = plan.remove_exchange_rates(indicators)

        files: dict[str, int] = {}
        injected: list[InjectedDefect] = []
        for table, dataset, years, inject, stream in (
            (
                indicators,
                "economic_indicators",
                pc.year(indicators["reference_month"]),
                inject_indicator_defects,
                7,
            ),
            (people, "demographics", people["reference_year"], inject_demographic_defects, 8),
            (loans, "loans", pc.year(loans["agreement_signing_date"]), inject_loan_defects, 17),
        ):
            written, defects = _write_by_year(table, staging, dataset, years, plan, inject, stream)
            files |= written
            injected += defects

        rows_written = dict.fromkeys(DATASETS, 0)
        for path, rows in files.items():
            rows_written[Path(path).relative_to(staging).parts[0]] += rows
        for position, path, rows, defects in _write_transactions(
            generator, staging, plan, exchange_rates
        ):
            files[path] = rows
            injected += defects
            rows_written["transactions"] += rows
            if on_progress is not None:
                elapsed = time.perf_counter() - started
                on_progress(
                    Progress(position, len(generator.months), rows_written["transactions"], elapsed)
                )

        manifest = {
            "format": MANIFEST_FORMAT,
            "generator": generator_fingerprint(),
            "options": asdict(options),
            "rows": rows_written,
            "files": {
                str(Path(path).relative_to(staging)): rows for path, rows in sorted(files.items())
            },
        }
        if plan.active:
            manifest["injected_defects"] = {
                "file": INJECTED_DEFECTS_NAME,
                "rows": _write_injected(staging, injected),
                "removed_exchange_rates": sorted(
                    f"{code} {generator.months[month_idx]}"
                    for code, month_idx in plan.removed_exchange_rates
                ),
            }
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        _swap_in(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest
