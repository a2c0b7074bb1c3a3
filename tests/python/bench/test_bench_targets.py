"""The targets evaluated on a report: met, not met, and not measured with why."""

from __future__ import annotations

import pytest

from lending.bench.targets import evaluate, load_targets, size_label

MIB_PER_GIB = 1024


def report(**changes: object) -> dict:
    """A report as lending-bench writes it, every target met: at 10M and 50M, `make run`
    measured, `make test` carried over from an earlier run."""
    ratios_10m = {
        "pandas+sqlite / full build": 3.5,
        "full build / floor": 12.0,
        "incremental / full build": 0.15,
        "generator rows per second": 3_200_000.0,
        "no change / no change at the smallest size": 1.1,
    }
    base = {
        "reference_size": 10_000_000,
        "large_size": 50_000_000,
        "rounds": 3,
        "results": [
            {"transactions": 10_000_000, "ratios": ratios_10m, "medians": {}},
            {
                "transactions": 50_000_000,
                "ratios": {
                    "incremental / incremental, shorter history": 1.1,
                    "incremental / full build": 0.12,
                },
                "medians": {"full build": {"seconds": 200.0, "peak_mib": 3.5 * MIB_PER_GIB}},
            },
        ],
        "make_run": {"seconds": 8.0, "runs": [8.0, 7.9, 8.3]},
        "make_test": {
            "seconds": 13 * 60.0,
            "measured_at": "2026-01-02T03:04:05+00:00",
            "commit": "abc1234",
            "note": "earlier run, 2026-01-02, commit abc1234",
        },
    }
    return {**base, **changes}


def rows_by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["target"]: row for row in rows}


def test_every_target_has_a_row_named_for_the_report_sizes() -> None:
    rows = evaluate(report())
    assert [row["target"] for row in rows] == [
        "full build at 10M: pandas+SQLite / our build",
        "full build at 10M: our build / the floor",
        "incremental month at 10M: incremental / full build",
        "incremental month at 50M: incremental / full build",
        "nothing new at 10M: no-change build / the same at the smallest size",
        "incremental month: 50M history / 10M history",
        "peak memory, full build at 50M",
        "generator at 10M",
        "`make run` at the default scale, installed",
        "`make test` from a fresh clone",
    ]
    assert all(row["met"] is True for row in rows)
    assert all(row["how"] and "{" not in row["how"] for row in rows)


def test_figures_are_shown_with_their_unit_and_the_target_in_words() -> None:
    rows = rows_by_name(evaluate(report()))
    memory = rows["peak memory, full build at 50M"]
    assert memory["measured"] == pytest.approx(3.5)
    assert memory["shown"] == {"measured": "3.50 GiB", "target": "under 4 GiB"}
    generator = rows["generator at 10M"]["shown"]
    assert generator == {"measured": "3,200,000 rows/s", "target": "at least 3,000,000 rows/s"}
    make_test = rows["`make test` from a fresh clone"]
    assert make_test["measured"] == pytest.approx(13.0)
    assert make_test["shown"]["measured"] == "13.0 min (earlier run, 2026-01-02, commit abc1234)"


SPEED = "full build at 10M: pandas+SQLite / our build"
FLOOR = "full build at 10M: our build / the floor"
MONTH = "incremental month at 10M: incremental / full build"
GENERATOR = "generator at 10M"
NOTHING_NEW = "nothing new at 10M: no-change build / the same at the smallest size"


@pytest.mark.parametrize(
    ("target", "ratio", "figure", "met"),
    [
        (SPEED, "pandas+sqlite / full build", 2.99, False),
        (SPEED, "pandas+sqlite / full build", 3.0, True),  # at least 3
        (FLOOR, "full build / floor", 15.01, False),
        (MONTH, "incremental / full build", 0.35, True),  # at most 0.35
        (MONTH, "incremental / full build", 0.36, False),
        (NOTHING_NEW, "no change / no change at the smallest size", 1.3, True),  # at most 1.3
        (NOTHING_NEW, "no change / no change at the smallest size", 1.31, False),
        (GENERATOR, "generator rows per second", 2_999_999.0, False),
    ],
)
def test_a_figure_past_its_threshold_is_not_met(
    target: str, ratio: str, figure: float, met: bool
) -> None:
    changed = report()
    changed["results"][0]["ratios"][ratio] = figure
    assert rows_by_name(evaluate(changed))[target]["met"] is met


