"""Opening the state database: WAL mode, synchronous=FULL, versioned migrations.

synchronous=FULL: syncd answers 202 only after an event is committed, so the commit must survive a power
loss as well as a crash; in WAL mode FULL costs one fsync of the WAL per transaction, which batching
events (up to 1,000 per request) keeps cheap. NORMAL would survive a process crash but could lose the
last acknowledged events on power loss.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .migrations import MIGRATIONS


class StateError(RuntimeError):
    """The state database cannot be used (newer schema than this syncd, unwritable path...)."""


def connect(path: str) -> sqlite3.Connection:
    """A connection with syncd's pragmas, migrated to the latest schema version."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    migrate(conn)
    return conn


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
