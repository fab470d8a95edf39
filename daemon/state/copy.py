"""Moving an existing SQLite state into PostgreSQL without losing queued work (``syncd state-copy``).

Run with syncd stopped. Every table is copied row by row in one PostgreSQL transaction, ids kept (outbox
order is P4 order; dead letters keep the ids operators know), so the journal still recognises redelivered
events and every pending operation, dead letter, care case, link, chat and cached answer is there when the
instances start on PostgreSQL. ``outbox_keys`` is not copied: the outbox triggers rebuild it from the
pending rows as they arrive. The target must be empty: a copy never merges two states."""

from __future__ import annotations

from .db import connect
from .pg import PgConnection
from .pg_migrations import migrate

TABLES = ["events", "outbox", "facts", "customers", "care_cases", "care_case_numbers", "messages", "chats",
          "chat_jobs", "sf_users", "bot_requests", "bot_routes", "interactions", "interaction_jobs",
          "console_visitors", "console_picks", "files"]
"""Parents before children (foreign keys); every SQLite table but ``outbox_keys``."""

IDENTITIES = [("outbox", "id"), ("chat_jobs", "id")]


class CopyError(RuntimeError):
    """The copy cannot start (a target that already holds a state)."""


def copy_state(sqlite_path: str, url: str) -> dict[str, int]:
    """Copy the SQLite state at ``sqlite_path`` into the (empty) PostgreSQL database at ``url``: rows per table."""
    source = connect(sqlite_path)
    target = PgConnection(url)
    try:
        migrate(target.pool)
        if target.execute("SELECT COUNT(*) FROM events").fetchone()[0]:
            raise CopyError("the PostgreSQL state is not empty: copy into a new database")
        copied: dict[str, int] = {}
        target.execute("BEGIN IMMEDIATE")
        try:
            for table in TABLES:
                columns = [r[1] for r in source.execute(f"PRAGMA table_info({table})")]
                marks = ",".join("?" * len(columns))
                insert = f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks})"
                order = "id" if table in ("outbox", "chat_jobs") else "rowid"
                copied[table] = 0
                for row in source.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"):
                    target.execute(insert, tuple(row))
                    copied[table] += 1
            for table, column in IDENTITIES:  # new rows continue after the copied ids
                target.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                               f"GREATEST((SELECT COALESCE(MAX({column}), 0) FROM {table}), 1))")
            target.execute("COMMIT")
        except BaseException:
            target.execute("ROLLBACK")
            raise
        return copied
    finally:
        source.close()
        target.close()
