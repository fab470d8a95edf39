"""Several instances, one queue: which instance sends which ordering key's operations (PostgreSQL).

A sender claims due keys by taking a lease on their ``outbox_keys`` row (``lease_owner``, ``lease_until``)
in one short write transaction (writers take turns across the cluster, so claims never deadlock with an
outcome's triggers); ``FOR UPDATE SKIP LOCKED`` passes over rows another transaction holds, and a key
whose lease is held and unexpired is skipped.
Only the holder sends a key's operations, in outbox order, so per-case and per-chat order (P4) holds and
no two instances send one operation at once. Each claim first releases what the same instance claimed
in its previous turn (the sender has settled those rows by then: done, retried or dead). An instance
killed with kill -9 keeps its leases until ``lease_until``; then any other instance takes the keys over
and sends what is still pending (upserts by external id: a resend never makes a second record)."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from typing import Iterator

CLAIM = ("SELECT ordering_key FROM outbox_keys WHERE next_attempt_at <= ? "
         "AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?) "
         "ORDER BY next_attempt_at, head_id LIMIT ? FOR UPDATE SKIP LOCKED")


def instance_id() -> str:
    """Unique per process start: host, pid and a random part (a restarted pid never inherits leases)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def _writing(conn) -> Iterator[None]:
    """A write transaction (the cluster's writers take turns, see :mod:`.pg`), or the caller's own.

    Claims take their turn too: a claim and an outcome's trigger touching the same ``outbox_keys`` rows
    in different orders could otherwise deadlock, and PostgreSQL would abort one of them."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def claim(conn, owner: str, now: float, lease_seconds: float, limit: int) -> list[str]:
    """Release ``owner``'s previous leases and lease up to ``limit`` due keys to it: the keys claimed."""
    with _writing(conn):
        conn.execute("UPDATE outbox_keys SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
                     (owner,))
        keys = [r[0] for r in conn.execute(CLAIM, (now, now, owner, limit)).fetchall()]
        if keys:
            conn.execute("UPDATE outbox_keys SET lease_owner = ?, lease_until = ? WHERE ordering_key = ANY(?)",
                         (owner, now + lease_seconds, keys))
    return keys


def release_keys(conn, owner: str, keys: list[str]) -> None:
    """Give back claimed keys the batch had no room for: other instances may send them at once."""
    if keys:
        with _writing(conn):
            conn.execute("UPDATE outbox_keys SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? "
                         "AND ordering_key = ANY(?)", (owner, keys))


def release(conn, owner: str) -> int:
    """Give back every key ``owner`` holds (a clean stop: the others need not wait for the expiry)."""
    return conn.execute("UPDATE outbox_keys SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
                        (owner,)).rowcount


def leases(conn, now: float) -> list[dict]:
    """Per instance: the keys it holds and when its latest lease ends (for ``syncd status``, metrics)."""
    rows = conn.execute("SELECT lease_owner, COUNT(*) AS keys, MAX(lease_until) AS until FROM outbox_keys "
                        "WHERE lease_owner IS NOT NULL AND lease_until >= ? GROUP BY lease_owner "
                        "ORDER BY lease_owner", (now,)).fetchall()
    return [{"instance": r[0], "keys": r[1], "until": r[2]} for r in rows]



JOB_LEASE_SECONDS = 60.0
"""How long a claimed chat or interaction job stays with the instance that took it (its worker settles it
well within this: done, retried or dead); a killed instance's job is due again after this long."""


def claim_jobs(conn, table: str, key: str, columns: str, order: str, now: float, limit: int,
               lease_seconds: float = JOB_LEASE_SECONDS) -> list:
    """Take up to ``limit`` due pending rows of a job table for this instance in one statement: their due
    time moves ``lease_seconds`` ahead, so no other instance sees them due meanwhile (``SKIP LOCKED``:
    two claims at once never wait for, or take, each other's rows). Rows come back in ``order``."""
    with _writing(conn):
        rows = conn.execute(
            f"UPDATE {table} SET next_attempt_at = ? WHERE {key} IN (SELECT {key} FROM {table} "
            f"WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY {order} LIMIT ? FOR UPDATE SKIP LOCKED) "
            f"RETURNING {columns}", (now + lease_seconds, now, limit)).fetchall()
    return sorted(rows, key=lambda r: r[0])
