"""The benchmark's tables as Markdown, rendered from the report's parts."""

from __future__ import annotations

from lending.bench.tables import (
    markdown,
    nodes_table,
    ratios_table,
    systems_table,
    targets_table,
)
from lending.bench.targets import evaluate


def test_markdown_aligns_each_column() -> None:
    assert markdown(["a", "b"], "lr", [["x", "1"], ["y", "22"]]) == [
        "| a | b |",
        "| --- | ---: |",
        "| x | 1 |",
        "| y | 22 |",
    ]


def test_the_targets_table_shows_measured_target_met_and_how() -> None:
    rows = evaluate(
        {
            "reference_size": 10_000_000,
            "large_size": 50_000_000,
            "rounds": 3,
            "results": [
                {
                    "transactions": 10_000_000,
                    "ratios": {"generator rows per second": 2_500_000.0},
                    "medians": {},
                }
            ],
            "make_run": {"seconds": 7.25, "runs": [7.25]},
            "make_test": {"not_measured": "run `make bench BENCH_MAKE_TEST=1`"},
        }
    )
    lines = targets_table(rows).splitlines()
    assert lines[0] == "| target | measured | target | met? | how measured |"
    assert len(lines) == 2 + len(rows)
    by_name = {line.split(" | ")[0].removeprefix("| "): line for line in lines[2:]}
    assert (
        " | 2,500,000 rows/s | at least 3,000,000 rows/s | NOT met | "
        in by_name["generator at 10M"]
    )
    assert " | 7.2 s | under 10 s | met | " in by_name["`make run` at the default scale, installed"]
    assert " | not measured | " in by_name["`make test` from a fresh clone"]
    assert (
        " | not measured (none at 10M) | at least 3x | not measured | "
        in by_name["full build at 10M: pandas+SQLite / our build"]
    )


RESULT = {
    "transactions": 1_000_000,
    "medians": {
        "generator": {"seconds": 0.5, "peak_mib": 180.4},
        "full build": {
            "seconds": 17.25,
            "peak_mib": 1722.0,
            "startup": 5.0,
            "models": 6.5,
            "tests": 5.0,
            "hooks": 0.75,
        },
    },
    "ratios": {"full build / floor": 40.123, "generator rows per second": 2_000_000.0},
    "slowest_nodes": {
        "full build": [["model int_a", 4.5], ["test unique_a", 2.25], ["model int_b", 1.0]],
        "incremental": [["model int_a", 0.5]],
    },
}


def test_the_systems_table_has_a_row_per_size_and_system_with_its_breakdown() -> None:
    assert systems_table([RESULT]).splitlines()[2:] == [
        "| 1M | generator | 0.50 | 180 |  |",
        "| 1M | full build | 17.25 | 1,722 | startup 5.0s, models 6.5s, tests 5.0s, hooks 0.8s |",
    ]


def test_the_ratios_table_shows_rows_per_second_as_whole_numbers() -> None:
    assert ratios_table([RESULT]).splitlines()[2:] == [
        "| 1M | full build / floor | 40.12 |",
        "| 1M | generator rows per second | 2,000,000 |",
    ]


def test_the_nodes_table_puts_full_and_incremental_side_by_side() -> None:
    assert nodes_table(RESULT).splitlines() == [
        "| # | full build: node | s | incremental: node | s |",
        "| ---: | --- | ---: | --- | ---: |",
        "| 1 | `model int_a` | 4.50 | `model int_a` | 0.50 |",
        "| 2 | `test unique_a` | 2.25 |  |  |",
        "| 3 | `model int_b` | 1.00 |  |  |",
    ]
