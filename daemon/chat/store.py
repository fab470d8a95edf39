"""The chat tables of the state store: each chat's data (merged from its events), what identification
found, and the jobs its triggers queued. Jobs are unique per (chat, stage), so a redelivered or replayed
trigger is one job; a job is done in the same transaction that puts its operations into the outbox."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Callable

LISTS = ("transcript", "attachments")


@dataclass(frozen=True)
class Job:
    id: int
    chat_key: str
    stage: str
    action: str
    event_id: str
    attempts: int


def merge(old: dict, new: dict) -> dict:
    """A chat's data from its events: later values win, an absent or empty one keeps what was known."""
    out = dict(old)
    for key, value in new.items():
        if value is None or (key in LISTS and not value):
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


class ChatStore:
    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.clock = clock

    # -- chats ---------------------------------------------------------------------------------------
    def merge_chat(self, key: str, kind: str, data: dict, now: str) -> None:
        row = self.conn.execute("SELECT data FROM chats WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.conn.execute("INSERT INTO chats(key, kind, data, created_at, updated_at) VALUES (?,?,?,?,?)",
                              (key, kind, json.dumps(data), now, now))
            return
        merged = merge(json.loads(row[0]), data)
        self.conn.execute("UPDATE chats SET data = ?, updated_at = ? WHERE key = ?", (json.dumps(merged), now, key))

    def chat(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM chats WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["data"] = json.loads(out["data"])
        out["identity"] = json.loads(out["identity"]) if out["identity"] else None
        return out

    def set_identity(self, key: str, identity: dict) -> None:
        self.conn.execute("UPDATE chats SET identity = ? WHERE key = ?", (json.dumps(identity), key))

    def mark_person_done(self, key: str) -> None:
        self.conn.execute("UPDATE chats SET person_done = 1 WHERE key = ?", (key,))

    # -- jobs ----------------------------------------------------------------------------------------
    def queue_job(self, key: str, stage: str, action: str, event_id: str, now: str) -> bool:
        cursor = self.conn.execute(
            "INSERT INTO chat_jobs(chat_key, stage, action, event_id, next_attempt_at, created_at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(chat_key, stage) DO NOTHING",
            (key, stage, action, event_id, self.clock(), now))
        return cursor.rowcount == 1

    def due_jobs(self, limit: int) -> list[Job]:
        """Due jobs; on a store shared by several instances (PostgreSQL) they are claimed for this one."""
        if getattr(self.conn, "dialect", "sqlite") == "postgresql":
            from ..state.leases import claim_jobs

            rows = claim_jobs(self.conn, "chat_jobs", "id", "id, chat_key, stage, action, event_id, attempts",
                              "id", self.clock(), limit)
            return [Job(*row) for row in rows]
        rows = self.conn.execute(
            "SELECT id, chat_key, stage, action, event_id, attempts FROM chat_jobs WHERE status = 'pending' "
            "AND next_attempt_at <= ? ORDER BY id LIMIT ?", (self.clock(), limit)).fetchall()
        return [Job(*row) for row in rows]

    def finish_job(self, job_id: int, now: str) -> None:
        self.conn.execute("UPDATE chat_jobs SET status = 'done', finished_at = ?, attempts = attempts + 1 "
                          "WHERE id = ?", (now, job_id))

    def retry_job(self, job_id: int, code: str, message: str, delay: float) -> None:
        self.conn.execute("UPDATE chat_jobs SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
                          "last_error_code = ? WHERE id = ?", (self.clock() + delay, message, code, job_id))

    def kill_job(self, job_id: int, code: str, message: str, now: str) -> None:
        """A job that can never succeed as configured (a query Salesforce refuses): kept, with its error,
        for an operator; ``replay_jobs`` sends it again once the configuration is fixed."""
        self.conn.execute("UPDATE chat_jobs SET status = 'dead', attempts = attempts + 1, last_error = ?, "
                          "last_error_code = ?, finished_at = ? WHERE id = ?", (message, code, now, job_id))

    def replay_jobs(self) -> int:
        cursor = self.conn.execute("UPDATE chat_jobs SET status = 'pending', next_attempt_at = ?, "
                                   "finished_at = NULL WHERE status = 'dead'", (self.clock(),))
        return cursor.rowcount

    def job_counts(self) -> dict[str, int]:
        out = {"pending": 0, "done": 0, "dead": 0}
        for status, count in self.conn.execute("SELECT status, COUNT(*) FROM chat_jobs GROUP BY status"):
            out[status] = count
        return out

    def dead_jobs(self) -> list[dict]:
        rows = self.conn.execute("SELECT id, chat_key, stage, action, last_error_code, last_error FROM chat_jobs "
                                 "WHERE status = 'dead' ORDER BY id").fetchall()
        return [dict(r) for r in rows]
