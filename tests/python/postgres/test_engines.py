"""The whole project on PostgreSQL, the engine closest to Redshift that runs here: seeds,
every model (the incremental ones through their real is_incremental() path), every data
test and unit test, and the publication; then every published mart equals DuckDB's built
from the same files, after a full build and after a month appended incrementally to both
(the pseudonyms too: one key, the same HMAC on both engines). The server logs every
statement meanwhile, and no log line holds the key.

Counts and money must be exact; rates and ratios equal to 1e-9. A difference names the
mart, the row's key and the column.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

from conftest import BOOKKEEPING_COLUMNS, ProjectCopy, command, project_copy, run_generator
from lending import pseudonyms
from lending.postgres import cli, loader, server

PG_SCHEMA = "analytics"  # the pg target's schema (profiles.yml)
RELATIVE = 1e-9


@pytest.fixture(scope="module")
def postgres() -> Iterator[server.Server]:
    """A throwaway PostgreSQL server for this module, stopped and removed afterwards, that
    logs every statement and connection (the key must reach neither)."""
    with server.throwaway() as started:
        connection = connect(started)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("alter system set log_statement = 'all'")
            cursor.execute("alter system set log_connections = on")
            cursor.execute("select pg_reload_conf()")
        connection.close()
        yield started


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, dbt_env: dict[str, str], postgres: server.Server
) -> dict:
    """One project copy built on both engines from the same files, twice: a full build,
    then a month appended and built incrementally."""
    root = tmp_path_factory.mktemp("engines")
    raw = root / "raw"
    generated = run_generator("--transactions", "3000", "--seed", "11", "--output", str(raw))
    assert generated.returncode == 0, generated.stderr
    # One key for both: the same identifier gets the same pseudonym on every engine.
    key = {pseudonyms.KEY_VARIABLE: secrets.token_hex(32)}
    duck = project_copy(root, raw, dbt_env | key)
    pg = ProjectCopy(
        project=duck.project,
        database=duck.database,
        env=dict(duck.env, **postgres.libpq_env(), DBT_TARGET_PATH=str(root / "pg-target"),
                 DBT_LOG_PATH=str(root / "pg-logs")),
    )  # fmt: skip
    steps: dict[str, dict] = {}
    for step in ("full build", "a month appended"):
        if step == "a month appended":
            appended = run_generator("--append-month", "2024-09", "--output", str(raw))
            assert appended.returncode == 0, appended.stderr
        built_duck = duck.build()
        assert built_duck.returncode == 0, f"DuckDB, {step}: {built_duck.stdout[-4000:]}"
        built_pg = pg.run(command("lending-pg"), "build")
        assert built_pg.returncode == 0, f"PostgreSQL, {step}: {built_pg.stdout[-6000:]}"
        steps[step] = {
            "duckdb": duck_marts(duck.database),
            "postgres": pg_marts(postgres),
            "pg_output": built_pg.stdout,
            "pg_results": json.loads((root / "pg-target" / "run_results.json").read_text()),
        }
    steps["keys"] = mart_keys(duck.manifest())
    steps["pseudonymisation_key"] = key[pseudonyms.KEY_VARIABLE]
    steps["server_log"] = (postgres.folder / "server.log").read_text()
    return steps


def duck_marts(database: Path) -> dict[str, list[dict]]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute(
            "select table_name, table_schema from information_schema.tables "
            "where table_schema in ('main', 'main_quarantine') "
            "and table_type in ('BASE TABLE', 'VIEW')"
        ).fetchall()
        return {
            name: _rows(con.execute(f"select * from {schema}.{name}")) for name, schema in names
        }


def connect(postgres: server.Server) -> psycopg2.extensions.connection:
    env = postgres.libpq_env()
    return psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env["PGPASSWORD"],
        dbname=env["PGDATABASE"],
    )


def pg_marts(postgres: server.Server) -> dict[str, list[dict]]:
    with connect(postgres) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select table_name, table_schema from information_schema.tables "
            "where table_schema in %s and table_type in ('BASE TABLE', 'VIEW')",
            [(PG_SCHEMA, f"{PG_SCHEMA}_quarantine")],
        )
        marts = {}
        for name, schema in cursor.fetchall():
            cursor.execute(f"select * from {schema}.{name}")
            marts[name] = _rows(cursor)
        return marts


def _rows(cursor: object) -> list[dict]:
    columns = [d[0] for d in cursor.description]  # type: ignore[attr-defined]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]  # type: ignore[attr-defined]


def mart_keys(manifest: dict) -> dict[str, list[str]]:
    """Each published mart's primary key, from its key test in the manifest."""
    keys: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        metadata = node["test_metadata"]
        model = node["attached_node"].split(".")[-1] if node.get("attached_node") else None
        if metadata["name"] == "primary_key":
            keys.setdefault(model, metadata["kwargs"]["columns"])
        elif metadata["name"] == "unique":
            keys.setdefault(model, [metadata["kwargs"]["column_name"]])
    return keys


def equal(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        left, right = float(left), float(right)  # type: ignore[arg-type]
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=RELATIVE, abs_tol=RELATIVE)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return Decimal(str(left)) == Decimal(str(right))
    return left == right


