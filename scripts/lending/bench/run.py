"""Benchmark the platform against the targets of issues 14 and 24, the floor and the alternatives.

For each size (transactions), in several rounds, alternating the systems within a round:

  generator     lending-generate writing the dataset
  full build    `dbt build --full-refresh` into an empty DuckDB file: wall time split
                into dbt's fixed start-up (before the first node), models, tests and hooks
                (wall time covered by each kind of node, from run_results.json), and the
                slowest nodes
  incremental   the same warehouse, the dataset with one more month (--append-month):
                `dbt build`, which processes that month only
  no change     the same warehouse again, nothing new: `dbt build`, whose cost should
                stay flat as the history grows (compared with the smallest size's)
  floor, pandas+sqlite, pandas
                the competing computations (lending.bench.systems); above the reference
                size only the floor (pandas needs about 0.4 GiB per million rows)

At the large size, the same appended month is also built on a shorter history (the
dataset's latest months holding the reference size's rows): what an incremental month
costs should follow the month, not the history. Then `make run` in the project, and
with --make-test `make test` in a fresh clone.

Every system's country-month numbers are checked against the mart's: a benchmark that
computes wrong numbers fails. Prints the medians, peak memory (maximum resident set), the
ratios, the slowest dbt nodes and the targets table, and writes it all to a JSON file.
It asserts nothing about speed. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lending.bench import datasets, project, tables
from lending.bench.agreement import Numbers, assert_same, mart_numbers, parquet_numbers
from lending.bench.dbt_runs import dbt_build, slowest_nodes
from lending.bench.measure import Run
from lending.bench.systems import COMPUTATIONS, compute
from lending.bench.targets import evaluate, size_label, size_result
from lending.settings import PROJECT_ROOT

SHORTER = ", shorter history"
RATIOS = {
    "full build / floor": ("full build", "floor"),
    "pandas+sqlite / full build": ("pandas+sqlite", "full build"),
    "pandas / full build": ("pandas", "full build"),
    "incremental / full build": ("incremental", "full build"),
    "incremental / incremental" + SHORTER: ("incremental", "incremental" + SHORTER),
    "no change / full build": ("no change", "full build"),
}
NO_CHANGE_GROWTH = "no change / no change at the smallest size"
# Beyond the reference size, pandas would need most of the machine's memory.
ALTERNATIVES = ("pandas+sqlite", "pandas")


@dataclass(frozen=True)
class Plan:
    sizes: list[int]
    rounds: int
    large_rounds: int
    reference: int  # the size of the targets on speed
    large: int  # the size of the memory target and the history comparison

    def rounds_at(self, size: int) -> int:
        return self.rounds if size <= self.reference else self.large_rounds

    def computations_at(self, size: int) -> list[str]:
        return [s for s in COMPUTATIONS if size <= self.reference or s not in ALTERNATIVES]

    def shorter_history_at(self, size: int) -> bool:
        return size == self.large and size > self.reference


def add(runs: dict[str, list[Run]], system: str, run: Run) -> None:
    runs.setdefault(system, []).append(run)


def point(link: Path, target: Path) -> None:
    link.unlink(missing_ok=True)
    link.symlink_to(target, target_is_directory=True)


def full_then_month(
    base: Path, extended: Path, folder: Path, runs: dict[str, list[Run]], suffix: str = ""
) -> Numbers:
    """A full build of `base` into an empty warehouse, then the incremental build of the
    appended month; the mart's numbers after the full build."""
    # dbt reads the data through one path that points at the base dataset for the full
    # build and at the base plus one month for the incremental one: the same path, so
    # dbt's partial parsing holds, as it does for a user whose data folder gets a month.
    raw = folder / "raw"
    folder.mkdir(parents=True, exist_ok=True)
    for file in folder.glob("warehouse.duckdb*"):
        file.unlink()
    point(raw, base)
    add(runs, "full build" + suffix, dbt_build(raw, folder, "--full-refresh"))
    expected = mart_numbers(folder / "warehouse.duckdb")
    point(raw, extended)
    add(runs, "incremental" + suffix, dbt_build(raw, folder))
    if not suffix:
        add(runs, "no change", dbt_build(raw, folder))
    return expected


