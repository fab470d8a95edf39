"""The journal and the outbox: accepting events (once each) with their operations, handing ready
operations to the sender in per-key order, recording what Salesforce answered, dead letters."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from . import leases
from .db import open_state


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Event:
    id: str
    source: str
    type: str
    data: Any
    time: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class Operation:
    """One Salesforce write, idempotent by its external id: a resend never makes a second record."""

    sobject: str
    external_id_field: str
    external_id: str
    fields: dict[str, Any]
    ordering_key: str
    op: str = "upsert"


@dataclass
class OutboxRow:
    id: int
    event_id: str
    ordering_key: str
    op: str
    sobject: str
    external_id_field: str
    external_id: str
    fields: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: float
    last_error: str | None = None
    last_error_code: str | None = None
    record_id: str | None = None
    created_at: str = ""
    finished_at: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_row(cls, row) -> "OutboxRow":
        data = dict(row)
        data["fields"] = json.loads(data.pop("payload"))
        return cls(**data)


class State:
    def __init__(self, path: str, clock: Callable[[], float] = time.time, lease_seconds: float = 30.0) -> None:
        """``path``: the SQLite file, or a ``postgresql://`` URL for a store shared by several instances."""
        self.path = path
        self.conn = open_state(path)
        self.clock = clock
        self.dialect: str = getattr(self.conn, "dialect", "sqlite")
        self.owner = leases.instance_id()
        self.lease_seconds = lease_seconds
        """PostgreSQL: how long a claimed ordering key stays this instance's without a new claim."""

    @property
    def shared(self) -> bool:
        """Several instances may use this store at once (PostgreSQL): work is claimed with leases."""
        return self.dialect == "postgresql"

    def close(self) -> None:
        if self.shared:
            try:
                leases.release(self.conn, self.owner)
            except Exception:  # the database is gone: the leases expire by themselves
                pass
        self.conn.close()

    def _tx(self):
        return _Transaction(self.conn)

    # -- journal ---------------------------------------------------------------------------------
    def accept(self, events: Iterable[Event], plan: Callable[[Event], list[Operation]]) -> tuple[list[str], list[str]]:
        """Commit new events and their operations in one transaction: (accepted ids, duplicate ids)."""
        accepted, duplicates = [], []
        now, received = self.clock(), utcnow()
        with self._tx():
            for event in events:
                cursor = self.conn.execute(
                    "INSERT INTO events(id, source, type, time, subject, data, received_at) VALUES (?,?,?,?,?,?,?) "
                    "ON CONFLICT(id) DO NOTHING",
                    (event.id, event.source, event.type, event.time, event.subject, json.dumps(event.data), received))
                if cursor.rowcount == 0:
                    duplicates.append(event.id)
                    continue
                accepted.append(event.id)
                for op in plan(event):
                    self.conn.execute(
                        "INSERT INTO outbox(event_id, ordering_key, op, sobject, external_id_field, external_id, "
                        "payload, next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                        (event.id, op.ordering_key, op.op, op.sobject, op.external_id_field, op.external_id,
                         json.dumps(op.fields), now, received))
        return accepted, duplicates

    def transaction(self):
        """One write transaction (nested uses join the outer one); on PostgreSQL writers take turns."""
        return self._tx()

    def enqueue(self, event_id: str, ops: list[Operation]) -> None:
        """Operations that a call (not an event) asks for, e.g. an escalation's backfill."""
        now, created = self.clock(), utcnow()
        with self._tx():
            self.conn.execute("INSERT INTO events(id, source, type, data, received_at) VALUES (?, 'syncd', "
                              "'io.syncd.call', '{}', ?) ON CONFLICT(id) DO NOTHING", (event_id, created))
            for op in ops:
                self.conn.execute(
                    "INSERT INTO outbox(event_id, ordering_key, op, sobject, external_id_field, external_id, "
                    "payload, next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (event_id, op.ordering_key, op.op, op.sobject, op.external_id_field, op.external_id,
                     json.dumps(op.fields), now, created))

    def event_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    # -- outbox ----------------------------------------------------------------------------------
    def ready(self, limit: int) -> list[OutboxRow]:
        """Due operations, each ordering key's in outbox order (P4), at most ``limit``.

        The due keys come from ``outbox_keys`` (one row per key with pending work, indexed by when its head
        is due), then each key's pending rows from the ``outbox_key`` index: the cost follows the batch, not
        the number of rows waiting or done. A key's later operations travel behind its earlier ones (the
        sender keeps their order in one request), never ahead of one that is not due yet. The same record
        may appear twice in a batch: batching merges such upserts into one record (P3 status updates).
        """
        now = self.clock()
        if self.shared:  # several instances: only the keys this one holds a lease on
            keys = [(k,) for k in leases.claim(self.conn, self.owner, now, self.lease_seconds, limit)]
        else:
            keys = self.conn.execute("SELECT ordering_key FROM outbox_keys WHERE next_attempt_at <= ? "
                                     "ORDER BY next_attempt_at, head_id LIMIT ?", (now, limit)).fetchall()
        out: list[OutboxRow] = []
        for (key,) in keys:
            rows = self.conn.execute("SELECT * FROM outbox WHERE ordering_key = ? AND status = 'pending' "
                                     "ORDER BY id LIMIT ?", (key, limit - len(out))).fetchall()
            for raw in rows:
                if raw["next_attempt_at"] > now:
                    break  # a later operation of this key waits for its own retry: keep the order
                out.append(OutboxRow.from_row(raw))
            if len(out) >= limit:
                break
        if self.shared:
            used = {r.ordering_key for r in out}
            leases.release_keys(self.conn, self.owner, [k for (k,) in keys if k not in used])
        out.sort(key=lambda r: r.id)
        return out

    def reference(self, sobject: str, field: str, value: str) -> dict | None:
        """The operation that tells where the record of ``sobject`` with ``field`` = ``value`` is: a done one
        if any (one external id always names one record, whatever later writes still wait), else the latest
        pending one, else the latest dead one."""
        row = self.conn.execute("SELECT id, status, record_id, last_error_code, last_error FROM outbox "
                                "WHERE sobject = ? AND external_id_field = ? AND external_id = ? "
                                "ORDER BY CASE WHEN status = 'done' AND record_id IS NOT NULL THEN 0 "
                                "WHEN status = 'pending' THEN 1 ELSE 2 END, id DESC LIMIT 1",
                                (sobject, field, value)).fetchone()
        return dict(row) if row else None

    def complete(self, results: list[tuple[int, str | None]]) -> None:
        finished = utcnow()
        with self._tx():
            self.conn.executemany(
                "UPDATE outbox SET status = 'done', record_id = ?, finished_at = ?, attempts = attempts + 1 "
                "WHERE id = ? AND status = 'pending'", [(rid, finished, oid) for oid, rid in results])

    def retry(self, ids: list[int], code: str, message: str, delay_for: Callable[[int], float]) -> None:
        """Schedule another attempt of operations whose own failure may heal (a locked row, a rolled-back
        sibling): transient failures never become dead letters, they wait with capped backoff."""
        now = self.clock()
        with self._tx():
            for oid in ids:
                row = self.conn.execute("SELECT attempts FROM outbox WHERE id = ?", (oid,)).fetchone()
                if row is None:
                    continue
                attempts = row[0] + 1
                self.conn.execute(
                    "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, last_error_code = ? "
                    "WHERE id = ? AND status = 'pending'", (attempts, now + delay_for(attempts), message, code, oid))

    def note_failure(self, ids: list[int], code: str, message: str) -> None:
        """Count an attempt that failed for the whole org (an outage, the request limit, a lost session)
        without moving the operations' due times: the sender's circuit decides when to try again, and the
        first success sends everything at full speed."""
        with self._tx():
            self.conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_error_code = ? "
                "WHERE id = ? AND status = 'pending'", [(message, code, oid) for oid in ids])

    def kill(self, items: list[tuple[int, str, str]]) -> None:
        """Park operations that can never succeed as they are (validation errors) as dead letters."""
        with self._tx():
            for oid, code, message in items:
                attempts = self.conn.execute("SELECT attempts FROM outbox WHERE id = ?", (oid,)).fetchone()[0] + 1
                self._dead(oid, code, message, attempts)

    def _dead(self, oid: int, code: str, message: str, attempts: int) -> None:
        self.conn.execute("UPDATE outbox SET status = 'dead', attempts = ?, last_error = ?, last_error_code = ?, "
                          "finished_at = ? WHERE id = ?", (attempts, message, code, utcnow(), oid))

    # -- dead letters ----------------------------------------------------------------------------
    def dead_letters(self) -> list[OutboxRow]:
        rows = self.conn.execute("SELECT * FROM outbox WHERE status = 'dead' ORDER BY id").fetchall()
        return [OutboxRow.from_row(r) for r in rows]

    def get(self, oid: int) -> OutboxRow | None:
        row = self.conn.execute("SELECT * FROM outbox WHERE id = ?", (oid,)).fetchone()
        return OutboxRow.from_row(row) if row else None

    def replay(self, oid: int) -> bool:
        with self._tx():
            cursor = self.conn.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL "
                "WHERE id = ? AND status = 'dead'", (self.clock(), oid))
        return cursor.rowcount == 1

    def drop(self, oid: int) -> bool:
        """An operator gives up a dead letter; a file's bytes (F4) go with it (its sent mark stays)."""
        with self._tx():
            cursor = self.conn.execute("UPDATE outbox SET status = 'dropped', finished_at = ? "
                                       "WHERE id = ? AND status = 'dead'", (utcnow(), oid))
            if cursor.rowcount == 1:
                self.conn.execute("UPDATE files SET data = NULL WHERE key = (SELECT external_id FROM outbox "
                                  "WHERE id = ? AND sobject IN ('ContentVersion', 'Attachment'))", (oid,))
        return cursor.rowcount == 1

    # -- facts and status ------------------------------------------------------------------------
    def set_fact(self, key: str, value: Any) -> None:
        with self._tx():
            self.conn.execute("INSERT INTO facts(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                              "value = excluded.value", (key, json.dumps(value)))

    def fact(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM facts WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def pending_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]

    def oldest_pending(self) -> dict | None:
        """The oldest waiting operation (its age is what an operator watches during an outage)."""
        row = self.conn.execute("SELECT id, sobject, external_id, created_at, attempts, last_error_code "
                                "FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1").fetchone()
        return dict(row) if row else None

    def prune_finished(self, older_than_seconds: float, limit: int = 1000) -> int:
        """Delete done and dropped operations finished longer ago than the retention (dead letters stay
        until an operator replays or drops them); in slices, so a prune never holds the lock for long."""
        cutoff = datetime.fromtimestamp(self.clock() - older_than_seconds, timezone.utc).isoformat(
            timespec="milliseconds")
        with self._tx():
            cursor = self.conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status IN ('done', 'dropped') "
                "AND finished_at < ? LIMIT ?)", (cutoff, limit))
        return cursor.rowcount

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        out = {"pending": 0, "done": 0, "dead": 0, "dropped": 0}
        out.update({r[0]: r[1] for r in rows})
        return out

    def last_errors(self, limit: int = 5) -> list[dict]:
        rows = self.conn.execute(
            "SELECT id, sobject, external_id, last_error_code, last_error, status FROM outbox "
            "WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (the same words on both stores)."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.outer = False

    def __enter__(self) -> sqlite3.Connection:
        self.outer = not self.conn.in_transaction
        if self.outer:
            self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.outer:
            return
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