def differences(duck: dict, pg: dict, keys: dict[str, list[str]]) -> list[str]:
    found = []
    for mart in sorted(set(duck) | set(pg)):
        if mart not in duck or mart not in pg:
            found.append(f"{mart}: published on one engine only")
            continue
        key = keys[mart]
        by_key = [
            {tuple(row[k] for k in key): row for row in rows} for rows in (duck[mart], pg[mart])
        ]
        for missing in sorted(set(by_key[0]) ^ set(by_key[1]), key=str)[:5]:
            found.append(f"{mart} {dict(zip(key, missing, strict=True))}: on one engine only")
        for row_key in sorted(set(by_key[0]) & set(by_key[1]), key=str):
            left, right = by_key[0][row_key], by_key[1][row_key]
            for column in left:
                if column in BOOKKEEPING_COLUMNS:
                    continue  # when the row was built: each engine built it at its own time
                if not equal(left[column], right.get(column)):
                    found.append(
                        f"{mart} {dict(zip(key, row_key, strict=True))} {column}: "
                        f"DuckDB {left[column]!r}, PostgreSQL {right.get(column)!r}"
                    )
    return found


@pytest.mark.slow
@pytest.mark.parametrize("step", ["full build", "a month appended"])
def test_every_node_runs_and_passes_on_postgres(engines: dict, step: str) -> None:
    results = engines[step]["pg_results"]["results"]
    statuses = {r["status"] for r in results if not r["unique_id"].startswith("exposure.")}
    assert statuses <= {"success", "pass"}, [
        (r["unique_id"], r["status"]) for r in results if r["status"] not in {"success", "pass"}
    ]
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"seed", "model", "test", "unit_test", "operation"} <= kinds
    assert "marts to schema analytics and analytics_quarantine" in engines[step]["pg_output"] or (
        step == "a month appended" and "Published" in engines[step]["pg_output"]
    )


@pytest.mark.slow
def test_the_incremental_models_ran_incrementally_on_postgres(engines: dict) -> None:
    output = engines["a month appended"]["pg_output"]
    assert "Loaded transactions: 1 file(s) copied, 68 unchanged" in output


@pytest.mark.slow
@pytest.mark.parametrize("step", ["full build", "a month appended"])
def test_every_published_mart_is_the_same_on_both_engines(engines: dict, step: str) -> None:
    duck, pg = engines[step]["duckdb"], engines[step]["postgres"]
    assert set(duck) == set(pg)
    assert all(duck[mart] for mart in ("fct_transactions", "fct_country_monthly"))
    found = differences(duck, pg, engines["keys"])
    assert not found, "\n".join(found[:30])


@pytest.mark.slow
def test_the_key_reaches_no_statement_or_log_line_on_postgres(engines: dict) -> None:
    """The session gets the key's padded forms in its start-up packet (PGOPTIONS), which
    the server logs neither with the statements nor with the connections."""
    log = engines["server_log"]
    assert "connection authorized" in log
    # The statements that hashed were logged, by the name of the setting only.
    assert "current_setting('lending.pseudonym_outer')" in log
    key = engines["pseudonymisation_key"]
    for secret in (key, *(padded.hex() for padded in pseudonyms.padded_keys(key))):
        assert secret not in log


@pytest.mark.slow
def test_a_plain_dbt_build_on_postgres_stops_without_the_key(
    tmp_path: Path, dbt_env: dict[str, str], postgres: server.Server
) -> None:
    """Without `lending-pg build`, the session has no key: the first hook says what to do,
    before any model runs."""
    result = subprocess.run(
        [command("dbt"), "run", "--target", "pg", "--select", "dim_countries",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=dict(dbt_env, **postgres.libpq_env()), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "This PostgreSQL session has no pseudonymisation key" in result.stdout, result.stdout
    assert "1 of 1 START" not in result.stdout


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("short'; drop table x; --", "must be 256 bits or more drawn at random"),
        ("a" * 64, "must be 256 bits or more drawn at random"),  # 256 bits written, none random
        ("0123456789abcdef" * 3 + "0123456789abcde", "must be 256 bits or more"),  # 252 bits
        (pseudonyms.DEVELOPMENT_KEY, "is the development key, which protects nothing"),
    ],
    ids=["malformed", "repeated", "short", "development"],
)
def test_lending_pg_build_refuses_a_weak_key_before_touching_a_server(
    key: str, message: str
) -> None:
    # Port 1: nothing answers there, so a build that tried to load would fail otherwise.
    env = {"PGHOST": "127.0.0.1", "PGPORT": "1", pseudonyms.KEY_VARIABLE: key}
    result = subprocess.run(
        [command("lending-pg"), "build"], env=dict(os.environ, **env),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert message in result.stderr
    assert key not in result.stderr + result.stdout


def test_a_difference_names_the_mart_the_key_and_the_column() -> None:
    duck = {"fct_x": [{"id": 1, "rate": 0.5, "usd": Decimal("1.00")}]}
    pg = {"fct_x": [{"id": 1, "rate": 0.5 + 1e-6, "usd": Decimal("1.00")}]}
    assert differences(duck, pg, {"fct_x": ["id"]}) == [
        "fct_x {'id': 1} rate: DuckDB 0.5, PostgreSQL 0.500001"
    ]
    assert differences(duck, duck, {"fct_x": ["id"]}) == []
    pg["fct_x"][0]["rate"] = 0.5 + 1e-12  # within 1e-9
    assert differences(duck, pg, {"fct_x": ["id"]}) == []


def test_the_loader_refuses_a_broken_delivery(tmp_path: Path, default_dataset: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(default_dataset, raw)
    broken = raw / "transactions" / "year=2021" / "month=05" / "part-0.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(loader.LoadError, match="nothing was loaded") as error:
        loader.load(connection=None, root=raw, schema=PG_SCHEMA)
    assert str(broken) in str(error.value)


def test_a_local_build_without_a_key_gets_one_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lending-pg build, with LENDING_PSEUDONYMISATION_KEY unset: 256 random bits, made once,
    readable by this user only, the same for every later build of that warehouse."""
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(tmp_path / "data" / "lending_research.duckdb"))
    key = cli.local_key()
    path = tmp_path / "data" / "pg-pseudonymisation.key"
    assert len(bytes.fromhex(key)) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert cli.local_key() == key
