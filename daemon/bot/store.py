"""The bot's tables in the state store: answers to creates by Idempotency-Key (B1) and the routing cache
(B4). Times are syncd's clock in seconds, so scenarios can age both by moving the clock."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Remembered:
    """A create seen before: ``status`` None while it is in flight, or when syncd cannot know whether
    Salesforce created the record (the connection broke after the request went out)."""

    fingerprint: str
    status: int | None
    answer: dict[str, Any] | None


class BotStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- B1: Idempotency-Key -> answer ------------------------------------------------------------
    def request(self, key: str, now: float, keep: float) -> Remembered | None:
        row = self.conn.execute("SELECT fingerprint, status, answer, created_at FROM bot_requests WHERE key = ?",
                                (key,)).fetchone()
        if row is None or now - row["created_at"] >= keep:
            return None
        return Remembered(row["fingerprint"], row["status"], json.loads(row["answer"]) if row["answer"] else None)

    def begin(self, key: str, fingerprint: str, now: float, keep: float) -> None:
        """Before the create goes out: a crash from here on leaves the key marked, never free for a second
        create. Old keys are dropped on the way."""
        self.conn.execute("DELETE FROM bot_requests WHERE created_at <= ?", (now - keep,))
        self.conn.execute("INSERT INTO bot_requests(key, fingerprint, created_at) VALUES (?,?,?) "
                          "ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint, status = NULL, "
                          "answer = NULL, created_at = excluded.created_at", (key, fingerprint, now))

    def finish(self, key: str, status: int, answer: dict[str, Any]) -> None:
        self.conn.execute("UPDATE bot_requests SET status = ?, answer = ? WHERE key = ?",
                          (status, json.dumps(answer), key))

    def forget(self, key: str) -> None:
        """Nothing was created (Salesforce refused or was not reached): the key may be used again."""
        self.conn.execute("DELETE FROM bot_requests WHERE key = ?", (key,))

    # -- B4: routing cache -----------------------------------------------------------------------
    def route(self, key: str, now: float, ttl: float) -> tuple[dict[str, Any], float] | None:
        """A cached routing answer younger than ``ttl`` seconds, with when it was fetched."""
        if ttl <= 0:
            return None
        row = self.conn.execute("SELECT answer, fetched_at FROM bot_routes WHERE key = ?", (key,)).fetchone()
        if row is None or now - row["fetched_at"] >= ttl:
            return None
        return json.loads(row["answer"]), row["fetched_at"]

    def remember_route(self, key: str, answer: dict[str, Any], now: float, ttl: float) -> None:
        self.conn.execute("DELETE FROM bot_routes WHERE fetched_at <= ?", (now - ttl,))
        self.conn.execute("INSERT INTO bot_routes(key, found, answer, fetched_at) VALUES (?,?,?,?) "
                          "ON CONFLICT(key) DO UPDATE SET found = excluded.found, answer = excluded.answer, "
                          "fetched_at = excluded.fetched_at", (key, int(bool(answer.get("found"))),
                                                              json.dumps(answer), now))

    def forget_unmatched_routes(self) -> None:
        """A Contact or Account was just created (B1): visitors cached as not found may match now."""
        self.conn.execute("DELETE FROM bot_routes WHERE found = 0")
