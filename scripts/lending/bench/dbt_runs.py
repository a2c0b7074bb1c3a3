"""dbt builds as the benchmark runs them, and where their time goes (run_results.json)."""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
from datetime import datetime
from pathlib import Path

from lending.bench.measure import Run, run_measured
from lending.settings import PROJECT_ROOT

DBT = str(Path(sys.executable).with_name("dbt"))
# Node kinds by the part of the build they are: the hooks (operations) are the
# raw-structure check before the models and the publication after the tests. Exposures
# are listed in run_results.json but run nothing.
GROUPS = {
    "model": "models",
    "seed": "models",
    "test": "tests",
    "unit_test": "tests",
    "operation": "hooks",
}
# dbt appends a hash to generic tests' ids; the name before it says what the test is.
TEST_HASH = re.compile(r"\.[0-9a-f]{10}$")


def dbt_env(raw: Path, work: Path) -> dict[str, str]:
    """Read `raw`, build into `work`: the project's own data, warehouse and target untouched."""
    env = dict(os.environ)
    env.update(
        DO_NOT_TRACK="1",
        DBT_PROJECT_DIR=str(PROJECT_ROOT),
        DBT_PROFILES_DIR=str(PROJECT_ROOT),
        BANK_RAW_DATA_PATH=str(raw),
        DBT_DUCKDB_PATH=str(work / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
    )
    return env


def dbt_build(raw: Path, work: Path, *args: str) -> Run:
    """`dbt build` (every model and test, unit tests included), timed and broken down."""
    env = dbt_env(raw, work)
    run = run_measured([DBT, "build", "--vars", "{max_rejected_share: 1}", *args], env=env)
    return breakdown(run, work / "target" / "run_results.json")


def breakdown(run: Run, run_results: Path) -> Run:
    """`run` with where its time went, from the build's run_results.json."""
    results = json.loads(run_results.read_text())
    run.detail = split(run.seconds, results)
    run.nodes = node_seconds(results)
    return run


def covered_seconds(intervals: list[tuple[float, float]]) -> float:
    """Wall time covered by possibly overlapping intervals."""
    covered, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if start > end:
            covered += stop - start
            end = stop
        elif stop > end:
            covered += stop - end
            end = stop
    return covered


def kind(result: dict) -> str:
    return result["unique_id"].split(".")[0]


def span(result: dict) -> tuple[float, float] | None:
    """When dbt started compiling the node and finished running it. Both phases count:
    a hook does its work while it is compiled, an incremental model queries the
    warehouse while its SQL is rendered."""
    stamps = [
        datetime.fromisoformat(timing[moment]).timestamp()
        for timing in result["timing"]
        for moment in ("started_at", "completed_at")
        if timing[moment]
    ]
    return (min(stamps), max(stamps)) if stamps else None


def split(seconds: float, results: dict) -> dict[str, float]:
    """A build's wall time as dbt's start-up (before the first node: imports, parsing)
    and the wall time covered by models, by tests and by hooks."""
    spans: dict[str, list[tuple[float, float]]] = {group: [] for group in GROUPS.values()}
    for result in results["results"]:
        interval = span(result)
        if kind(result) in GROUPS and interval:
            spans[GROUPS[kind(result)]].append(interval)
    covered = {group: covered_seconds(intervals) for group, intervals in spans.items()}
    return {"startup": seconds - results["elapsed_time"], **covered}


def node_name(unique_id: str) -> str:
    """`model int_x`, `test unique_fct_y_id`: the kind and name, without project or hash."""
    node_kind, _project, *name = unique_id.split(".")
    return f"{node_kind} {TEST_HASH.sub('', '.'.join(name))}"


def node_seconds(results: dict) -> dict[str, float]:
    """Seconds per node that ran (dbt's execution_time: compiling and running it)."""
    return {
        node_name(r["unique_id"]): r["execution_time"]
        for r in results["results"]
        if kind(r) in GROUPS
    }


def slowest_nodes(runs: list[Run], count: int = 10) -> list[tuple[str, float]]:
    """The `count` nodes with the most seconds, as medians over the runs."""
    names = {name for run in runs for name in run.nodes}
    medians = {
        name: statistics.median(run.nodes[name] for run in runs if name in run.nodes)
        for name in names
    }
    return sorted(medians.items(), key=lambda item: (-item[1], item[0]))[:count]
