"""The console's tables in the state store: recognise answers by visitor (a cache on syncd's clock) and
the one action an agent picked per chat (T4). A pick is reserved (``pending``) before the person record
is written to Salesforce and ``done`` once it is: a second pick finds the first, whatever its state."""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def picked_action(conn: sqlite3.Connection, chat_key: str) -> str | None:
    """T4: the action the agent picked for this chat, None if none was picked (the chat end attaches
    nothing then)."""
    row = conn.execute("SELECT action FROM console_picks WHERE chat_key = ?", (chat_key,)).fetchone()
    return row[0] if row else None


class ConsoleStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- recognise cache ---------------------------------------------------------------------------
    def answer(self, key: str, now: float, ttl: float) -> tuple[dict[str, Any], float] | None:
        if ttl <= 0:
            return None
        row = self.conn.execute("SELECT answer, fetched_at FROM console_visitors WHERE key = ?", (key,)).fetchone()
        if row is None or now - row[1] >= ttl:
            return None
        return json.loads(row[0]), row[1]

    def remember(self, key: str, answer: dict[str, Any], now: float, ttl: float) -> None:
        self.conn.execute("DELETE FROM console_visitors WHERE fetched_at <= ?", (now - ttl,))
        self.conn.execute("INSERT INTO console_visitors(key, found, answer, fetched_at) VALUES (?,?,?,?) "
                          "ON CONFLICT(key) DO UPDATE SET found = excluded.found, answer = excluded.answer, "
                          "fetched_at = excluded.fetched_at", (key, answer["found"], json.dumps(answer), now))

    def forget(self, key: str) -> None:
        """The agent just created or changed this visitor's record: the next answer asks Salesforce."""
        self.conn.execute("DELETE FROM console_visitors WHERE key = ?", (key,))

    # -- T4 picks ---------------------------------------------------------------------------------
    def pick(self, chat_key: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM console_picks WHERE chat_key = ?", (chat_key,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["answer"] = json.loads(out["answer"]) if out["answer"] else None
        return out

    def reserve(self, chat_key: str, action: str, fingerprint: str, now: str) -> bool:
        """Claims the chat's one pick; False when there is one already (done or still being written)."""
        cursor = self.conn.execute(
            "INSERT INTO console_picks(chat_key, action, fingerprint, status, created_at, updated_at) "
            "VALUES (?,?,?,'pending',?,?) ON CONFLICT(chat_key) DO NOTHING",
            (chat_key, action, fingerprint, now, now))
        return cursor.rowcount == 1

    def finish(self, chat_key: str, answer: dict[str, Any], now: str) -> None:
        self.conn.execute("UPDATE console_picks SET status = 'done', answer = ?, updated_at = ? WHERE chat_key = ?",
                          (json.dumps(answer), now, chat_key))

    def release(self, chat_key: str) -> None:
        """Salesforce refused or was not reached: nothing was picked, the agent may try again. An attach
        job a chat end queued meanwhile for this pick goes too (it would attach to nobody)."""
        self.conn.execute("DELETE FROM console_picks WHERE chat_key = ? AND status = 'pending'", (chat_key,))
        self.conn.execute("DELETE FROM chat_jobs WHERE chat_key = ? AND stage = 'attach' AND status = 'pending'",
                          (chat_key,))
