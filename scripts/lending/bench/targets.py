"""The targets of issues 14 and 24, listed in targets.toml, evaluated on a benchmark report
(the dict results.json holds).

A figure the run did not measure is reported as such, with the reason, never guessed.
"""

from __future__ import annotations

import operator
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "<": operator.lt,
}
WORDS = {">=": "at least", "<=": "at most", "<": "under"}
TARGETS_FILE = Path(__file__).with_name("targets.toml")


@dataclass(frozen=True)
class Figure:
    value: float | None
    note: str = ""  # why it is missing, or which earlier run it comes from


@dataclass(frozen=True)
class Target:
    """One entry of targets.toml (the file says what each field means)."""

    name: str
    comparison: str
    threshold: float
    unit: str
    digits: int
    how: str
    size: str | None = None
    path: tuple[str, ...] = ()
    command: str | None = None
    divide_by: float = 1.0

    def figure(self, report: dict) -> Figure:
        figure = at_size(report, self.size, self.path) if self.size else timed(report, self)
        if figure.value is None:
            return figure
        return Figure(figure.value / self.divide_by, figure.note)


def size_label(transactions: int) -> str:
    """50K, 1M, 10M: sizes as `--sizes` spells them."""
    for factor, suffix in ((1_000_000, "M"), (1_000, "K")):
        if transactions >= factor and transactions % (factor // 10) == 0:
            return f"{transactions / factor:g}{suffix}"
    return str(transactions)


def size_result(report: dict, transactions: int) -> dict | None:
    return next((r for r in report["results"] if r["transactions"] == transactions), None)


def at_size(report: dict, size_key: str, path: tuple[str, ...]) -> Figure:
    """The figure at `path` (e.g. "ratios", "incremental / full build") in the results of
    the size `report[size_key]`."""
    transactions = report[size_key]
    found: object = size_result(report, transactions)
    if found is None:
        return Figure(None, f"{size_label(transactions)} not in --sizes")
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    if not isinstance(found, int | float):
        return Figure(None, f"none at {size_label(transactions)}")
    return Figure(found)


def timed(report: dict, target: Target) -> Figure:
    """The seconds of `make run` or `make test` (report[target.command]), or why they are
    missing."""
    entry = report[str(target.command)]
    if "seconds" not in entry:
        return Figure(None, entry["not_measured"])
    return Figure(entry["seconds"], entry.get("note", ""))


def load_targets(path: Path = TARGETS_FILE) -> tuple[Target, ...]:
    targets = []
    for number, entry in enumerate(tomllib.loads(path.read_text())["target"], start=1):
        try:
            target = Target(**{**entry, "path": tuple(entry.get("path", ()))})
        except TypeError as error:
            raise ValueError(f"{path}: target {number} ({entry.get('name')}): {error}") from None
        if (target.size is None) == (target.command is None):
            raise ValueError(f"{path}: target {number} ({target.name}): give size or command")
        targets.append(target)
    return tuple(targets)


TARGETS = load_targets()


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
