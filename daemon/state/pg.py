"""PostgreSQL behind the small part of the ``sqlite3`` connection API that syncd's stores use.

The stores call ``conn.execute(sql, params)`` with SQLite's spelling and read rows by position or by
name; :class:`PgConnection` keeps that contract over a psycopg 3 connection pool, so both engines share
one set of SQL (the rewrites live in :mod:`.dialect`). Outside a transaction each statement borrows a
pooled connection in autocommit mode; ``BEGIN`` pins one connection to the calling thread until
``COMMIT``/``ROLLBACK``. A write transaction (SQLite's ``BEGIN IMMEDIATE``) first takes a cluster-wide
advisory lock: writers take turns exactly as they do on one SQLite file, so care-case numbering, message
sequence numbers and per-key outbox ids keep the order they have on SQLite whatever instance writes."""

from __future__ import annotations

import threading
from typing import Any, Iterable, Iterator, Sequence

from .dialect import postgres_params, to_postgres, transaction_word

WRITER_LOCK = 0x5359_4E43  # "SYNC": the advisory lock id every write transaction takes
MIGRATION_LOCK = 0x5359_4E4D  # "SYNM": held while the schema is migrated


class Row(Sequence):
    """A result row readable like ``sqlite3.Row``: ``row[0]``, ``row["name"]``, ``dict(row)``."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: tuple[str, ...], values: tuple) -> None:
        self._names, self._values = names, values

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return self._values[self._names.index(key)]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values))!r})"


class Result:
    """A finished statement: its rows (already fetched, so the connection went back to the pool)."""

    lastrowid = None

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows, self.rowcount = rows, rowcount

    def fetchone(self) -> Row | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Row]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


def _run(conn, sql: str, params: Sequence | None) -> Result:
    cursor = conn.execute(to_postgres(sql), postgres_params(params))
    rows: list[Row] = []
    if cursor.description is not None:
        names = tuple(c.name for c in cursor.description)
        rows = [Row(names, values) for values in cursor.fetchall()]
    return Result(rows, cursor.rowcount)


class PgConnection:
    """syncd's state connection on PostgreSQL (see the module's docstring)."""

    dialect = "postgresql"

    def __init__(self, url: str, max_size: int = 8) -> None:
        from psycopg_pool import ConnectionPool

        self.url = url
        self.pool = ConnectionPool(url, min_size=1, max_size=max_size, kwargs={"autocommit": True},
                                   open=True, name="syncd-state")
        self.pool.wait(timeout=30)
        self._local = threading.local()

    @property
    def _pinned(self):
        return getattr(self._local, "conn", None)

    @property
    def in_transaction(self) -> bool:
        return self._pinned is not None

    def execute(self, sql: str, params: Sequence | None = ()) -> Result:
        word = transaction_word(sql)
        if word is not None:
            return self._transaction(word, write="IMMEDIATE" in sql.upper())
        pinned = self._pinned
        if pinned is not None:
            return _run(pinned, sql, params)
        with self.pool.connection() as conn:
            return _run(conn, sql, params)

    def executemany(self, sql: str, seq: Iterable[Sequence]) -> Result:
        total = 0
        for params in seq:
            total += max(self.execute(sql, params).rowcount, 0)
        return Result([], total)

    def _transaction(self, word: str, write: bool) -> Result:
        if word == "BEGIN":
            if self._pinned is not None:
                raise RuntimeError("a transaction is already open on this thread")
            conn = self.pool.getconn()
            try:
                conn.execute("BEGIN")
                if write:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
            except BaseException:
                self.pool.putconn(conn)
                raise
            self._local.conn = conn
            return Result([], -1)
        conn = self._pinned
        if conn is None:
            return Result([], -1)  # like SQLite's COMMIT with no transaction: nothing to do
        self._local.conn = None
        try:
            conn.execute(word)
        finally:
            self.pool.putconn(conn)
        return Result([], -1)

    def close(self) -> None:
        self.pool.close()
