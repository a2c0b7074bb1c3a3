"""Run metrics: every `lending-build` records them, they match dbt's run_results.json and
the marts for a passing, a failing and a stopped build, and `lending-metrics --cloudwatch`
publishes them to CloudWatch (moto's server on loopback), where they read back."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import duckdb
import pytest

from conftest import build_env, command, generated, run_build, run_command
from lending import settings
from lending.monitoring.metrics import METRIC_NAMES, NAMESPACE, SOURCES
from lending.monitoring.run_metrics import Datum

METRICS = command("lending-metrics")


def lines_of(target: Path) -> list[dict]:
    return [json.loads(line) for line in (target / "run_metrics.jsonl").read_text().splitlines()]


def by_key(lines: list[dict]) -> dict[tuple[str, ...], float]:
    """{('MartRows', 'fct_transactions'): 3000.0, ('BuildSucceeded',): 1.0, ...}"""
    return {
        (line["name"], *(v for k, v in line["dimensions"].items() if k != "Environment")): line[
            "value"
        ]
        for line in lines
    }


def expected_from(target: Path, database: Path) -> dict[tuple[str, ...], float]:
    """The metrics computed here, independently, from run_results.json and the marts."""
    results = json.loads((target / "run_results.json").read_text())
    outcomes = [(r["unique_id"].split(".")[0], r["status"]) for r in results["results"]]
    tests = [status for kind, status in outcomes if kind in {"test", "unit_test"}]
    expected: dict[tuple[str, ...], float] = {
        ("BuildSucceeded",): float(
            all(s in {"success", "pass", "warn", "no-op"} for _, s in outcomes)
        ),
        ("BuildDurationSeconds",): results["elapsed_time"],
        ("ModelsBuilt",): outcomes.count(("model", "success")),
        ("TestsPassed",): tests.count("pass"),
        ("TestsWarned",): tests.count("warn"),
        ("TestsFailed",): tests.count("fail") + tests.count("error"),
    }
    with duckdb.connect(str(database), read_only=True) as con:
        # The build's own data quality, published or not (a failed build's is in the audit
        # schema); MartRows only for the marts analysts can see.
        for source, share in con.execute(
            "select source_name, max(rejected_share) from main_audit.fct_data_quality_monthly "
            "group by 1"
        ).fetchall():
            expected["RejectedShare", source] = share
        published = set(con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall())  # fmt: skip
        relations = settings.model_relations(target / "manifest.json")
        for mart in settings.public_marts(target / "manifest.json"):
            schema_and_name = ".".join(relations[mart].replace('"', "").split(".")[1:])
            if (schema_and_name,) in published:
                expected["MartRows", mart] = con.execute(
                    f"select count(*) from {relations[mart]}"
                ).fetchone()[0]
    return expected


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> dict:
    """`lending-build` on a small clean dataset, in a folder of its own."""
    root = tmp_path_factory.mktemp("metrics-clean")
    raw = generated(root / "raw", "--transactions", "3000", "--seed", "11")
    env = build_env(dbt_env, raw, root)
    result = run_build("--exclude-resource-type", "unit_test", env=env)
    assert result.returncode == 0, result.stdout[-5000:]
    return {"root": root, "env": env, "target": root / "target", "result": result}


@pytest.mark.slow
def test_a_build_records_metrics_that_match_run_results_and_the_marts(clean_build: dict) -> None:
    target, database = clean_build["target"], clean_build["root"] / "warehouse.duckdb"
    lines = lines_of(target)
    assert f"Run metrics: {len(lines)} values appended to" in clean_build["result"].stdout
    results = json.loads((target / "run_results.json").read_text())
    assert {line["invocation_id"] for line in lines} == {results["metadata"]["invocation_id"]}
    assert {line["namespace"] for line in lines} == {NAMESPACE}
    assert {line["name"] for line in lines} == set(METRIC_NAMES) - {"StaleSourceCount"}
    assert {line["dimensions"]["Environment"] for line in lines} == {"dev"}
    recorded = by_key(lines)
    expected = expected_from(target, database)
    assert recorded == pytest.approx(expected)
    assert recorded["BuildSucceeded",] == 1
    assert recorded["MartRows", "fct_transactions"] == 3000
    assert {key[1] for key in recorded if key[0] == "RejectedShare"} == set(SOURCES)


@pytest.mark.slow
def test_a_failed_build_records_its_failure_and_the_rejected_shares(
    tmp_path: Path, dbt_env: dict[str, str]
) -> None:
    raw = generated(
        tmp_path / "raw", "--transactions", "6000", "--seed", "5", "--defect-rate", "0.02"
    )
    env = build_env(dbt_env, raw, tmp_path)
    result = run_build("--exclude-resource-type", "unit_test", env=env)
    assert result.returncode == 1  # rejections over the 1% threshold
    recorded = by_key(lines_of(tmp_path / "target"))
    expected = expected_from(tmp_path / "target", tmp_path / "warehouse.duckdb")
    assert recorded == pytest.approx(expected)
    assert recorded["BuildSucceeded",] == 0
    assert recorded["TestsFailed",] >= 1
    # Demographics: one defect among ten rows a year, over the threshold.
    assert recorded["RejectedShare", "demographics"] > 0.01


@pytest.mark.slow
def test_a_build_stopped_by_the_structure_check_records_only_its_failure(
    clean_build: dict, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(clean_build["root"] / "raw", raw)
    (raw / "transactions/year=2024/month=08/part-0.parquet").write_bytes(b"not parquet")
    env = dict(clean_build["env"], BANK_RAW_DATA_PATH=str(raw), DBT_TARGET_PATH=str(tmp_path))
    result = run_build(env=env)
    # dbt exits 2 when an on-run-start hook stops it: an error before any node ran.
    assert result.returncode == 2
    lines = lines_of(tmp_path)
    assert [(line["name"], line["value"], line["invocation_id"]) for line in lines] == [
        ("BuildSucceeded", 0.0, None)
    ]


@pytest.mark.slow
def test_reading_through_dbt_gives_the_same_metrics_as_reading_duckdb(
    clean_build: dict, tmp_path: Path
) -> None:
    """The production path (`--target prod` reads Redshift through dbt's connection),
    exercised here on the dev target."""
    target = clean_build["target"]
    env = dict(clean_build["env"], DBT_TARGET_PATH=str(tmp_path / "target"))
    options = ("--run-results", str(target / "run_results.json"))
    options += ("--manifest", str(target / "manifest.json"))
    for name, warehouse in (
        ("duckdb", ("--duckdb", str(clean_build["root"] / "warehouse.duckdb"))),
        ("dbt", ("--target", "dev")),
    ):
        result = metrics(*options, *warehouse, "--output", str(tmp_path / f"{name}.jsonl"), env=env)
        assert result.returncode == 0, result.stderr
    read = {
        name: by_key([json.loads(line) for line in (tmp_path / f"{name}.jsonl").open()])
        for name in ("duckdb", "dbt")
    }
    assert read["dbt"] == read["duckdb"]
    assert read["dbt"] == pytest.approx(
        expected_from(target, clean_build["root"] / "warehouse.duckdb")
    )


def metrics(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_command(METRICS, *args, env=env, timeout=300)


@pytest.mark.slow
def test_metrics_are_published_to_cloudwatch_and_read_back(
    clean_build: dict, s3_env: dict[str, str], tmp_path: Path
) -> None:
    endpoint = s3_env["AWS_ENDPOINT_URL_S3"]  # moto's server answers every service
    env = dict(clean_build["env"], **s3_env, AWS_ENDPOINT_URL_CLOUDWATCH=endpoint)
    target = clean_build["target"]
    result = metrics(
        "--run-results", str(target / "run_results.json"),
        "--manifest", str(target / "manifest.json"),
        "--duckdb", str(clean_build["root"] / "warehouse.duckdb"),
        "--environment", "prod", "--output", str(tmp_path / "m.jsonl"), "--cloudwatch",
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"and CloudWatch ({NAMESPACE})" in result.stdout
    written = [json.loads(line) for line in (tmp_path / "m.jsonl").open()]

    cloudwatch = boto3.client(
        "cloudwatch",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    published = {
        (m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
        for m in listed
    }
    assert published == {
        (line["name"], tuple(sorted(line["dimensions"].items()))) for line in written
    }
    now = datetime.now(UTC)
    for line in written:
        stats = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=line["name"],
            Dimensions=[{"Name": k, "Value": v} for k, v in line["dimensions"].items()],
            StartTime=now - timedelta(hours=1),
            EndTime=now + timedelta(hours=1),
            Period=3600,
            Statistics=["Maximum", "SampleCount"],
        )["Datapoints"]
        assert [(p["Maximum"], p["SampleCount"]) for p in stats] == [(line["value"], 1.0)]
        assert {p["Unit"] for p in stats} == {line["unit"]}


@pytest.mark.slow
def test_a_cloudwatch_that_cannot_be_reached_is_an_error(clean_build: dict, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = dict(
        clean_build["env"],
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_CLOUDWATCH=closed,
        AWS_MAX_ATTEMPTS="1",
    )
    result = metrics("--output", str(tmp_path / "m.jsonl"), "--cloudwatch", env=env)
    assert result.returncode == 1
    assert "lending-metrics: error: cannot publish to CloudWatch" in result.stderr


def test_a_metric_outside_the_contract_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not in metrics\.METRICS"):
        Datum("RowsBuilt", 1)
    with pytest.raises(ValueError, match=r"not in metrics\.METRICS"):
        Datum("MartRows", 1, {"Source": "transactions"})
