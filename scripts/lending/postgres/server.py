"""A PostgreSQL server of our own: a cluster created with initdb in a folder, started with
pg_ctl on a free loopback port, stopped and removed afterwards. Debian's `postgresql`
package provides the binaries. PostgreSQL refuses to run as root, so as root the server
runs as the unprivileged `postgres` account (runuser).

Loopback only, and a password for every connection (scram-sha-256, on the TCP port and on
the socket alike): the cluster is a throwaway for building and testing, but another user of
the machine must not reach it. The password is random per cluster, kept owner-only in
the cluster's folder (`password`), and removed with it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BINARIES = Path("/usr/lib/postgresql/15/bin")
SERVICE_ACCOUNT = "postgres"
USER = "lending"
DATABASE = "lending_research"
# Every connection, socket or loopback, authenticates with the cluster's password.
AUTHENTICATION = "scram-sha-256"
PASSWORD_FILE = "password"  # pragma: allowlist secret


class ServerError(Exception):
    """The server could not be set up; the message says what to do."""


@dataclass(frozen=True)
class Server:
    """A running server and the libpq variables that reach it."""

    folder: Path
    port: int
    password: str

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def libpq_env(self) -> dict[str, str]:
        return {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": USER,
            "PGPASSWORD": self.password,
            "PGDATABASE": DATABASE,
        }


def _as_service_account(command: list[str]) -> list[str]:
    """As root, run as the postgres account; as anyone else, as themselves."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVICE_ACCOUNT, "--", *command]


def _run(command: list[str], password: str = "") -> None:
    env = {**os.environ, "PGPASSWORD": password} if password else None
    result = subprocess.run(
        _as_service_account(command), capture_output=True, text=True, check=False, env=env
    )
    if result.returncode != 0:
        raise ServerError(f"{' '.join(command)} failed: {result.stdout}{result.stderr}".strip())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(env: dict[str, str], timeout: float = 3) -> bool:
    """Whether a PostgreSQL server answers at the libpq variables in `env`."""
    import psycopg2

    try:
        psycopg2.connect(
            host=env.get("PGHOST", "127.0.0.1"),
            port=env.get("PGPORT", "5432"),
            user=env.get("PGUSER", USER),
            password=env.get("PGPASSWORD", ""),
            dbname=env.get("PGDATABASE", DATABASE),
            connect_timeout=max(1, int(timeout)),
        ).close()
    except psycopg2.OperationalError:
        return False
    return True


def start(folder: Path) -> Server:
    """Create a cluster in `folder` (which must not exist) and start it."""
    if not (BINARIES / "initdb").exists():
        raise ServerError(
            f"{BINARIES}/initdb not found: install Debian's postgresql package "
            "(`make install-postgres`, or apt-get install postgresql as root)"
        )
    folder.mkdir(parents=True, mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(folder, SERVICE_ACCOUNT, SERVICE_ACCOUNT)
    server = Server(folder=folder, port=_free_port(), password=secrets.token_hex(32))
    password_file = folder / PASSWORD_FILE
    password_file.touch(mode=0o600)
    password_file.write_text(server.password)
    if os.geteuid() == 0:
        shutil.chown(password_file, SERVICE_ACCOUNT, SERVICE_ACCOUNT)
    _run([
        str(BINARIES / "initdb"), "--pgdata", str(server.data), "--username", USER,
        "--auth", AUTHENTICATION, "--pwfile", str(password_file),
        "--encoding", "UTF8", "--locale", "C.UTF-8",
    ])  # fmt: skip
    # Loopback and a socket in the folder only; UTC, like every timestamp in the data.
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={server.port} "
        f"-c unix_socket_directories={folder} -c timezone=UTC -c fsync=off"
    )
    _run([
        str(BINARIES / "pg_ctl"), "--pgdata", str(server.data), "--log",
        str(folder / "server.log"), "--options", options, "--wait", "start",
    ])  # fmt: skip
    _run([str(BINARIES / "createdb"), "--host", "127.0.0.1", "--port", str(server.port),
          "--username", USER, DATABASE], password=server.password)  # fmt: skip
    return server


def stop(folder: Path) -> None:
    """Stop the server of `folder`, if one runs there, and remove the folder."""
    if (folder / "data" / "postmaster.pid").exists():
        _run([str(BINARIES / "pg_ctl"), "--pgdata", str(folder / "data"), "--mode", "fast",
              "--wait", "stop"])  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)


def running(folder: Path) -> Server | None:
    """The server started in `folder` by an earlier `start`, if it still runs."""
    pid_file = folder / "data" / "postmaster.pid"
    if not pid_file.exists():
        return None
    # postmaster.pid: pid, data folder, start time, port, ...
    port = int(pid_file.read_text().splitlines()[3])
    password_file = folder / PASSWORD_FILE
    if not password_file.exists():
        return None
    server = Server(folder=folder, port=port, password=password_file.read_text().strip())
    return server if answers(server.libpq_env()) else None


@contextmanager
def throwaway(parent: Path | None = None) -> Iterator[Server]:
    """A server for the duration of a block, in a temporary folder, removed afterwards."""
    base = Path(parent or os.environ.get("TMPDIR", "/tmp"))
    folder = base / f"lending-pg-{os.getpid()}-{time.monotonic_ns()}"
    try:
        yield start(folder)
    finally:
        stop(folder)
