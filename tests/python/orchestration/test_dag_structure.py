"""The DAG as Airflow's DAG processor sees it: it imports without errors and quickly,
every task retries and times out, and the dbt tasks are dbt's own graph."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import DAG_ID, DAGS_FOLDER, quiet_env

# Airflow's own limit: the DAG processor gives up on a file that takes longer to import.
DAGBAG_IMPORT_TIMEOUT = 30.0
PRODUCER = "dbt_build.dbt_producer_watcher"


def load_dagbag() -> Any:
    from airflow.dag_processing.dagbag import BundleDagBag

    # As the DAG processor loads it: the folder is a bundle, on sys.path for the helpers.
    return BundleDagBag(dag_folder=DAGS_FOLDER, bundle_path=DAGS_FOLDER, bundle_name="dags-folder")


@pytest.fixture
def dag_env(tmp_path: Path, manifest: Path) -> Iterator[dict[str, str]]:
    """This process's environment as a DAG processor's: settings from the environment."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(
        quiet_env(
            AIRFLOW_HOME=str(tmp_path / "airflow"),
            AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            LENDING_DBT_MANIFEST=str(manifest),
        )
    )
    try:
        yield os.environ  # type: ignore[misc]
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def dagbag(dag_env: dict[str, str]) -> Any:
    return load_dagbag()


@pytest.fixture
def dag(dagbag: Any) -> Any:
    return dagbag.dags[DAG_ID]


def test_the_dag_folder_imports_without_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == {DAG_ID}


def test_parsing_the_dag_file_is_fast(dagbag: Any) -> None:
    """The figure is printed (about 0.5-1.8 s here, most of it Cosmos reading the 1.3 MB
    manifest): a timing assertion would be flaky on a shared machine, so the bound checked
    is Airflow's dagbag_import_timeout, past which the DAG processor gives up on the file.
    No connection, query or dbt command runs at import: the manifest is read, not made."""
    (stat,) = dagbag.dagbag_stats
    seconds = stat.duration.total_seconds()
    print(f"\nDAG file parse: {seconds:.2f} s for {stat.task_num} tasks")
    assert seconds < DAGBAG_IMPORT_TIMEOUT


def test_the_schedule_is_one_run_per_delivered_month(dag: Any) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    # Data intervals from the first of one month to the first of the next.
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.expression == "0 0 1 * *"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.max_active_tasks == 1  # DuckDB: one writer


def test_every_task_retries_with_back_off_and_times_out(dag: Any) -> None:
    """The watcher's producer is the one exception: Cosmos skips a retried producer instead
    of running a second `dbt build`; the model and test tasks retry their own node."""
    for task in dag.tasks:
        assert task.execution_timeout is not None, task.task_id
        assert task.execution_timeout <= timedelta(hours=1), task.task_id
        if task.task_id == PRODUCER:
            assert task.retries == 0
            continue
        assert task.retries >= 1, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.on_failure_callback, task.task_id
    sensor = dag.get_task("wait_for_delivery")
    assert sensor.mode == "reschedule"
    assert sensor.timeout == timedelta(days=7).total_seconds()


def dbt_node(task_id: str) -> tuple[str, str] | None:
    """('fct_transactions', 'run') from dbt_build.fct_transactions.run, and
    ('int_loans_first_disbursed', 'run') from dbt_build.int_loans_first_disbursed_run: Cosmos
    gives a node without tests one task, not a group of its run and its tests."""
    parts = task_id.split(".")
    if parts[0] != "dbt_build" or len(parts) not in {2, 3}:
        return None
    if len(parts) == 3:
        return parts[1], parts[2]
    name, _, kind = parts[1].rpartition("_")
    return (name, kind) if kind in {"run", "seed"} else None


