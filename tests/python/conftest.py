"""Shared fixtures: real datasets written by the real generator, once per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock
from playwright.sync_api import BrowserContext

from lending.checks.redshift import offline_env
from lending.generator.dataset import Options, generate
from lending.screenshots import chromium

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def command(name: str) -> str:
    """A console command installed in this virtual environment (dbt, lending-build, ...)."""
    return str(Path(sys.executable).with_name(name))


DBT = command("dbt")
DEFAULT_SEED = 20240831
SMALL_DATASET = 3_000


def run_command(
    *args: str | Path,
    env: dict[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """A command run as a user runs it (in the project, by default), its output captured
    and its exit status left to the test (`env`: the whole environment, else this one)."""
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_generator(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The CLI exactly as a user runs it."""
    return run_command(command("lending-generate"), *args, timeout=timeout)


def generated(output: Path, *options: str) -> Path:
    """A dataset the CLI writes to `output` with these options, for a test to build on."""
    made = run_generator(*options, "--output", str(output))
    assert made.returncode == 0, made.stderr
    return output


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
        ("loans", "{'year': 'integer'}"),
    ):
        con.execute(
            f"create view {name} as select * from read_parquet("
            f"'{default_dataset}/{name}/**/*.parquet', hive_partitioning = true, "
            f"hive_types = {partitions})"
        )
    return con


# Where a build reads and writes: a shell that exported them must not steer the tests.
PER_BUILD_VARIABLES = (
    "BANK_RAW_DATA_PATH",
    "DBT_DUCKDB_PATH",
    "DBT_TARGET_PATH",
    "DBT_LOG_PATH",
    "DBT_PROJECT_DIR",
)


@pytest.fixture(scope="session")
def dbt_env() -> dict[str, str]:
    """Environment for running dbt from the tests: no telemetry, the project's profiles,
    and none of the caller's own data, warehouse or target paths (each test sets its own)."""
    env = {k: v for k, v in os.environ.items() if k not in PER_BUILD_VARIABLES}
    env.update(DO_NOT_TRACK="1", DBT_PROFILES_DIR=str(PROJECT_ROOT))
    return env


def run_dbt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_command(DBT, *args, env=env, timeout=900)


