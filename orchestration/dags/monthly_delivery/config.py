"""Everything the DAG takes from its environment, read once when the file is parsed.

Parsing stays cheap: environment variables and the existence of the dbt manifest, no
connection and no query. Credentials are never read here: dbt takes the warehouse's from
the worker's environment (profiles.yml), and AWS calls use the Airflow connection
`aws_default` (or the worker's role).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

# orchestration/dags/monthly_delivery/config.py -> the repository, the dbt project's root.
REPOSITORY = Path(__file__).resolve().parents[3]
AWS_CONN_ID = "aws_default"
DBT_PROFILE = "lending_research"
LOCAL_TARGET = "dev"  # DuckDB: one writer at a time
# The run ids Airflow makes, <run type>__<logical date in ISO 8601>: scheduled__2024-09-01
# T00:00:00+00:00, manual__..., backfill__... A run triggered with an id of its own (the
# API and `airflow dags trigger --run-id` take any text) does not match.
AIRFLOW_RUN_ID = re.compile(r"[a-z_]{1,40}__[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.+-]{1,40}")


@dataclass(frozen=True)
class Settings:
    project_dir: Path  # the dbt project (profiles.yml, models, ...)
    project_bin: Path  # the project's virtual environment: dbt and the lending-* commands
    target: str  # dbt target: dev (DuckDB) or prod (Redshift)
    manifest: Path  # dbt's manifest, parsed by `dbt parse` before the DAG is deployed
    lake: str  # the raw deliveries: a local folder, or s3://bucket/prefix in production
    bucket_owner: str | None  # the account owning the S3 buckets: ExpectedBucketOwner
    duckdb_path: Path
    artifacts_dir: Path  # per-run dbt artifacts and the run metrics history
    docs_uri: str  # where the docs site is published: a folder, or s3://bucket/prefix
    environment: str  # the metrics' Environment dimension
    cloudwatch: bool  # publish the run metrics to CloudWatch
    sns_topic_arn: str | None  # failure alerts; unset: a log line only
    retry_delay: timedelta

    @property
    def on_duckdb(self) -> bool:
        return self.target == LOCAL_TARGET

    @property
    def metrics_file(self) -> Path:
        return self.artifacts_dir / "run_metrics.jsonl"

    def command(self, name: str) -> str:
        return str(self.project_bin / name)

    def run_dir(self, run_id: str) -> Path:
        """One folder per DAG run for the artifacts of its dbt commands, always a folder
        directly in runs/: the steps empty it, so a run id must never name another one
        (`..`, `../..`, a path, a symlink planted in runs/)."""
        runs = self.artifacts_dir / "runs"
        folder = runs / run_folder_name(run_id)
        if folder.resolve().parent != runs.resolve():
            raise ValueError(f"run {run_id!r}: its folder {folder} resolves outside {runs}")
        return folder

    def dbt_env(self) -> dict[str, str]:
        """What every dbt command of the DAG runs with, on top of the worker's environment."""
        env = {"DO_NOT_TRACK": "1", "DBT_PROFILES_DIR": str(self.project_dir)}
        if self.on_duckdb:
            env.update(
                BANK_RAW_DATA_PATH=self.lake,
                DBT_DUCKDB_PATH=str(self.duckdb_path),
                DBT_DUCKDB_TEMP_DIRECTORY=str(self.duckdb_path.parent / "duckdb_spill"),
            )
        else:
            env["BANK_LAKE_S3_URI"] = self.lake
        return env


def run_folder_name(run_id: str) -> str:
    """The run's folder name: Airflow's own run ids made readable (':' and '+' are awkward
    in paths), any other id a hash of it, which is never `..` nor holds a separator."""
    if AIRFLOW_RUN_ID.fullmatch(run_id):
        return run_id.replace(":", "-").replace("+", "_")
    return "run-" + hashlib.sha256(run_id.encode()).hexdigest()[:16]


def required(env: Mapping[str, str], name: str, what: str) -> str:
    """A setting production cannot run without: no default bucket, a name anyone could
    register in their own account."""
    value = env.get(name, "")
    if not value:
        raise ValueError(
            f"{name} is not set: set it to {what} (Terraform's dbt_environment output)"
        )
    return value


def load() -> Settings:
    env = os.environ
    project = Path(env.get("LENDING_PROJECT_DIR") or REPOSITORY)
    target = env.get("LENDING_DBT_TARGET") or LOCAL_TARGET
    artifacts = Path(env.get("LENDING_ARTIFACTS_DIR") or project / "target" / "airflow")
    lake = (
        str(Path(env.get("BANK_RAW_DATA_PATH") or project / "data" / "raw").absolute())
        if target == LOCAL_TARGET
        else required(env, "BANK_LAKE_S3_URI", "the lake, s3://bucket/prefix")
    )
    bucket_owner = (
        required(env, "BANK_LAKE_BUCKET_OWNER", "the id of the AWS account owning the lake")
        if target != LOCAL_TARGET
        else env.get("BANK_LAKE_BUCKET_OWNER") or None
    )
    environment = env.get("LENDING_ENVIRONMENT") or ("dev" if target == LOCAL_TARGET else "prod")
    return Settings(
        project_dir=project,
        project_bin=Path(env.get("LENDING_PROJECT_BIN") or project / ".venv" / "bin"),
        target=target,
        manifest=Path(env.get("LENDING_DBT_MANIFEST") or project / "target" / "manifest.json"),
        lake=lake,
        bucket_owner=bucket_owner,
        duckdb_path=Path(
            env.get("DBT_DUCKDB_PATH") or project / "data" / "lending_research.duckdb"
        ).absolute(),
        artifacts_dir=artifacts,
        docs_uri=env.get("LENDING_DOCS_URI") or str(artifacts / "docs"),
        environment=environment,
        cloudwatch=env.get("LENDING_METRICS_CLOUDWATCH", str(target != LOCAL_TARGET)).lower()
        in {"1", "true", "yes"},
        sns_topic_arn=env.get("LENDING_ALERT_SNS_TOPIC_ARN") or None,
        retry_delay=timedelta(seconds=float(env.get("LENDING_RETRY_DELAY_SECONDS") or 300)),
    )
