"""Build the project on PostgreSQL, the engine closest to Redshift that runs here.

lending-pg up       start a local server in .pg/ and print its libpq variables
lending-pg down     stop it and remove .pg/
lending-pg load     load the raw Parquet into the server the libpq variables point at
lending-pg build    load, then `dbt build --target pg` (extra arguments go to dbt): on the
                    server the libpq variables point at when one answers there, else on
                    the one `up` started, else on a throwaway server it starts and stops;
                    pseudonymised with LENDING_PSEUDONYMISATION_KEY, else with a key of
                    this machine's own (data/pg-pseudonymisation.key, made on first use),
                    handed to dbt's sessions in PGOPTIONS (lending.pseudonyms)
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2

from lending import pseudonyms, settings
from lending.postgres import loader, server

LOCAL_SERVER = settings.PROJECT_ROOT / ".pg"
# The schema the pg target builds into (profiles.yml); the raw tables are in <it>_raw.
SCHEMA = "analytics"
DBT = str(Path(sys.executable).with_name("dbt"))


def connect(env: dict[str, str]) -> psycopg2.extensions.connection:
    return psycopg2.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD", ""),
        dbname=env["PGDATABASE"],
    )


def environment_server() -> dict[str, str] | None:
    """The libpq variables of the caller's environment, if a server answers there."""
    defaults = server.Server(folder=LOCAL_SERVER, port=5432, password="").libpq_env()
    env = {name: os.environ.get(name, value) for name, value in defaults.items()}
    explicit = any(name in os.environ for name in defaults)
    return env if explicit and server.answers(env) else None


@contextmanager
def a_server() -> Iterator[dict[str, str]]:
    """libpq variables of a server to build on, started (and stopped) if need be."""
    env = environment_server()
    if env is None:
        local = server.running(LOCAL_SERVER)
        env = local.libpq_env() if local else None
    if env is not None:
        yield env
        return
    print("No PostgreSQL server answers; starting a throwaway one.", flush=True)
    with server.throwaway() as started:
        yield started.libpq_env()


def load(env: dict[str, str], raw: Path) -> int:
    with connect(env) as connection:
        try:
            loaded = loader.load(connection, raw, SCHEMA)
        except loader.LoadError as error:
            print(f"lending-pg: {error}", file=sys.stderr)
            return 1
    for table, rows in loaded.rows.items():
        print(
            f"Loaded {table}: {loaded.copied.get(table, 0)} file(s) copied, "
            f"{loaded.unchanged.get(table, 0)} unchanged, {loaded.removed.get(table, 0)} "
            f"removed; {rows:,} rows in {loader.raw_schema(SCHEMA)}.{table}"
        )
    return 0


def local_key() -> str:
    """The pseudonymisation key of a local build when LENDING_PSEUDONYMISATION_KEY is not
    set: 256 random bits, made on first use in a file only this user reads, next to the
    DuckDB warehouse. The pg target, like every one but DuckDB, never builds with the
    public development key; the same file keeps a warehouse's pseudonyms stable from one
    build to the next."""
    path = settings.duckdb_path().parent / "pg-pseudonymisation.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
        print(f"Made a pseudonymisation key for local builds in {path}.", flush=True)
    return path.read_text().strip()


def build_key() -> str:
    """The key of a build: LENDING_PSEUDONYMISATION_KEY, else this machine's own; checked
    before any server is reached."""
    key = os.environ.get(pseudonyms.KEY_VARIABLE) or local_key()
    return pseudonyms.checked_key(key, engine="postgres")


def build(env: dict[str, str], raw: Path, dbt_args: list[str], key: str) -> int:
    if load(env, raw) != 0:
        return 1
    # A target folder of its own: switching profiles in one would defeat partial parsing.
    run_env = {"DBT_TARGET_PATH": str(settings.target_path() / "pg"), **os.environ, **env}
    run_env.pop(pseudonyms.KEY_VARIABLE, None)  # dbt needs only what the session is given
    run_env["PGOPTIONS"] = pseudonyms.postgres_options(key, run_env.get("PGOPTIONS", ""))
    result = subprocess.run([DBT, "build", "--target", "pg", *dbt_args], env=run_env, check=False)
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[settings.path_option("--raw-data", "the raw Parquet folder")],
    )
    parser.add_argument("command", choices=["up", "down", "load", "build"])
    args, dbt_args = parser.parse_known_args(argv)
    try:
        if args.command == "up":
            local = server.running(LOCAL_SERVER)
            if local is None:
                server.stop(LOCAL_SERVER)  # whatever a server that died left behind
                local = server.start(LOCAL_SERVER)
            # The password by reference: it stays in the owner-only file, not the terminal.
            libpq = dict(local.libpq_env(), PGPASSWORD="")
            exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in libpq.items() if v)
            password_file = shlex.quote(str(LOCAL_SERVER / server.PASSWORD_FILE))
            exports += f' PGPASSWORD="$(cat {password_file})"'
            print(f"PostgreSQL runs in {LOCAL_SERVER}; reach it with:\n  export {exports}")
            return 0
        if args.command == "down":
            server.stop(LOCAL_SERVER)
            print(f"Stopped and removed the server in {LOCAL_SERVER}.")
            return 0
        key = build_key() if args.command == "build" else ""
        with a_server() as env:
            if args.command == "load":
                return load(env, args.raw_data)
            return build(env, args.raw_data, dbt_args, key)
    except (server.ServerError, pseudonyms.UnfitKey) as error:
        print(f"lending-pg: {error}", file=sys.stderr)
        return 1