def test_every_model_and_seed_is_a_task_with_dbt_dependencies(dag: Any, manifest: Path) -> None:
    nodes = json.loads(manifest.read_text())["nodes"]
    built = {uid: node for uid, node in nodes.items() if node["resource_type"] in {"model", "seed"}}
    tasks = {dbt_node(t.task_id): t for t in dag.tasks if dbt_node(t.task_id)}
    kind = {"model": "run", "seed": "seed"}
    names = {uid: node["name"] for uid, node in built.items()}
    assert {(node["name"], kind[node["resource_type"]]) for node in built.values()} == {
        key for key in tasks if key[1] in {"run", "seed"}
    }
    for uid, node in built.items():
        task = tasks[node["name"], kind[node["resource_type"]]]
        parents = {
            dbt_node(upstream)[0]  # type: ignore[index]
            for upstream in task.upstream_task_ids
            if dbt_node(upstream) and upstream != PRODUCER
        }
        expected = {names[p] for p in node["depends_on"].get("nodes", []) if p in built}
        assert parents == expected, uid
        if not expected:  # dbt's roots follow the single `dbt build`
            assert PRODUCER in task.upstream_task_ids, uid


def test_each_model_with_tests_has_a_test_task_after_it(dag: Any, manifest: Path) -> None:
    nodes = json.loads(manifest.read_text())["nodes"].values()
    tested = {
        parent.split(".")[-1]
        for node in nodes
        if node["resource_type"] == "test" and len(node["depends_on"]["nodes"]) == 1
        for parent in node["depends_on"]["nodes"]
        if parent.startswith(("model.", "seed."))
    }
    for name in tested:
        test_task = dag.get_task(f"dbt_build.{name}.test")
        assert test_task.upstream_task_ids & {f"dbt_build.{name}.run", f"dbt_build.{name}.seed"}


def test_the_steps_run_in_order_and_metrics_follow_any_build(dag: Any) -> None:
    def upstream(task_id: str) -> set[str]:
        return dag.get_task(task_id).upstream_task_ids

    assert upstream("check_structure") == {"wait_for_delivery"}
    assert upstream("source_freshness") == {"check_structure"}
    assert upstream(PRODUCER) == {"source_freshness"}
    assert upstream("publish_docs") == upstream("publish_metrics") == upstream("check_history")
    assert dag.get_task("publish_docs").trigger_rule == "all_success"
    assert dag.get_task("check_history").trigger_rule == "all_success"
    assert dag.get_task("publish_metrics").trigger_rule == "all_done"


def test_the_production_target_renders_the_same_graph_in_parallel(
    dag_env: dict[str, str], dag: Any
) -> None:
    dag_env.update(
        LENDING_DBT_TARGET="prod",
        BANK_LAKE_S3_URI="s3://lake-bucket/raw",
        BANK_LAKE_BUCKET_OWNER="123456789012",
    )
    prod = load_dagbag().dags[DAG_ID]
    assert {t.task_id for t in prod.tasks} == {t.task_id for t in dag.tasks}
    assert prod.max_active_tasks > 1
    assert prod.max_active_runs == 1
    assert "prod" in prod.tags


@pytest.mark.parametrize("missing", ["BANK_LAKE_S3_URI", "BANK_LAKE_BUCKET_OWNER"])
def test_production_without_the_lake_or_its_owner_is_an_import_error(
    dag_env: dict[str, str], missing: str
) -> None:
    """No default bucket (it used to be s3://lending-research-lake/raw, a name anyone could
    register) and no request without the expected owner."""
    dag_env.update(
        LENDING_DBT_TARGET="prod",
        BANK_LAKE_S3_URI="s3://lake-bucket/raw",
        BANK_LAKE_BUCKET_OWNER="123456789012",
    )
    del dag_env[missing]
    errors = load_dagbag().import_errors
    assert len(errors) == 1
    (message,) = errors.values()
    assert f"{missing} is not set" in message


def test_a_missing_manifest_is_an_import_error_that_says_what_to_do(
    dag_env: dict[str, str], tmp_path: Path
) -> None:
    dag_env["LENDING_DBT_MANIFEST"] = str(tmp_path / "nowhere" / "manifest.json")
    errors = load_dagbag().import_errors
    assert len(errors) == 1
    (message,) = errors.values()
    assert "manifest.json not found: run `make run`" in message
