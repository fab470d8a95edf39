"""Opening the state database: WAL mode, synchronous=FULL, versioned migrations.

synchronous=FULL: syncd answers 202 only after an event is committed, so the commit must survive a power
loss as well as a crash; in WAL mode FULL costs one fsync of the WAL per transaction, which batching
events (up to 1,000 per request) keeps cheap. NORMAL would survive a process crash but could lose the
last acknowledged events on power loss.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .migrations import MIGRATIONS


class StateError(RuntimeError):
    """The state database cannot be used (newer schema than this syncd, unwritable path...)."""


def open_state(location: str):
    """The state connection for ``location``: a ``postgresql://`` URL opens the shared PostgreSQL store
    (several instances), anything else is the path of the embedded SQLite file (the default)."""
    from .dialect import is_postgres_url

    if is_postgres_url(location):
        from .pg import PgConnection
        from .pg_migrations import migrate as migrate_pg

        conn = PgConnection(location)
        try:
            migrate_pg(conn.pool)
        except BaseException:
            conn.close()
            raise
        return conn
    return connect(location)


def connect(path: str) -> sqlite3.Connection:
    """A connection with syncd's pragmas, migrated to the latest schema version."""
    if path != ":memory:":
        _create_private(Path(path))
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    migrate(conn)
    return conn


def _create_private(path: Path) -> None:
    """Create the state folder (0700) and database file (0600) when they do not exist yet.

    The database holds customer messages and, with the refresh-token flow, credentials: only syncd's
    user may read it. SQLite gives the -wal and -shm files the mode of the database file, so creating
    the file owner-only first covers all three. Existing files keep the mode an operator gave them."""
    missing = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(created, 0o700)  # mkdir's mode is filtered by the umask
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.fchmod(fd, 0o600)
    os.close(fd)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    current = schema_version(conn)
    latest = len(MIGRATIONS)
    if current > latest:
        raise StateError(f"the state database has schema version {current}; this syncd knows up to {latest}")
    for version in range(current + 1, latest + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return latest


def _statements(script: str) -> list[str]:
    """Split a migration into statements; a trigger's BEGIN ... END holds semicolons of its own."""
    out, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                out.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        out.append(pending.strip())
    return out
