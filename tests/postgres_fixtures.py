"""A throwaway PostgreSQL for the tests: pytest-postgresql's executor (pg_ctl) on the machine's binaries.

``pg_url`` gives each test a fresh database on one server per test session (per xdist worker). Without
PostgreSQL binaries the tests that need it skip and say why; under ``CI=true`` they fail instead, so a CI
machine that lost its PostgreSQL cannot pass green. PostgreSQL refuses to run as root: when the tests run
as root (CI here does), pg_ctl runs as the ``postgres`` user through a small wrapper."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin/pg_ctl"


def find_pg_ctl() -> str | None:
    """``SYNCD_PG_CTL``, else the newest /usr/lib/postgresql/N/bin/pg_ctl, else pg_ctl on PATH."""
    if os.environ.get("SYNCD_PG_CTL"):
        return os.environ["SYNCD_PG_CTL"]
    found = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return found[-1] if found else shutil.which("pg_ctl")


def _wrapper(pg_ctl: str) -> str:
    """As root: a pg_ctl that runs as the ``postgres`` user (PostgreSQL refuses root)."""
    if os.geteuid() != 0 or _postgres_uid() is None:
        return pg_ctl  # not root, or no postgres user: PostgreSQL's own message says what is wrong
    folder = Path(tempfile.mkdtemp(prefix="syncd-pgctl-"))
    folder.chmod(0o755)
    script = folder / "pg_ctl"
    script.write_text(f'#!/bin/sh\nexec runuser -u postgres -- {pg_ctl} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(script)


def _postgres_uid() -> int | None:
    try:
        return pwd.getpwnam("postgres").pw_uid
    except KeyError:
        return None


def unavailable(reason: str) -> None:
    """Skip, saying why; in CI fail: there the PostgreSQL tests must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}")
    pytest.skip(f"no PostgreSQL for these tests: {reason}")


PG_CTL = find_pg_ctl()

try:
    from pytest_postgresql.executor import PostgreSQLExecutor
except ImportError:  # pragma: no cover - the test extra installs it
    PostgreSQLExecutor = None


@pytest.fixture(scope="session")
def postgresql_proc():
    """pytest-postgresql's executor (pg_ctl initdb, start, stop) on a data folder of its own.

    Not under pytest's temporary folder: every pytest session start makes ``/tmp/pytest-of-<user>``
    0700 again, which locks the ``postgres`` user out of a server's files while it runs (a PANIC at the
    next checkpoint) whenever another pytest starts meanwhile."""
    from port_for import get_port

    folder = Path(tempfile.mkdtemp(prefix="syncd-pg-"))
    uid = _postgres_uid() if os.geteuid() == 0 else None
    if uid is not None:
        os.chown(folder, uid, -1)
    executor = PostgreSQLExecutor(executable=_wrapper(PG_CTL), host="127.0.0.1", port=get_port(None),
                                  datadir=str(folder / "data"), unixsocketdir=str(folder),
                                  logfile=str(folder / "postgresql.log"), startparams="-w", dbname="postgres",
                                  user="postgres", password="", options="", postgres_options="")
    try:
        with executor:
            executor.wait_for_postgres()
            yield executor
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server(request):
    """The session's PostgreSQL server (host, port, user), started on first use."""
    if PostgreSQLExecutor is None:
        unavailable("pytest-postgresql is not installed (pip install -e '.[test]')")
    if not PG_CTL or not os.path.exists(PG_CTL):
        unavailable(f"no pg_ctl found (looked at $SYNCD_PG_CTL, {PG_BIN_GLOB}, PATH); "
                    "install postgresql (apt-get install postgresql)")
    return request.getfixturevalue("postgresql_proc")


_numbers = itertools.count(1)


def server_url(server, dbname: str = "postgres") -> str:
    return f"postgresql://{server.user}@{server.host}:{server.port}/{dbname}"


def create_database(server) -> str:
    import psycopg

    name = f"syncd_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(server_url(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(server, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty database's URL on the session's server, dropped after the test."""
    name = create_database(pg_server)
    yield server_url(pg_server, name)
    drop_database(pg_server, name)