def run_offline_dbt(*args: str, output: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """dbt for the prod target, offline (dummy Redshift settings: nothing to reach here),
    with `env` added and its target/ and logs/ under `output`."""
    return run_command(
        DBT, *args, "--target", "prod",
        "--target-path", output / "target", "--log-path", output / "logs",
        env=dict(offline_env(), DBT_PROFILES_DIR=str(PROJECT_ROOT), **env),
    )  # fmt: skip


def build_env(dbt_env: dict[str, str], raw: Path, root: Path) -> dict[str, str]:
    """Point a build at its own data, warehouse file and target folder.

    A separate target path keeps the project's own target/ (and its partial-parse state)
    untouched.
    """
    env = dict(dbt_env)
    env.update(
        BANK_RAW_DATA_PATH=str(raw),
        DBT_DUCKDB_PATH=str(root / "warehouse.duckdb"),
        DBT_TARGET_PATH=str(root / "target"),
        DBT_LOG_PATH=str(root / "logs"),
    )
    return env


def run_build(*dbt_args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`lending-build`, the way `make run` builds: lock, check, build, summary."""
    return run_command(command("lending-build"), *dbt_args, env=env, timeout=900)


# Columns that say when a row was built, not what it says: an incremental run and a full
# refresh of the same inputs differ there by design, and agree everywhere else.
BOOKKEEPING_COLUMNS = ("validated_at",)


# Where the marts are published: the target schema, and the quarantine's own schema.
MART_SCHEMAS = ("main", "main_quarantine")


def published_marts(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The published marts, each with its schema: every table and view in the mart schemas."""
    rows = con.execute(
        "select table_name, table_schema from information_schema.tables where table_catalog "
        "= current_database() and table_schema in ? and table_type in ('BASE TABLE', 'VIEW') "
        "order by 1",
        [list(MART_SCHEMAS)],
    ).fetchall()
    return dict(rows)


def _select_list(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, exclude: tuple[str, ...]
) -> str:
    """The mart's columns but `exclude`, in table order, for a select."""
    rows = con.execute(
        "select column_name from information_schema.columns where table_catalog = "
        "current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return ", ".join(f'"{name}"' for (name,) in rows if name not in exclude)


def mart_fingerprints(database: Path, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """A content hash of every published mart, independent of row order (`exclude`:
    columns left out)."""
    with duckdb.connect(str(database), read_only=True) as con:
        fingerprints = {}
        for mart, schema in published_marts(con).items():
            columns = _select_list(con, schema, mart, exclude)
            fingerprints[mart] = con.execute(
                f"select count(*) || ':' || coalesce(sum(hash(t)), 0) "
                f"from (select {columns} from {schema}.{mart}) as t"
            ).fetchone()[0]
        return fingerprints


def mart_differences(left: Path, right: Path, exclude: tuple[str, ...] = ()) -> dict[str, list]:
    """For each published mart whose rows differ between two warehouses, a few rows that
    are in one and not the other, tagged with the side they are on."""
    differences: dict[str, list] = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        con.execute("use l")
        for mart, schema in published_marts(con).items():
            columns = _select_list(con, schema, mart, exclude)
            rows = con.execute(
                f"(select 'left' as side, * from (select {columns} from l.{schema}.{mart} "
                f"except all select {columns} from r.{schema}.{mart}) limit 5) "
                f"union all (select 'right' as side, * from (select {columns} from "
                f"r.{schema}.{mart} except all select {columns} from l.{schema}.{mart}) limit 5)"
            ).fetchall()
            if rows:
                differences[mart] = rows
    return differences


@pytest.fixture(scope="session")
def small_build(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> dict:
    """A small clean dataset, generated and built the way `make run` does it.

    Few enough transactions that some country-months have none: the grid must stay dense.
    """
    root = tmp_path_factory.mktemp("small")
    generated(root / "raw", "--transactions", str(SMALL_DATASET), "--seed", "11")
    env = build_env(dbt_env, root / "raw", root)
    result = run_build(env=env)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    return {
        "root": root,
        "raw": root / "raw",
        "database": root / "warehouse.duckdb",
        "env": env,
        "result": result,
        "fingerprints": mart_fingerprints(root / "warehouse.duckdb"),
    }


# --- The analysts' tools: a built copy of the project ------------------------------------

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", PROJECT_ROOT / "test-artifacts"))
# What a copy of the project leaves behind: environments, caches, outputs of other runs.
NOT_PROJECT = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".venv-*",
    ".pg",
    "target",
    "logs",
    "data",
    "dbt_packages",
    "reports",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "*.duckdb*",
)


@dataclass(frozen=True)
class ProjectCopy:
    """A copy of the dbt project (its own target/, warehouse and data), to build and
    change freely: commands run in it exactly as a user runs them in the project."""

    project: Path
    database: Path
    env: dict[str, str]

    @property
    def target(self) -> Path:
        return self.project / "target"

    def manifest(self) -> dict:
        return json.loads((self.target / "manifest.json").read_text())

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return run_command(*args, env=self.env, cwd=self.project, timeout=timeout)

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(DBT, *args)

    def build(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`lending-build`, as `make build` runs it."""
        return self.run(command("lending-build"), *args)


def project_copy(root: Path, raw: Path, dbt_env: dict[str, str]) -> ProjectCopy:
    """A copy of the project in root/project whose sources read `raw`."""
    project = copy_project(root / "project")
    (project / "data").mkdir()
    env = dict(dbt_env)
    env.update(
        DBT_PROFILES_DIR=str(project),
        DBT_PROJECT_DIR=str(project),
        BANK_RAW_DATA_PATH=str(raw),
        DBT_DUCKDB_PATH=str(project / "data" / "lending_research.duckdb"),
    )
    return ProjectCopy(
        project=project, database=project / "data" / "lending_research.duckdb", env=env
    )


@pytest.fixture(scope="session")
def analyst_build(tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str]) -> ProjectCopy:
    """`make run && make docs` on a copy of the project and a small generated dataset.

    A copy, because the MetricFlow CLI reads `target/` of the project it runs in; the
    project's own target/, warehouse and partial-parse state stay untouched.
    """
    root = tmp_path_factory.mktemp("analyst")
    # A few defects of every kind, so the rejected-rows chart and the data-quality marts
    # have something to show; the threshold is raised so that the build completes (to 1:
    # a year of the loans' opening book may hold one loan, rejected whole when defective).
    raw = generated(root / "raw", "--transactions", "4000", "--seed", "7", "--defect-rate", "0.01")
    build = project_copy(root, raw, dbt_env)
    for command_args in (
        ("build", "--vars", "{max_rejected_share: 1}"),
        ("docs", "generate", "--static"),
    ):
        result = build.dbt(*command_args)
        assert result.returncode == 0, (
            f"dbt {' '.join(command_args)} failed:\n{result.stdout[-5000:]}"
        )
    # As `make docs` does: the data's as-of on the landing page.
    stamped = build.run(
        command("lending-stamp-docs"),
        "--database",
        str(build.database),
        "--target",
        str(build.target),
    )
    assert stamped.returncode == 0, stamped.stderr
    return build


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Debian's Chromium, driven by Playwright, with a fresh profile for this session."""
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def made_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """The folder `make` fills, once per test session, by whichever xdist worker asks first:
    the others wait for it. Tests share it to copy from (shared_copy), never to change."""
    base = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        base = base.parent  # the session's folder, above each worker's own
    folder, done = base / name, base / f"{name}.done"
    with FileLock(base / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            make(folder)
            done.touch()
    return folder


def built_in_place(folder: Path, dbt_env: dict[str, str], *generator_options: str) -> ProjectCopy:
    """A copy of the project in folder/project whose data (data/raw, generated with these
    options) and warehouse are where `make run` puts them, so that the environment names no
    path of this folder: a copy of the whole folder (shared_copy) then builds exactly like
    it, partial parsing included."""
    project = copy_project(folder / "project")
    generated(project / "data" / "raw", *generator_options)
    return _in_place(project, dbt_env)


def shared_copy(shared: Path, destination: Path, dbt_env: dict[str, str]) -> ProjectCopy:
    """A copy of a built_in_place project (its files, data, warehouse, target/ and
    logs/), to change freely."""
    shutil.copytree(shared, destination)
    return _in_place(destination / "project", dbt_env)


def _in_place(project: Path, dbt_env: dict[str, str]) -> ProjectCopy:
    env = dict(dbt_env, DBT_PROFILES_DIR=str(project))
    return ProjectCopy(
        project=project, database=project / "data" / "lending_research.duckdb", env=env
    )


def copy_project(destination: Path) -> Path:
    """A copy of the dbt project (sources, not build output) to change freely in a test."""
    shutil.copytree(PROJECT_ROOT, destination, ignore=NOT_PROJECT)
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
        BANK_LAKE_BUCKET_OWNER="123456789012",  # moto's account, which owns every bucket
    )
    return env