def check_incremental(extended: Path, folder: Path) -> None:
    """The mart after the appended month against the floor over the dataset with it."""
    output = folder / "floor_plus_month.parquet"
    compute("floor", extended, output)
    built = mart_numbers(folder / "warehouse.duckdb")
    assert_same(parquet_numbers(output), built, "the incremental build", "the floor")


def shorter_history(base: Path, extended: Path, keep_rows: int, work: Path) -> tuple[Path, Path]:
    """The base and the extended dataset without the partitions older than the latest
    months holding `keep_rows` rows: the same appended month on a shorter history."""
    dropped = datasets.older_partitions(base, keep_rows)
    shorter = (work / "shorter_base", work / "shorter_plus_month")
    for dataset, copy in zip((base, extended), shorter, strict=True):
        datasets.without_partitions(dataset, copy, dropped)
    return shorter


def benchmark_size(size: int, plan: Plan, work: Path) -> dict:
    rounds = plan.rounds_at(size)
    print(f"\n== {size:,} transactions, {rounds} round(s)", flush=True)
    base, extended = work / "base", work / "plus_month"
    runs: dict[str, list[Run]] = {}
    extra: dict[str, int] = {}
    for round_number in range(1, rounds + 1):
        # The generator is deterministic: one appended month serves every round.
        add(runs, "generator", datasets.generate(size, base))
        if round_number == 1:
            datasets.append_month(base, extended)
            extra["month_rows"] = datasets.added_rows(base, extended)
        expected = full_then_month(base, extended, work / "build", runs)
        check_incremental(extended, work / "build")
        if plan.shorter_history_at(size):
            # Not checked against the floor, which applies no rules: on a cut history the
            # payments of loans disbursed before the cut are quarantined (a payment needs
            # its loan's first disbursement). The build's own reconciliation tests hold.
            short_base, short_extended = shorter_history(base, extended, plan.reference, work)
            extra["shorter_history_rows"] = sum(datasets.partition_rows(short_base).values())
            full_then_month(short_base, short_extended, work / "shorter", runs, SHORTER)
        for system in plan.computations_at(size):
            output = work / f"{system}.parquet"
            add(runs, system, compute(system, base, output))
            assert_same(expected, parquet_numbers(output), system)
        print(
            f"  round {round_number}: "
            + ", ".join(f"{s} {r[-1].seconds:.1f}s" for s, r in runs.items()),
            flush=True,
        )
    return {"transactions": size, "rounds": rounds, **extra, **summarize(size, runs, extra)}


def summarize(size: int, runs: dict[str, list[Run]], extra: dict[str, int]) -> dict:
    medians = {
        system: {
            "seconds": statistics.median(r.seconds for r in system_runs),
            "peak_mib": max(r.peak_mib for r in system_runs),
            **{
                part: statistics.median(r.detail[part] for r in system_runs)
                for part in system_runs[0].detail
            },
        }
        for system, system_runs in runs.items()
    }
    ratios = {
        name: medians[over]["seconds"] / medians[under]["seconds"]
        for name, (over, under) in RATIOS.items()
        if over in medians and under in medians
    }
    ratios["generator rows per second"] = size / medians["generator"]["seconds"]
    ratios["month rows per incremental second"] = (
        extra["month_rows"] / medians["incremental"]["seconds"]
    )
    return {
        "medians": medians,
        "ratios": ratios,
        "slowest_nodes": {
            system: slowest_nodes(system_runs)
            for system, system_runs in runs.items()
            if system_runs[0].nodes
        },
        "runs": {system: [r.record() for r in system_runs] for system, system_runs in runs.items()},
    }


