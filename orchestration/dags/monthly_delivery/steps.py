"""The DAG's steps outside the dbt graph. Each runs one of the project's own commands
from its virtual environment (.venv) and keeps what dbt writes in the run's folder, so
the steps of one run read each other's artifacts and never another run's."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections import deque
from pathlib import Path
from typing import Any

from monthly_delivery.config import AWS_CONN_ID, Settings, load
from monthly_delivery.delivery import s3_client

log = logging.getLogger(__name__)
DOCS_FILES = ("index.html", "static_index.html", "manifest.json", "catalog.json")
# What the watcher's `dbt build` leaves for the steps after it.
BUILD_ARTIFACTS = ("run_results.json", "manifest.json")
SHOWN_LINES = 30


class StepFailed(Exception):
    """A step's command failed; the message carries the end of its output."""


def run(command: list[str], settings: Settings, **extra_env: str) -> tuple[int, str]:
    """Run a command in the project folder, its output line by line into the task log;
    returns the exit code and the last lines of output."""
    log.info("Running %s", " ".join(command))
    env = {**os.environ, **settings.dbt_env(), **extra_env}
    tail: deque[str] = deque(maxlen=SHOWN_LINES)
    with subprocess.Popen(
        command,
        cwd=settings.project_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log.info("%s", line.rstrip())
            tail.append(line)
    return process.returncode, "".join(tail)


def dbt_folders(run_dir: Path, name: str) -> dict[str, str]:
    """A target and log folder of the run's own for one dbt command."""
    return {"DBT_TARGET_PATH": str(run_dir / name), "DBT_LOG_PATH": str(run_dir / "logs")}


def start_run(settings: Settings, run_id: str) -> Path:
    """An empty folder for this run's artifacts (a cleared run starts afresh)."""
    run_dir = settings.run_dir(run_id)
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    return run_dir


def check_structure(settings: Settings) -> None:
    """`lending-check-raw` on the lake, a folder or the S3 prefix, before anything is
    built: on Redshift no other check reads the files' structure (dbt's on-run-start check
    is DuckDB's). On S3 it lists the prefix and reads each file's Parquet footer with the
    worker's AWS credentials, every request naming BANK_LAKE_BUCKET_OWNER."""
    code, tail = run([settings.command("lending-check-raw"), settings.lake], settings)
    if code != 0:
        raise StepFailed(f"the delivery in {settings.lake} is structurally broken:\n{tail}")


def source_freshness(settings: Settings, run_dir: Path) -> list[str]:
    """Run `dbt source freshness`; returns the stale sources. Staleness is reported (the
    StaleSourceCount metric, a warning here), not fatal: a backfill of a past month is
    stale by definition, and the delivery sensor already waited for the month. A source
    dbt could not check at all fails the step."""
    sources = run_dir / "sources.json"
    sources.unlink(missing_ok=True)
    command = [settings.command("dbt"), "source", "freshness", "--target", settings.target]
    _, tail = run([*command, "--output", str(sources)], settings, **dbt_folders(run_dir, "fresh"))
    if not sources.exists():
        raise StepFailed(f"dbt source freshness did not run:\n{tail}")
    results = json.loads(sources.read_text())["results"]
    # dbt leaves a source it could not query out of the results, or marks it an error.
    checked = {r["unique_id"] for r in results if r["status"] != "runtime error"}
    unchecked = sorted(sources_with_freshness(settings.manifest) - checked)
    if unchecked:
        raise StepFailed(f"dbt could not check the freshness of {unchecked}:\n{tail}")
    stale = [f"{r['unique_id']} ({r['status']})" for r in results if r["status"] != "pass"]
    if stale:
        log.warning("Stale sources, reported as StaleSourceCount: %s", ", ".join(stale))
    return stale


def sources_with_freshness(manifest: Path) -> set[str]:
    """The sources dbt's manifest gives a freshness check."""
    document = json.loads(manifest.read_text())
    return {
        unique_id
        for unique_id, source in document["sources"].items()
        if (source.get("freshness") or {}).get("error_after", {}).get("count")
    }


def keep_build_artifacts(project_dir: str, context: Any, **_: Any) -> None:
    """Cosmos callback after the watcher's `dbt build`, passed or failed: Cosmos runs dbt in
    a temporary copy of the project, so copy its artifacts to the run's folder."""
    run_dir = load().run_dir(context["run_id"])
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in BUILD_ARTIFACTS:
        artifact = Path(project_dir) / "target" / name
        if artifact.exists():
            shutil.copy2(artifact, run_dir / name)


def check_history(settings: Settings, run_dir: Path) -> None:
    """Every data test over the whole history (`make check-history`). The build's tests
    check the rows it wrote; this checks the rows earlier runs wrote too, once per
    delivery, after the build has published (a failure alerts; it does not hold back a
    month whose own rows passed)."""
    command = [
        settings.command("dbt"), "test", "--target", settings.target,
        "--exclude-resource-type", "unit_test", "--vars", "{check_history: true}",
    ]  # fmt: skip
    code, tail = run(command, settings, **dbt_folders(run_dir, "history"))
    if code != 0:
        raise StepFailed(f"the whole-history check failed:\n{tail}")


def publish_docs(settings: Settings, run_dir: Path) -> str:
    """Generate the docs site from the built warehouse and publish it to the docs URI."""
    docs = run_dir / "docs"
    command = [settings.command("dbt"), "docs", "generate", "--static", "--target", settings.target]
    code, tail = run(command, settings, **dbt_folders(run_dir, "docs"))
    if code != 0:
        raise StepFailed(f"dbt docs generate failed:\n{tail}")
    if settings.docs_uri.startswith("s3://"):
        upload_docs(docs, settings.docs_uri, settings.bucket_owner, s3_client(AWS_CONN_ID))
    else:
        destination = Path(settings.docs_uri)
        destination.mkdir(parents=True, exist_ok=True)
        for name in DOCS_FILES:
            shutil.copy2(docs / name, destination / name)
    log.info("Docs site published to %s", settings.docs_uri)
    return settings.docs_uri


def upload_docs(docs: Path, uri: str, bucket_owner: str | None, client: Any) -> None:
    """The docs site's files to s3://bucket/prefix, each request naming the bucket's
    expected owner (the project's account): never to a bucket of that name elsewhere."""
    if not bucket_owner:
        raise StepFailed(f"publishing to {uri} needs BANK_LAKE_BUCKET_OWNER, the account id")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    for name in DOCS_FILES:
        key = f"{prefix.strip('/')}/{name}".lstrip("/")
        client.upload_file(
            str(docs / name), bucket, key, ExtraArgs={"ExpectedBucketOwner": bucket_owner}
        )


def publish_metrics(settings: Settings, run_dir: Path) -> None:
    """`lending-metrics` on this run's artifacts: appended to the metrics file, and sent to
    CloudWatch in production. Runs whether the build passed or not."""
    command = [
        settings.command("lending-metrics"),
        "--run-results", str(run_dir / "run_results.json"),
        "--sources", str(run_dir / "sources.json"),
        "--manifest", str(settings.manifest),
        "--environment", settings.environment,
        "--output", str(settings.metrics_file),
    ]  # fmt: skip
    command += ["--duckdb", str(settings.duckdb_path)] if settings.on_duckdb else []
    command += [] if settings.on_duckdb else ["--target", settings.target]
    command += ["--cloudwatch"] if settings.cloudwatch else []
    env = dbt_folders(run_dir, "metrics") | {"DBT_PROJECT_DIR": str(settings.project_dir)}
    code, tail = run(command, settings, **env)
    if code != 0:
        raise StepFailed(f"lending-metrics failed:\n{tail}")
