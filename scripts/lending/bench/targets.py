"""Issue 14's targets, evaluated on a benchmark report (the dict results.json holds).

A figure the run did not measure is reported as such, with the reason, never guessed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "<": operator.lt,
}
WORDS = {">=": "at least", "<=": "at most", "<": "under"}


@dataclass(frozen=True)
class Figure:
    value: float | None
    note: str = ""  # why it is missing, or which earlier run it comes from


@dataclass(frozen=True)
class Target:
    name: str  # may name {reference} and {large}, the sizes of the report
    comparison: str
    threshold: float
    unit: str
    digits: int
    how: str  # how the figure is measured; may name {reference}, {large} and {rounds}
    figure: Callable[[dict], Figure]


def size_label(transactions: int) -> str:
    """50K, 1M, 10M: sizes as `--sizes` spells them."""
    for factor, suffix in ((1_000_000, "M"), (1_000, "K")):
        if transactions >= factor and transactions % (factor // 10) == 0:
            return f"{transactions / factor:g}{suffix}"
    return str(transactions)


def size_result(report: dict, transactions: int) -> dict | None:
    return next((r for r in report["results"] if r["transactions"] == transactions), None)


def at_size(size_key: str, *path: str, scale: float = 1.0) -> Callable[[dict], Figure]:
    """The figure at `path` (e.g. "ratios", "incremental / full build") in the results of
    the size `report[size_key]`."""

    def figure(report: dict) -> Figure:
        transactions = report[size_key]
        found: object = size_result(report, transactions)
        if found is None:
            return Figure(None, f"{size_label(transactions)} not in --sizes")
        for key in path:
            found = found.get(key) if isinstance(found, dict) else None
        if not isinstance(found, int | float):
            return Figure(None, f"none at {size_label(transactions)}")
        return Figure(found * scale)

    return figure


def project_command(key: str, scale: float = 1.0) -> Callable[[dict], Figure]:
    """The seconds of `make run` or `make test` (report[key]), or why they are missing."""

    def figure(report: dict) -> Figure:
        entry = report[key]
        if "seconds" not in entry:
            return Figure(None, entry["not_measured"])
        return Figure(entry["seconds"] * scale, entry.get("note", ""))

    return figure


TARGETS = (
    Target(
        "full build at {reference}: pandas+SQLite / our build", ">=", 3, "x", 1,
        "median seconds of pandas loading SQLite and SQLite aggregating (the reference "
        "system's way) over those of `dbt build --full-refresh` into an empty warehouse "
        "(every model and test, unit tests included), {rounds}",
        at_size("reference_size", "ratios", "pandas+sqlite / full build"),
    ),
    Target(
        "full build at {reference}: our build / the floor", "<=", 15, "x", 1,
        "median seconds of the full build over those of the floor, one DuckDB query "
        "computing the country-month aggregates from the Parquet",
        at_size("reference_size", "ratios", "full build / floor"),
    ),
    Target(
        "incremental month at {reference}: incremental / full build", "<=", 0.2, "", 2,
        "median seconds of `dbt build` after one appended month (lending-generate "
        "--append-month) over those of the full build",
        at_size("reference_size", "ratios", "incremental / full build"),
    ),
    Target(
        "incremental month: {large} history / {reference} history", "<=", 1.5, "", 2,
        "seconds of `dbt build` of the same appended month (the {large} dataset's) on the "
        "whole {large} history over on its latest months holding {reference} rows "
        "(older partitions removed, each history fully built first)",
        at_size("large_size", "ratios", "incremental / incremental, shorter history"),
    ),
    Target(
        "peak memory, full build at {large}", "<", 4, " GiB", 2,
        "maximum resident set of the dbt process (wait4's ru_maxrss: dbt runs DuckDB in "
        "its own process), the largest of the rounds",
        at_size("large_size", "medians", "full build", "peak_mib", scale=1 / 1024),
    ),
    Target(
        "generator at {reference}", ">=", 3_000_000, " rows/s", 0,
        "transactions over the median seconds of lending-generate writing them",
        at_size("reference_size", "ratios", "generator rows per second"),
    ),
    Target(
        "`make run` at the default scale, installed", "<", 10, " s", 1,
        "median wall seconds of `make run` in the project, after one warm-up run, "
        "{rounds}",
        project_command("make_run"),
    ),
    Target(
        "`make test` from a fresh clone", "<", 15, " min", 1,
        "wall time of `make test` in a `git clone` of the committed HEAD, creating its "
        "virtual environments included (`make bench BENCH_MAKE_TEST=1`)",
        project_command("make_test", scale=1 / 60),
    ),
)  # fmt: skip


def evaluate(report: dict, targets: tuple[Target, ...] = TARGETS) -> list[dict]:
    """One row per target: the figure, the target, whether it is met, how it is measured."""
    context = {
        "reference": size_label(report["reference_size"]),
        "large": size_label(report["large_size"]),
        "rounds": f"{report['rounds']} round" + ("" if report["rounds"] == 1 else "s"),
    }
    return [row(target, target.figure(report), context) for target in targets]


def row(target: Target, figure: Figure, context: dict) -> dict:
    measured, met = "not measured", None
    if figure.value is not None:
        measured = f"{figure.value:,.{target.digits}f}{target.unit}"
        met = COMPARISONS[target.comparison](figure.value, target.threshold)
    if figure.note:
        measured += f" ({figure.note})"
    return {
        "target": target.name.format(**context),
        "measured": figure.value,
        "unit": target.unit.strip(),
        "comparison": target.comparison,
        "threshold": target.threshold,
        "met": met,
        "shown": {
            "measured": measured,
            "target": f"{WORDS[target.comparison]} {target.threshold:,}{target.unit}",
        },
        "how": target.how.format(**context),
        "note": figure.note,
    }