def machine() -> dict:
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024**2, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def parse_size(text: str) -> int:
    """50K, 1M, 10_000_000: a number of transactions."""
    cleaned = text.strip().upper().replace("_", "")
    factor = {"K": 1_000, "M": 1_000_000}.get(cleaned[-1:], 1)
    try:
        size = int(float(cleaned.rstrip("KM")) * factor)
    except (ValueError, OverflowError):
        size = 0
    if size < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 50K or 10M")
    return size


def parse_sizes(text: str) -> list[int]:
    return [parse_size(part) for part in text.split(",")]


def parse_rounds(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of rounds (1 or more)")
    return int(text)


def parser() -> argparse.ArgumentParser:
    summary, details = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(
        description=summary, epilog=details, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default="50K,1M,10M,50M",
        help="transactions per size, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--rounds", type=parse_rounds, default=3, help="rounds per size (default: 3)"
    )
    parser.add_argument(
        "--large-rounds",
        type=parse_rounds,
        default=1,
        help="rounds at sizes above --reference-size (default: 1)",
    )
    parser.add_argument(
        "--reference-size",
        type=parse_size,
        default="10M",
        help="the size of the targets on speed and of the shorter history (default: 10M)",
    )
    parser.add_argument(
        "--large-size",
        type=parse_size,
        default="50M",
        help="the size of the memory target and the history comparison (default: 50M)",
    )
    parser.add_argument(
        "--no-make-run",
        dest="make_run",
        action="store_false",
        help="do not time `make run` in the project (it uses the project's data/)",
    )
    parser.add_argument(
        "--make-test",
        action="store_true",
        help="time `make test` in a fresh clone (over half an hour here); without it "
        "the figure of the last run that measured it is carried over, dated",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=PROJECT_ROOT / "benchmarks" / "results.json",
        help="where to write the results (default: benchmarks/results.json)",
    )
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    return parser


def measure(plan: Plan, args: argparse.Namespace, work: Path) -> dict:
    results = []
    for size in plan.sizes:
        results.append(benchmark_size(size, plan, work / str(size)))
        shutil.rmtree(work / str(size), ignore_errors=True)
    smallest = min(results, key=lambda result: result["transactions"])
    for result in results:
        result["ratios"][NO_CHANGE_GROWTH] = (
            result["medians"]["no change"]["seconds"] / smallest["medians"]["no change"]["seconds"]
        )
    return {
        "results": results,
        "make_run": (
            project.time_make_run(plan.rounds)
            if args.make_run
            else {"not_measured": "left out with --no-make-run"}
        ),
        "make_test": (
            project.time_make_test(work)
            if args.make_test
            else project.earlier_make_test(args.output)
        ),
    }


def show(report: dict) -> None:
    results = report["results"]
    print("\n" + tables.systems_table(results) + "\n\n" + tables.ratios_table(results))
    nodes_at = size_result(report, report["reference_size"]) or results[-1]
    print(f"\nThe slowest nodes at {size_label(nodes_at['transactions'])} (median seconds):")
    print(tables.nodes_table(nodes_at))
    print("\nThe targets (issues 14 and 24):\n" + tables.targets_table(report["targets"]))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    plan = Plan(args.sizes, args.rounds, args.large_rounds, args.reference_size, args.large_size)
    # When and what was measured: the code at the start, whatever changes meanwhile.
    started, measured_commit = datetime.now(UTC).isoformat(timespec="seconds"), project.commit()
    with tempfile.TemporaryDirectory(dir=args.work) as folder:
        measured = measure(plan, args, Path(folder))
    report = {
        "measured_at": started,
        "commit": measured_commit,
        "machine": machine(),
        "rounds": plan.rounds,
        "large_rounds": plan.large_rounds,
        "reference_size": plan.reference,
        "large_size": plan.large,
        **measured,
    }
    report["targets"] = evaluate(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    show(report)
    print(f"\nWrote {args.output}")
    return 0