def test_memory_at_the_threshold_is_not_under_it() -> None:
    changed = report()
    changed["results"][1]["medians"]["full build"]["peak_mib"] = 4 * MIB_PER_GIB
    assert rows_by_name(evaluate(changed))["peak memory, full build at 50M"]["met"] is False


def test_a_size_left_out_is_not_measured_and_says_so() -> None:
    only_10m = report()
    only_10m["results"] = only_10m["results"][:1]
    rows = rows_by_name(evaluate(only_10m))
    for name in ("incremental month: 50M history / 10M history", "peak memory, full build at 50M"):
        assert rows[name]["met"] is None
        assert rows[name]["measured"] is None
        assert rows[name]["shown"]["measured"] == "not measured (50M not in --sizes)"
    assert rows["generator at 10M"]["met"] is True


def test_a_figure_missing_at_a_measured_size_is_not_measured() -> None:
    changed = report()
    del changed["results"][0]["ratios"]["pandas+sqlite / full build"]
    row = rows_by_name(evaluate(changed))["full build at 10M: pandas+SQLite / our build"]
    assert (row["met"], row["note"]) == (None, "none at 10M")


def test_project_commands_not_run_give_their_reason() -> None:
    rows = rows_by_name(
        evaluate(
            report(
                make_run={"not_measured": "left out with --no-make-run"},
                make_test={"not_measured": "run `make bench BENCH_MAKE_TEST=1`"},
            )
        )
    )
    make_run = rows["`make run` at the default scale, installed"]
    assert (make_run["met"], make_run["note"]) == (None, "left out with --no-make-run")
    make_test = rows["`make test` from a fresh clone"]
    assert make_test["shown"]["measured"] == "not measured (run `make bench BENCH_MAKE_TEST=1`)"


def test_a_slow_make_run_is_not_met() -> None:
    rows = rows_by_name(evaluate(report(make_run={"seconds": 10.0, "runs": [10.0]})))
    assert rows["`make run` at the default scale, installed"]["met"] is False


def test_rounds_are_counted_in_words() -> None:
    assert rows_by_name(evaluate(report(rounds=1)))[SPEED]["how"].endswith(", 1 round")
    assert rows_by_name(evaluate(report()))[SPEED]["how"].endswith(", 3 rounds")


@pytest.mark.parametrize(
    ("transactions", "label"),
    [
        (5_000, "5K"),
        (50_000, "50K"),
        (1_000_000, "1M"),
        (1_500_000, "1.5M"),
        (10_000_000, "10M"),
        (12_345, "12345"),
        (999, "999"),
    ],
)
def test_size_label(transactions: int, label: str) -> None:
    assert size_label(transactions) == label


def test_a_target_file_entry_with_an_unknown_field_names_the_file_and_entry(tmp_path) -> None:
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[[target]]\nname = "x"\ncomparison = "<"\nthreshold = 1\nunit = ""\ndigits = 0\n'
        'how = ""\ncommand = "make_run"\nthreshhold = 2\n'
    )
    with pytest.raises(ValueError, match=r"targets\.toml: target 1 \(x\): .*threshhold"):
        load_targets(targets)


def test_a_target_file_entry_needs_a_size_or_a_command(tmp_path) -> None:
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[[target]]\nname = "x"\ncomparison = "<"\nthreshold = 1\nunit = ""\ndigits = 0\nhow = ""\n'
    )
    with pytest.raises(ValueError, match="give size or command"):
        load_targets(targets)
