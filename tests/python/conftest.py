"""Shared fixtures: real datasets written by the real generator, once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from bankdata.dataset import Options, generate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GENERATOR = PROJECT_ROOT / "scripts" / "generate_data.py"
DEFAULT_SEED = 20240831


def run_generator(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The CLI exactly as a user runs it."""
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        check=False,
    )


@pytest.fixture(scope="session")
def default_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset `make run` generates: default seed, 50,000 transactions."""
    output = tmp_path_factory.mktemp("default") / "raw"
    generate(output, Options(seed=DEFAULT_SEED, transactions=50_000))
    return output


@pytest.fixture(scope="session")
def raw(default_dataset: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB views over the default dataset's Parquet, as dbt's sources read it."""
    con = duckdb.connect()
    for name, partitions in (
        ("transactions", "{'year': 'integer', 'month': 'integer'}"),
        ("economic_indicators", "{'year': 'integer'}"),
        ("demographics", "{'year': 'integer'}"),
    ):
        con.execute(
            f"create view {name} as select * from read_parquet("
            f"'{default_dataset}/{name}/**/*.parquet', hive_partitioning = true, "
            f"hive_types = {partitions})"
        )
    return con


@pytest.fixture(scope="session")
def dbt_env() -> dict[str, str]:
    """Environment for running dbt from the tests: no telemetry, the project's profiles."""
    env = dict(os.environ)
    env.update(DO_NOT_TRACK="1", DBT_PROFILES_DIR=str(PROJECT_ROOT))
    return env


# What a copy of the project leaves behind: environments, build output and data.
_NOT_PROJECT = shutil.ignore_patterns(
    ".git", ".venv", "target", "logs", "data", "dbt_packages", "__pycache__", "*.duckdb*"
)


def copy_project(destination: Path) -> Path:
    """A copy of the dbt project (sources, not build output) to change freely in a test."""
    shutil.copytree(PROJECT_ROOT, destination, ignore=_NOT_PROJECT)
    return destination


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server (moto's server mode) on a free loopback port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str) -> dict[str, str]:
    """Environment that points boto3 (in this process and in subprocesses) at the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_S3=s3_endpoint,
    )
    return env
