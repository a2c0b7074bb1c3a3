"""Fixtures of the orchestration tests, run by .venv-airflow's python (`make
orchestration-test`): a dbt manifest and a small dataset made with the project's own
commands from .venv, an Airflow home with its SQLite metadata database, and `airflow`
commands run the way an operator runs them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PROJECT_BIN = PROJECT_ROOT / ".venv" / "bin"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
DAGS_FOLDER = PROJECT_ROOT / "orchestration" / "dags"
DAG_ID = "lending_monthly_delivery"
# The generated data ends in August 2024; a run dated 1 September covers August.
RUN_DATE = "2024-09-01"
DELIVERED_MONTH = "2024-08"
SEED = "11"
TRANSACTIONS = "3000"


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment every command here runs with: nothing phones home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "LENDING_"))}
    env.update(
        DO_NOT_TRACK="1",
        SCARF_NO_ANALYTICS="true",
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        DBT_PROFILES_DIR=str(PROJECT_ROOT),
        **extra,
    )
    return env


def run(*command: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(command),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dbt's manifest, parsed the way a deployment does before it ships the DAG."""
    target = tmp_path_factory.mktemp("manifest")
    env = quiet_env(DBT_TARGET_PATH=str(target), DBT_LOG_PATH=str(target / "logs"))
    parsed = run(str(PROJECT_BIN / "dbt"), "parse", "--quiet", env=env)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    return target / "manifest.json"


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small clean delivery, January 2019 to August 2024."""
    raw = tmp_path_factory.mktemp("delivery") / "raw"
    made = run(
        str(PROJECT_BIN / "lending-generate"), "--quiet", "--seed", SEED,
        "--transactions", TRANSACTIONS, "--output", str(raw), env=quiet_env(),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return raw


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated SQLite metadata database, copied into each test's Airflow home."""
    home = tmp_path_factory.mktemp("airflow-template")
    migrated = run(AIRFLOW, "db", "migrate", env=quiet_env(AIRFLOW_HOME=str(home)))
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    return home / "airflow.db"


@dataclass
class Airflow:
    """An Airflow home and the DAG's settings for one scenario."""

    home: Path
    env: dict[str, str]

    def __call__(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return run(AIRFLOW, *args, env=self.env, timeout=timeout)

    def metadata(self, sql: str, *params: str) -> list[sqlite3.Row]:
        """Rows of the metadata database (the CLI's listings leave out try numbers)."""
        with closing(sqlite3.connect(self.home / "airflow.db")) as con:
            con.row_factory = sqlite3.Row
            return con.execute(sql, params).fetchall()

    def dag_runs(self) -> list[sqlite3.Row]:
        return self.metadata(
            "select run_id, state, data_interval_start, data_interval_end from dag_run "
            "where dag_id = ? order by run_after",
            DAG_ID,
        )

    def task_states(self) -> dict[str, tuple[str, int]]:
        """{task_id: (state, try_number)} of the DAG's latest run."""
        latest = self.dag_runs()[-1]["run_id"]
        rows = self.metadata(
            "select task_id, state, try_number from task_instance where run_id = ?", latest
        )
        return {row["task_id"]: (row["state"], row["try_number"]) for row in rows}

    @property
    def artifacts(self) -> Path:
        return Path(self.env["LENDING_ARTIFACTS_DIR"])

    @property
    def warehouse(self) -> Path:
        return Path(self.env["DBT_DUCKDB_PATH"])

    def run_dirs(self) -> list[Path]:
        return sorted((self.artifacts / "runs").iterdir(), key=lambda p: p.stat().st_mtime)


def airflow_home(root: Path, migrated_db: Path, manifest: Path, lake: Path) -> Airflow:
    """A new Airflow home (a copy of the migrated database) with the DAG's settings: the
    given lake, a warehouse, artifacts and docs folder under root, one-second retry delays."""
    home = root / "airflow"
    home.mkdir(parents=True)
    shutil.copy2(migrated_db, home / "airflow.db")
    env = quiet_env(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        LENDING_DBT_MANIFEST=str(manifest),
        BANK_RAW_DATA_PATH=str(lake),
        DBT_DUCKDB_PATH=str(root / "warehouse.duckdb"),
        LENDING_ARTIFACTS_DIR=str(root / "artifacts"),
        LENDING_RETRY_DELAY_SECONDS="1",
        # Cosmos caches dbt's partial parse per DAG, in /tmp/cosmos unless told otherwise.
        AIRFLOW__COSMOS__CACHE_DIR=str(home / "cosmos"),
    )
    return Airflow(home=home, env=env)


def public_marts(manifest: Path) -> dict[str, str]:
    """Each public mart's published relation (schema.name), in name order."""
    document = json.loads(manifest.read_text())
    return dict(
        sorted(
            (node["name"], f"{node['schema']}.{node['alias']}")
            for node in document["nodes"].values()
            if node["resource_type"] == "model" and node.get("access") == "public"
        )
    )


# Bookkeeping, not the analysts' data: when the build that validated a row started.
BOOKKEEPING_COLUMNS = ("validated_at",)


def mart_fingerprints(database: Path, marts: dict[str, str]) -> dict[str, str]:
    """A content hash of every mart's columns but the bookkeeping ones (name => relation),
    independent of row order."""
    fingerprints = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for mart, relation in marts.items():
            schema, name = relation.split(".")
            columns = con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            select = ", ".join(f'"{c}"' for (c,) in columns if c not in BOOKKEEPING_COLUMNS)
            fingerprints[mart] = con.execute(
                f"select count(*) || ':' || coalesce(sum(hash(t)), 0) "
                f"from (select {select} from {relation}) as t"
            ).fetchone()[0]
    return fingerprints


def metric_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """moto's server mode on a free loopback port, from the project's .venv (its test
    dependency), standing in for S3 and SNS/SQS."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(PROJECT_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("moto_server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def aws_settings(endpoint: str) -> dict[str, str]:
    """The Airflow connection `aws_default` (and boto3's own settings) aimed at moto."""
    connection = {
        "conn_type": "aws",
        "extra": {"region_name": "us-east-1", "endpoint_url": endpoint},
    }
    return {
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
