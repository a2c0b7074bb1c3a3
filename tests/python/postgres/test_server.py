"""The throwaway PostgreSQL server lets nobody in without its password: not over loopback,
not over its socket, not another local user (it used to trust every local connection,
`initdb --auth trust`). The password is the cluster's own, random, in an owner-only file."""

from __future__ import annotations

import stat
from collections.abc import Iterator

import psycopg2
import pytest

from lending.postgres import server


@pytest.fixture(scope="module")
def postgres() -> Iterator[server.Server]:
    with server.throwaway() as started:
        yield started


def connect(postgres: server.Server, **changed: str) -> None:
    arguments = dict(
        host="127.0.0.1",
        port=str(postgres.port),
        user=server.USER,
        password=postgres.password,
        dbname=server.DATABASE,
        connect_timeout="5",
    )
    arguments.update(changed)
    psycopg2.connect(**arguments).close()


def test_its_own_password_lets_the_build_in(postgres: server.Server) -> None:
    assert server.answers(postgres.libpq_env())
    connect(postgres)
    connect(postgres, host=str(postgres.folder))  # the socket, with the password


@pytest.mark.parametrize("password", ["", "guessed"])
@pytest.mark.parametrize("where", ["loopback", "socket"])
def test_without_it_nobody_gets_in(postgres: server.Server, password: str, where: str) -> None:
    host = "127.0.0.1" if where == "loopback" else str(postgres.folder)
    with pytest.raises(psycopg2.OperationalError, match="password"):
        connect(postgres, host=host, password=password)


def test_every_rule_asks_for_the_password(postgres: server.Server) -> None:
    rules = [
        line.split()
        for line in (postgres.data / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert rules and all(rule[-1] == "scram-sha-256" for rule in rules), rules


def test_the_password_is_random_and_owner_only(postgres: server.Server) -> None:
    password_file = postgres.folder / server.PASSWORD_FILE
    assert password_file.read_text() == postgres.password
    assert len(postgres.password) == 64
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert server.running(postgres.folder) == postgres
