"""lending-bench: its options, what it runs at each size, the results' shape, and one
real run at a tiny size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import command, run_command
from lending.bench.measure import Run
from lending.bench.run import Plan, parser, summarize
from lending.bench.targets import TARGETS

SYSTEMS = {
    "generator",
    "full build",
    "incremental",
    "no change",
    "floor",
    "pandas+sqlite",
    "pandas",
}


@pytest.mark.parametrize(
    ("text", "size"),
    [("50K", 50_000), ("1m", 1_000_000), ("1.5M", 1_500_000), ("10_000_000", 10_000_000)],
)
def test_sizes_are_read_as_written(text: str, size: int) -> None:
    assert parser().parse_args(["--sizes", text]).sizes == [size]


def test_the_defaults_are_issue_14s_sizes() -> None:
    args = parser().parse_args([])
    assert args.sizes == [50_000, 1_000_000, 10_000_000, 50_000_000]
    assert (args.rounds, args.large_rounds) == (3, 1)
    assert (args.reference_size, args.large_size) == (10_000_000, 50_000_000)
    assert args.make_run and not args.make_test


@pytest.mark.parametrize(
    "arguments",
    [
        ["--sizes", "ten"],
        ["--sizes", "0"],
        ["--sizes", "5K,"],
        ["--rounds", "0"],
        ["--large-rounds", "-1"],
        ["--reference-size", "1G"],
    ],
)
def test_a_bad_size_or_round_count_is_refused(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(arguments)
    assert "error: argument" in capsys.readouterr().err


def test_the_plan_by_size() -> None:
    """Alternatives up to the reference size, histories compared at the large one."""
    plan = Plan(
        [50_000, 10_000_000, 50_000_000],
        rounds=3,
        large_rounds=1,
        reference=10_000_000,
        large=50_000_000,
    )
    assert [plan.rounds_at(size) for size in plan.sizes] == [3, 3, 1]
    assert plan.computations_at(10_000_000) == ["floor", "pandas+sqlite", "pandas"]
    assert plan.computations_at(50_000_000) == ["floor"]
    assert [plan.shorter_history_at(size) for size in plan.sizes] == [False, False, True]


def build(seconds: float, nodes: dict[str, float]) -> Run:
    detail = {"startup": 5.0, "models": seconds - 8.0, "tests": 2.0, "hooks": 1.0}
    return Run(seconds=seconds, peak_mib=seconds * 10, detail=detail, nodes=nodes)


def test_a_size_is_summarized_as_medians_ratios_slowest_nodes_and_runs() -> None:
    runs = {
        "generator": [Run(2.0, 100.0), Run(4.0, 120.0), Run(3.0, 110.0)],
        "full build": [
            build(30.0, {"model a": 9.0}),
            build(50.0, {"model a": 11.0}),
            build(40.0, {"model a": 10.0}),
        ],
        "incremental": [build(10.0, {"model a": 1.0})] * 3,
        "no change": [build(8.0, {"model a": 0.1})] * 3,
        "floor": [Run(2.0, 90.0)] * 3,
        "pandas+sqlite": [Run(120.0, 900.0)] * 3,
        "pandas": [Run(20.0, 500.0)] * 3,
    }
    summary = summarize(3_000_000, runs, {"month_rows": 50_000})
    assert summary.keys() == {"medians", "ratios", "slowest_nodes", "runs"}
    assert summary["medians"]["full build"] == {
        "seconds": 40.0,
        "peak_mib": 500.0,  # the median time, the largest peak
        "startup": 5.0,
        "models": 32.0,
        "tests": 2.0,
        "hooks": 1.0,
    }
    assert summary["ratios"] == pytest.approx(
        {
            "full build / floor": 20.0,
            "pandas+sqlite / full build": 3.0,
            "pandas / full build": 0.5,
            "incremental / full build": 0.25,
            "no change / full build": 0.2,
            "generator rows per second": 1_000_000.0,
            "month rows per incremental second": 5_000.0,
        }
    )
    assert summary["slowest_nodes"] == {
        "full build": [("model a", 10.0)],
        "incremental": [("model a", 1.0)],
        "no change": [("model a", 0.1)],
    }
    assert summary["runs"]["generator"][1] == {"seconds": 4.0, "peak_mib": 120.0, "detail": {}}
    json.dumps(summary)  # results.json holds it as it is


@pytest.mark.slow
def test_a_tiny_run_writes_every_target_row(tmp_path: Path) -> None:
    """Two dbt builds of 5,000 transactions (about half a minute); no make run, no 50M."""
    output = tmp_path / "results.json"
    result = run_command(
        command("lending-bench"),
        "--sizes",
        "5K",
        "--reference-size",
        "5K",
        "--rounds",
        "1",
        "--no-make-run",
        "--output",
        output,
        "--work",
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(output.read_text())
    assert {"measured_at", "commit", "machine", "results", "make_run", "make_test"} <= set(report)

    (size,) = report["results"]
    assert (size["transactions"], size["rounds"]) == (5_000, 1)
    assert size["month_rows"] > 0
    assert size["medians"].keys() == SYSTEMS
    assert set(size["medians"]["full build"]) >= {"startup", "models", "tests", "hooks"}
    for build_kind in ("full build", "incremental", "no change"):
        nodes = size["slowest_nodes"][build_kind]
        assert len(nodes) == 10
        assert [seconds for _, seconds in nodes] == sorted((s for _, s in nodes), reverse=True)

    rows = {row["target"]: row for row in report["targets"]}
    assert len(rows) == len(TARGETS)
    measured = [name for name, row in rows.items() if row["met"] is not None]
    assert measured == [
        "full build at 5K: pandas+SQLite / our build",
        "full build at 5K: our build / the floor",
        "incremental month at 5K: incremental / full build",
        "nothing new at 5K: no-change build / the same at the smallest size",
        "generator at 5K",
    ]
    # One size: it is the smallest, and the ratio says so.
    assert size["ratios"]["no change / no change at the smallest size"] == 1.0
    assert rows["peak memory, full build at 50M"]["note"] == "50M not in --sizes"
    assert rows["`make run` at the default scale, installed"]["note"] == (
        "left out with --no-make-run"
    )
    assert "not measured" in rows["`make test` from a fresh clone"]["shown"]["measured"]
    assert "The targets (issues 14 and 24):" in result.stdout
    assert "The slowest nodes at 5K" in result.stdout
    # The scratch folder is a temporary one inside --work, removed at the end.
    assert sorted(path.name for path in tmp_path.iterdir()) == ["results.json"]
