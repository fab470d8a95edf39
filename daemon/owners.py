"""O1, shared by every integration: the owner of what syncd creates is the active User whose email equals
the agent's (case-insensitive), else the integration user (OwnerId left out, Salesforce's default).

Look-ups are cached in the state store (``sf_users``), misses too, for ``ttl`` seconds: a busy day spends
one query for many chats and agents, not one per chat."""

from __future__ import annotations

import sqlite3
from typing import Iterable

from .identify import soql_literal


def users_query(emails: Iterable[str]) -> str:
    literals = ", ".join(soql_literal(e) for e in sorted(set(emails)))
    return (f"SELECT Id, Email, CreatedDate FROM User WHERE IsActive = true AND Email IN ({literals}) "
            "ORDER BY CreatedDate ASC, Id ASC")


def pick_users(rows: Iterable[dict]) -> dict[str, str]:
    """email (lower case) -> the oldest active User with it (deterministic when two share an email)."""
    out: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: (str(r.get("CreatedDate") or ""), r["Id"])):
        email = (row.get("Email") or "").lower()
        if email and email not in out:
            out[email] = row["Id"]
    return out


def usable(email: str | None) -> str | None:
    return email.strip().lower() if email and "@" in email else None


class OwnerCache:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def known(self, emails: Iterable[str], now: float, ttl: float) -> tuple[dict[str, str | None], list[str]]:
        """(email -> user id or None for the cached ones, emails to look up)."""
        found: dict[str, str | None] = {}
        missing = []
        for email in sorted(set(emails)):
            row = self.conn.execute("SELECT user_id, fetched_at FROM sf_users WHERE email = ?", (email,)).fetchone()
            if row is not None and ttl > 0 and now - row[1] < ttl:
                found[email] = row[0]
            else:
                missing.append(email)
        return found, missing

    def remember(self, asked: Iterable[str], answers: dict[str, str], now: float) -> None:
        for email in asked:
            self.conn.execute("INSERT INTO sf_users(email, user_id, fetched_at) VALUES (?,?,?) ON CONFLICT(email) "
                              "DO UPDATE SET user_id = excluded.user_id, fetched_at = excluded.fetched_at",
                              (email, answers.get(email), now))
