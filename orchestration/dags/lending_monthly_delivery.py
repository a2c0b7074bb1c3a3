"""Monthly delivery cycle of the lending research platform.

One run per calendar month (its data interval): wait for the month's delivery, check its
structure, check the sources' freshness, build and test the dbt project (one task per
model and per model's tests, rendered by Cosmos from dbt's manifest), then publish the
docs site and the run metrics. A backfill or a re-delivered month re-runs exactly that
interval: dbt's incremental models rebuild the partitions whose content changed.

    wait_for_delivery >> check_structure >> source_freshness >> dbt_build
    dbt_build >> check_history          (every data test, over the whole history)
    dbt_build >> publish_docs
    dbt_build >> publish_metrics        (also after a failed build: the alarms need it)

Targets (LENDING_DBT_TARGET): `dev`, DuckDB, which allows one writer: one `dbt build`
(Cosmos's watcher mode) and one running task at a time; `prod`, Redshift: the same
single build runs models in parallel on dbt's threads. orchestration/README.md has the
settings, the production setup and how to run it locally.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, CronDataIntervalTimetable, TriggerRule, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from monthly_delivery import steps
from monthly_delivery.alerts import alert_on_failure
from monthly_delivery.config import AWS_CONN_ID, DBT_PROFILE, load
from monthly_delivery.delivery import has_arrived, month_prefix


def watch_after_the_build(group: DbtTaskGroup) -> None:
    """Start the model and test tasks once the producer's `dbt build` has finished.

    Cosmos starts them alongside the producer, deferred, to show progress live. Here
    they follow it instead: a run then needs no triggerer and runs in order under
    `airflow dags test` too, and the graph reads producer -> models. Their rule, all
    done with one success (source_freshness being the other parent): they report
    dbt's verdict on every node when the build failed, and are upstream_failed when
    the run stopped before the build.
    """
    producer = next(t for t in group.roots if t.task_id.endswith(".dbt_producer_watcher"))
    for first in [t for t in group.roots if t is not producer]:
        producer >> first
        first.trigger_rule = TriggerRule.ALL_DONE_MIN_ONE_SUCCESS


settings = load()
if not settings.manifest.exists():
    raise FileNotFoundError(
        f"dbt manifest {settings.manifest} not found: run `make run` (or `.venv/bin/dbt parse`) "
        "first, or set LENDING_DBT_MANIFEST"
    )

DEFAULT_ARGS = {
    "owner": "lending-analytics-engineering",
    "retries": 2,
    "retry_delay": settings.retry_delay,
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(hours=1),
    "execution_timeout": timedelta(hours=1),
    "on_failure_callback": alert_on_failure,
}
# Deliveries land early in the month after the one they cover; give up after a week.
DELIVERY_POKE_INTERVAL = timedelta(minutes=30)
DELIVERY_TIMEOUT = timedelta(days=7)

with DAG(
    dag_id="lending_monthly_delivery",
    description="Monthly delivery: check, dbt build and test, docs, run metrics",
    doc_md=__doc__,
    # The data interval is the delivered month; the run starts when it has ended.
    schedule=CronDataIntervalTimetable("0 0 1 * *", timezone="UTC"),
    start_date=datetime(2019, 1, 1),
    catchup=False,
    # Every run builds the same relations (the whole project, incrementally): never two.
    max_active_runs=1,
    # DuckDB takes one writer: one running task at a time (deferred watchers hold none).
    max_active_tasks=1 if settings.on_duckdb else 16,
    default_args=DEFAULT_ARGS,
    tags=["lending", "dbt", settings.target],
) as dag:

    @task.sensor(
        poke_interval=DELIVERY_POKE_INTERVAL,
        timeout=DELIVERY_TIMEOUT,
        mode="reschedule",
        execution_timeout=timedelta(minutes=5),
    )
    def wait_for_delivery(data_interval_start: datetime | None = None) -> bool:
        """The month's transactions are listed in the lake's _manifest.json (written last)."""
        assert data_interval_start is not None
        print(f"Waiting for {settings.lake}/{month_prefix(data_interval_start)}")
        return has_arrived(settings.lake, data_interval_start, AWS_CONN_ID, settings.bucket_owner)

    @task(execution_timeout=timedelta(minutes=15))
    def check_structure(run_id: str | None = None) -> None:
        """Every raw file has the columns and types the sources declare (lending-check-raw)."""
        assert run_id is not None
        steps.start_run(settings, run_id)
        steps.check_structure(settings)

    @task(execution_timeout=timedelta(minutes=15))
    def source_freshness(run_id: str | None = None) -> list[str]:
        """`dbt source freshness`; stale sources are reported, not fatal."""
        assert run_id is not None
        return steps.source_freshness(settings, settings.run_dir(run_id))

    dbt_build = DbtTaskGroup(
        group_id="dbt_build",
        project_config=ProjectConfig(
            dbt_project_path=settings.project_dir,
            manifest_path=settings.manifest,
            install_dbt_deps=False,
            # Cosmos runs dbt in a temporary copy of the project: its own target there.
            env_vars=settings.dbt_env() | {"DBT_TARGET_PATH": "target", "DBT_LOG_PATH": "logs"},
        ),
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name=settings.target,
            profiles_yml_filepath=settings.project_dir / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.SUBPROCESS,  # dbt lives in the project's .venv
            dbt_executable_path=settings.command("dbt"),
            # The producer task runs the one `dbt build`. Cosmos never re-runs it (a retry
            # is skipped); the model and test tasks retry their own node instead.
            setup_operator_args={
                "retries": 0,
                # Unit tests check logic, not data: `make test` runs them, as dbt advises.
                "dbt_cmd_flags": ["--exclude-resource-type", "unit_test"],
                "callback": steps.keep_build_artifacts,
            },
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            emit_datasets=False,
        ),
        operator_args={"install_deps": False},
    )

    @task(trigger_rule=TriggerRule.ALL_SUCCESS, execution_timeout=timedelta(minutes=30))
    def check_history(run_id: str | None = None) -> None:
        """Every data test over every row, not only this run's (`make check-history`)."""
        assert run_id is not None
        steps.check_history(settings, settings.run_dir(run_id))

    @task(trigger_rule=TriggerRule.ALL_SUCCESS, execution_timeout=timedelta(minutes=20))
    def publish_docs(run_id: str | None = None) -> str:
        """`dbt docs generate` on the new build, published to LENDING_DOCS_URI."""
        assert run_id is not None
        return steps.publish_docs(settings, settings.run_dir(run_id))

    @task(trigger_rule=TriggerRule.ALL_DONE, execution_timeout=timedelta(minutes=15))
    def publish_metrics(run_id: str | None = None) -> None:
        """The run metrics, whether the build passed or failed (`lending-metrics`)."""
        assert run_id is not None
        steps.publish_metrics(settings, settings.run_dir(run_id))

    checked = wait_for_delivery() >> check_structure()
    freshness = source_freshness()
    checked >> freshness >> dbt_build
    watch_after_the_build(dbt_build)
    dbt_build >> [check_history(), publish_docs(), publish_metrics()]
