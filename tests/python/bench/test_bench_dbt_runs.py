"""Where a build's time goes, read from a run_results.json the test writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lending.bench.dbt_runs import breakdown, covered_seconds, node_name, slowest_nodes
from lending.bench.measure import Run

PROJECT = "lending_research"


START = datetime(2026, 1, 1, 12, tzinfo=UTC)


def stamp(second: float) -> str:
    """An ISO time `second` seconds after the start, as dbt writes it."""
    return (START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def timing(name: str, start: float, stop: float) -> dict:
    return {"name": name, "started_at": stamp(start), "completed_at": stamp(stop)}


def result(unique_id: str, compile_: tuple[float, float], execute: tuple[float, float]) -> dict:
    return {
        "unique_id": unique_id,
        "status": "success",
        "execution_time": execute[1] - compile_[0],
        "timing": [timing("compile", *compile_), timing("execute", *execute)],
    }


def run_results(tmp_path: Path) -> Path:
    """A build of 20 s inside dbt: a hook that works while it compiles, two models on two
    threads overlapping, a generic test with its hash, a unit test, the publication hook
    and an exposure, which dbt lists but never runs."""
    results = [
        result(f"operation.{PROJECT}.{PROJECT}-on-run-start-0", (0, 2), (2, 2)),
        result(f"model.{PROJECT}.int_a", (2, 2.5), (2.5, 8)),
        result(f"model.{PROJECT}.int_b", (3, 3.5), (3.5, 10)),
        result(f"test.{PROJECT}.unique_fct_x_transaction_id.1a2b3c4d5e", (10, 10), (10, 13)),
        result(f"unit_test.{PROJECT}.int_a.rules_reject", (13, 13), (13, 14)),
        result(f"operation.{PROJECT}.{PROJECT}-on-run-end-0", (14, 19), (19, 19)),
        {
            "unique_id": f"exposure.{PROJECT}.dashboard",
            "status": "skipped",
            "execution_time": 0,
            "timing": [],
        },
    ]
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({"elapsed_time": 20.0, "results": results}))
    return path


def test_a_build_splits_into_startup_models_tests_and_hooks(tmp_path: Path) -> None:
    run = breakdown(Run(seconds=26.0, peak_mib=300.0), run_results(tmp_path))
    assert run.detail == pytest.approx(
        # Start-up: the process's seconds before dbt's own clock started. The two
        # models overlap: 2 to 10 s, 8 s of wall time, not 13.5.
        {"startup": 6.0, "models": 8.0, "tests": 4.0, "hooks": 7.0}
    )


def test_nodes_are_named_by_kind_and_name_without_project_or_hash(tmp_path: Path) -> None:
    run = breakdown(Run(seconds=26.0, peak_mib=300.0), run_results(tmp_path))
    assert run.nodes == pytest.approx(
        {
            f"operation {PROJECT}-on-run-start-0": 2.0,
            "model int_a": 6.0,
            "model int_b": 7.0,
            "test unique_fct_x_transaction_id": 3.0,
            "unit_test int_a.rules_reject": 1.0,
            f"operation {PROJECT}-on-run-end-0": 5.0,
        }
    )


@pytest.mark.parametrize(
    ("unique_id", "name"),
    [
        ("model.p.fct_transactions", "model fct_transactions"),
        ("test.p.not_null_fct_x_id.0123456789", "test not_null_fct_x_id"),
        ("test.p.assert_rows_add_up", "test assert_rows_add_up"),  # singular: no hash
        # Only dbt's ten-digit hash goes, not a name's last part that happens to be hex.
        ("unit_test.p.int_a.deadbeef", "unit_test int_a.deadbeef"),
        ("unit_test.p.int_a.case_one", "unit_test int_a.case_one"),
    ],
)
def test_node_name(unique_id: str, name: str) -> None:
    assert node_name(unique_id) == name


def test_the_slowest_nodes_are_medians_over_the_runs_slowest_first() -> None:
    runs = [
        Run(1, 1, nodes={"model a": 1.0, "model b": 5.0, "test c": 2.0}),
        Run(1, 1, nodes={"model a": 9.0, "model b": 4.0, "test c": 2.0}),
        Run(1, 1, nodes={"model a": 2.0, "model b": 6.0, "test c": 2.0, "test d": 0.5}),
    ]
    assert slowest_nodes(runs) == [
        ("model b", 5.0),
        ("model a", 2.0),
        ("test c", 2.0),
        ("test d", 0.5),
    ]
    assert slowest_nodes(runs, count=2) == [("model b", 5.0), ("model a", 2.0)]


@pytest.mark.parametrize(
    ("intervals", "seconds"),
    [
        ([], 0.0),
        ([(0, 1), (2, 3)], 2.0),  # apart
        ([(0, 4), (1, 2)], 4.0),  # one inside the other
        ([(3, 6), (0, 4)], 6.0),  # overlapping, out of order
        ([(0, 1), (1, 2)], 2.0),  # touching
    ],
)
def test_covered_seconds(intervals: list[tuple[float, float]], seconds: float) -> None:
    assert covered_seconds(intervals) == pytest.approx(seconds)
