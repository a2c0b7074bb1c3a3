"""End to end: `airflow dags test` of the monthly delivery DAG, in a temporary Airflow home
(SQLite metadata database), on a small generated delivery and a temporary DuckDB file.

A good month builds the same marts as `lending-build` on the same data, publishes the docs
site and records run metrics that match dbt's run_results.json and the marts. A broken
delivery fails at check_structure after its retries, fires the failure alert (a log line,
and SNS when a topic is set: moto's SNS here), leaves the marts as they were, and still
records BuildSucceeded = 0. A delivery with too many rejected rows fails at the task of
the data-quality mart's tests. `make dag-test` runs this file alone.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import boto3
import duckdb
import pytest

from conftest import (
    DAG_ID,
    DELIVERED_MONTH,
    PROJECT_BIN,
    RUN_DATE,
    Airflow,
    airflow_home,
    aws_settings,
    mart_fingerprints,
    metric_lines,
    public_marts,
    quiet_env,
    run,
)

BROKEN_FILE = "transactions/year=2024/month=08/part-0.parquet"
PRODUCER = "dbt_build.dbt_producer_watcher"
TOPIC = "lending-pipeline-alerts"


def dags_test(airflow: Airflow) -> tuple[object, float]:
    started = time.monotonic()
    result = airflow("dags", "test", DAG_ID, RUN_DATE)
    seconds = time.monotonic() - started
    print(f"\n`airflow dags test` wall time: {seconds:.0f} s")
    return result, seconds


@pytest.fixture(scope="module")
def good_run(
    tmp_path_factory: pytest.TempPathFactory, migrated_db: Path, manifest: Path, dataset: Path
) -> dict:
    root = tmp_path_factory.mktemp("good-run")
    airflow = airflow_home(root, migrated_db, manifest, dataset)
    result, seconds = dags_test(airflow)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    return {
        "airflow": airflow,
        "result": result,
        "seconds": seconds,
        "states": airflow.task_states(),
        "fingerprints": mart_fingerprints(airflow.warehouse, public_marts(manifest)),
    }


@pytest.mark.slow
def test_a_month_runs_every_task_successfully(good_run: dict) -> None:
    states = good_run["states"]
    assert len(states) > 60  # the steps and the dbt graph
    assert {state for state, _ in states.values()} == {"success"}
    (dag_run,) = good_run["airflow"].dag_runs()
    assert dag_run["state"] == "success"
    # The run dated 1 September processes the August delivery: its data interval.
    assert dag_run["data_interval_start"].startswith(f"{DELIVERED_MONTH}-01 00:00:00")
    assert dag_run["data_interval_end"].startswith(f"{RUN_DATE} 00:00:00")


@pytest.mark.slow
def test_its_marts_equal_those_of_lending_build(
    good_run: dict, dataset: Path, manifest: Path, tmp_path: Path
) -> None:
    env = quiet_env(
        BANK_RAW_DATA_PATH=str(dataset),
        DBT_DUCKDB_PATH=str(tmp_path / "built.duckdb"),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
    )
    built = run(str(PROJECT_BIN / "lending-build"), "--exclude-resource-type", "unit_test", env=env)
    assert built.returncode == 0, built.stdout[-5000:]
    expected = mart_fingerprints(tmp_path / "built.duckdb", public_marts(manifest))
    assert good_run["fingerprints"] == expected
    assert {"fct_transactions", "fct_country_monthly", "fct_country_risk_monthly"} <= set(expected)


@pytest.mark.slow
def test_its_run_metrics_match_run_results_and_the_marts(good_run: dict, manifest: Path) -> None:
    airflow = good_run["airflow"]
    (run_dir,) = airflow.run_dirs()
    results = json.loads((run_dir / "run_results.json").read_text())
    lines = metric_lines(airflow.artifacts / "run_metrics.jsonl")
    assert {line["invocation_id"] for line in lines} == {results["metadata"]["invocation_id"]}
    assert {line["dimensions"]["Environment"] for line in lines} == {"dev"}
    value = {
        (line["name"], *(v for k, v in line["dimensions"].items() if k != "Environment")): line[
            "value"
        ]
        for line in lines
    }

    statuses = [(r["unique_id"].split(".")[0], r["status"]) for r in results["results"]]
    assert value["BuildSucceeded",] == 1
    assert value["BuildDurationSeconds",] == pytest.approx(results["elapsed_time"])
    nodes = json.loads(manifest.read_text())["nodes"].values()
    models = [n for n in nodes if n["resource_type"] == "model"]
    data_tests = [n for n in nodes if n["resource_type"] == "test"]
    assert value["ModelsBuilt",] == statuses.count(("model", "success")) == len(models)
    assert value["TestsPassed",] == statuses.count(("test", "pass")) == len(data_tests)
    assert value["TestsWarned",] == 0
    assert value["TestsFailed",] == 0
    # Freshness ran: the sample data ends in 2024, so its monthly sources are stale.
    sources = json.loads((run_dir / "sources.json").read_text())["results"]
    assert value["StaleSourceCount",] == sum(r["status"] == "error" for r in sources) > 0

    with duckdb.connect(str(airflow.warehouse), read_only=True) as con:
        shares = dict(
            con.execute(
                "select source_name, max(rejected_share) from fct_data_quality_monthly group by 1"
            ).fetchall()
        )
        rows = {
            mart: con.execute(f"select count(*) from {relation}").fetchone()[0]
            for mart, relation in public_marts(manifest).items()
        }
    assert {k[1]: v for k, v in value.items() if k[0] == "RejectedShare"} == shares
    assert {k[1]: v for k, v in value.items() if k[0] == "MartRows"} == rows


@pytest.mark.slow
def test_it_publishes_the_docs_site(good_run: dict) -> None:
    docs = good_run["airflow"].artifacts / "docs"
    assert {p.name for p in docs.iterdir()} >= {"index.html", "static_index.html", "catalog.json"}
    catalog = json.loads((docs / "catalog.json").read_text())
    assert "model.lending_research.fct_country_monthly" in catalog["nodes"]


@pytest.fixture(scope="module")
def broken_run(good_run: dict, tmp_path_factory: pytest.TempPathFactory, aws_endpoint: str) -> dict:
    """The August file re-delivered truncated, into the good run's warehouse, with an SNS
    topic (moto) for the alerts and an SQS queue subscribed to read them back."""
    lake = tmp_path_factory.mktemp("broken-delivery") / "raw"
    shutil.copytree(good_run["airflow"].env["BANK_RAW_DATA_PATH"], lake)
    path = lake / BROKEN_FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    aws = aws_settings(aws_endpoint)
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    sns = session.client("sns", endpoint_url=aws_endpoint)
    sqs = session.client("sqs", endpoint_url=aws_endpoint)
    topic = sns.create_topic(Name=TOPIC)["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])

    good = good_run["airflow"]
    airflow = Airflow(
        home=good.home,
        env=dict(good.env, BANK_RAW_DATA_PATH=str(lake), LENDING_ALERT_SNS_TOPIC_ARN=topic, **aws),
    )
    result, _ = dags_test(airflow)
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    return {
        "airflow": airflow,
        "result": result,
        "states": airflow.task_states(),
        "alerts": [json.loads(m["Body"]) for m in received.get("Messages", [])],
    }


@pytest.mark.slow
def test_a_broken_delivery_fails_at_check_structure_after_its_retries(broken_run: dict) -> None:
    states = broken_run["states"]
    assert broken_run["result"].returncode != 0
    assert states["wait_for_delivery"] == ("success", 1)
    assert states["check_structure"] == ("failed", 3)  # two retries, then the alert
    downstream = {task: state for task, (state, _) in states.items() if task.startswith("dbt_")}
    assert set(downstream.values()) == {"upstream_failed"}
    assert states["source_freshness"][0] == "upstream_failed"
    assert states["publish_docs"][0] == "upstream_failed"
    assert states["publish_metrics"][0] == "success"


@pytest.mark.slow
def test_the_failure_alert_fires_once_as_a_log_line_and_on_sns(broken_run: dict) -> None:
    output = broken_run["result"].stdout + broken_run["result"].stderr
    subject = f"{DAG_ID}: check_structure failed for the {DELIVERED_MONTH} delivery"
    assert output.count(f"ALERT {subject}") == 1
    assert "cannot be read as Parquet" in output
    (alert,) = broken_run["alerts"]
    assert alert["Subject"] == subject
    assert "try 3" in alert["Message"]
    assert BROKEN_FILE in alert["Message"]


@pytest.mark.slow
def test_a_broken_delivery_leaves_the_marts_and_records_a_failed_build(
    good_run: dict, broken_run: dict, manifest: Path
) -> None:
    airflow = broken_run["airflow"]
    marts = mart_fingerprints(airflow.warehouse, public_marts(manifest))
    assert marts == good_run["fingerprints"]
    latest = [
        line
        for line in metric_lines(airflow.artifacts / "run_metrics.jsonl")
        if line["invocation_id"] is None
    ]
    assert [(line["name"], line["value"]) for line in latest] == [("BuildSucceeded", 0.0)]


@pytest.fixture(scope="module")
def rejected_run(
    tmp_path_factory: pytest.TempPathFactory, migrated_db: Path, manifest: Path
) -> dict:
    """A delivery with 2% defective rows: more than the 1% a month may have rejected."""
    root = tmp_path_factory.mktemp("rejected-run")
    made = run(
        str(PROJECT_BIN / "lending-generate"), "--quiet", "--seed", "5", "--transactions", "6000",
        "--defect-rate", "0.02", "--output", str(root / "raw"), env=quiet_env(),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    airflow = airflow_home(root, migrated_db, manifest, root / "raw")
    result, _ = dags_test(airflow)
    return {"airflow": airflow, "result": result, "states": airflow.task_states()}


@pytest.mark.slow
def test_rejections_over_the_threshold_fail_at_the_data_quality_mart_tests(
    rejected_run: dict,
) -> None:
    states = rejected_run["states"]
    assert rejected_run["result"].returncode != 0
    failed = {task for task, (state, _) in states.items() if state == "failed"}
    # The one `dbt build` failed, and the task of the mart whose test failed says so.
    assert failed == {PRODUCER, "dbt_build.fct_data_quality_monthly.test"}
    assert states["dbt_build.fct_data_quality_monthly.run"][0] == "success"
    assert states["dbt_build.fct_transactions.test"][0] == "success"
    assert states["publish_docs"][0] == "upstream_failed"
    assert states["publish_metrics"][0] == "success"
    output = rejected_run["result"].stdout + rejected_run["result"].stderr
    subject = f"{DAG_ID}: dbt_build.fct_data_quality_monthly.test failed for the"
    assert f"ALERT {subject} {DELIVERED_MONTH} delivery" in output


@pytest.mark.slow
def test_a_failed_build_records_its_failure_and_the_shares_over_the_threshold(
    rejected_run: dict,
) -> None:
    airflow = rejected_run["airflow"]
    recorded = {
        (line["name"], line["dimensions"].get("Source")): line["value"]
        for line in metric_lines(airflow.artifacts / "run_metrics.jsonl")
    }
    assert recorded["BuildSucceeded", None] == 0
    assert recorded["TestsFailed", None] >= 1
    with duckdb.connect(str(airflow.warehouse), read_only=True) as con:
        worst = con.execute(
            # A failed build publishes nothing: its data-quality mart is in the audit schema.
            "select max(rejected_share) from main_audit.fct_data_quality_monthly "
            "where source_name = 'demographics'"
        ).fetchone()[0]
    assert recorded["RejectedShare", "demographics"] == worst > 0.01
