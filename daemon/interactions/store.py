"""The interaction tables of the state store.

``interactions``: what syncd logged for each interaction (its Task, Account, Case and contacts), so the I5
calls find the Task without asking Salesforce. ``interaction_jobs``: interactions that arrived as events,
one row per interaction; the same interaction arriving again (more customers, a Case) merges into its row
and makes it pending again. ``revision`` counts those arrivals, so a worker that finished an older
revision leaves the row pending for the newer one: nothing an event said is ever dropped."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Job:
    key: str
    data: dict
    event_id: str
    attempts: int
    revision: int


def _identity(customer: dict) -> tuple:
    """Two mentions of one customer: the same Contact id, else the same email, else the same name and phone."""
    if customer.get("contactId"):
        return ("id", customer["contactId"][:15])
    if customer.get("email"):
        return ("email", customer["email"].strip().lower())
    return ("name", (customer.get("name") or customer.get("lastName") or "").strip().lower(),
            (customer.get("phone") or "").strip())


def merge(old: dict, new: dict) -> dict:
    """An interaction from two events: later values win, an absent one keeps what was known, customers add up
    (a customer mentioned again is updated in place, keeping its position)."""
    out = dict(old)
    for key, value in new.items():
        if key == "customers":
            continue
        if value is not None:
            out[key] = value
    customers = [dict(c) for c in old.get("customers") or []]
    for customer in new.get("customers") or []:
        same = next((i for i, c in enumerate(customers) if _identity(c) == _identity(customer)), None)
        if same is None:
            customers.append(dict(customer))
        else:
            customers[same] = {**customers[same], **{k: v for k, v in customer.items() if v is not None}}
    if any(c.get("primary") for c in new.get("customers") or []):  # the newest choice of primary wins
        newest = next(_identity(c) for c in new["customers"] if c.get("primary"))
        for customer in customers:
            customer["primary"] = _identity(customer) == newest
    out["customers"] = customers
    return out


class InteractionStore:
    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.clock = clock

    # -- what was logged -------------------------------------------------------------------------------
    def logged(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM interactions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["contacts"] = json.loads(out["contacts"] or "[]")
        return out

    def remember(self, key: str, task_id: str, account_id: str | None, case_id: str | None,
                 contacts: list[dict], now: str) -> None:
        self.conn.execute(
            "INSERT INTO interactions(key, task_id, account_id, case_id, contacts, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET task_id = excluded.task_id, "
            "account_id = excluded.account_id, case_id = excluded.case_id, contacts = excluded.contacts, "
            "updated_at = excluded.updated_at", (key, task_id, account_id, case_id, json.dumps(contacts), now, now))

    # -- jobs (the event path) -------------------------------------------------------------------------
    def queue(self, key: str, data: dict, event_id: str, now: str) -> None:
        row = self.conn.execute("SELECT data FROM interaction_jobs WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.conn.execute(
                "INSERT INTO interaction_jobs(key, data, event_id, next_attempt_at, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?)", (key, json.dumps(data), event_id, self.clock(), now, now))
            return
        merged = merge(json.loads(row[0]), data)
        self.conn.execute(
            "UPDATE interaction_jobs SET data = ?, event_id = ?, status = 'pending', revision = revision + 1, "
            "next_attempt_at = ?, finished_at = NULL, updated_at = ? WHERE key = ?",
            (json.dumps(merged), event_id, self.clock(), now, key))

    def due(self, limit: int) -> list[Job]:
        """Due interactions; on a store shared by several instances (PostgreSQL) claimed for this one."""
        if getattr(self.conn, "dialect", "sqlite") == "postgresql":
            from ..state.leases import claim_jobs

            rows = claim_jobs(self.conn, "interaction_jobs", "key", "key, data, event_id, attempts, revision",
                              "next_attempt_at, key", self.clock(), limit)
            return [Job(r[0], json.loads(r[1]), r[2], r[3], r[4]) for r in rows]
        rows = self.conn.execute(
            "SELECT key, data, event_id, attempts, revision FROM interaction_jobs WHERE status = 'pending' "
            "AND next_attempt_at <= ? ORDER BY next_attempt_at, key LIMIT ?", (self.clock(), limit)).fetchall()
        return [Job(r[0], json.loads(r[1]), r[2], r[3], r[4]) for r in rows]

    def finish(self, job: Job, now: str) -> None:
        """Done, unless the interaction arrived again meanwhile (then it runs once more)."""
        self.conn.execute("UPDATE interaction_jobs SET status = 'done', attempts = attempts + 1, finished_at = ?, "
                          "last_error = NULL, last_error_code = NULL WHERE key = ? AND revision = ?",
                          (now, job.key, job.revision))

    def retry(self, job: Job, code: str, message: str, delay: float) -> None:
        self.conn.execute("UPDATE interaction_jobs SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
                          "last_error_code = ? WHERE key = ?", (self.clock() + delay, message, code, job.key))

    def kill(self, job: Job, code: str, message: str, now: str) -> None:
        """An interaction that cannot be logged as sent (an Account that does not exist...): kept with the
        reason; sending it again (corrected) or ``replay`` makes it pending."""
        self.conn.execute("UPDATE interaction_jobs SET status = 'dead', attempts = attempts + 1, last_error = ?, "
                          "last_error_code = ?, finished_at = ? WHERE key = ? AND revision = ?",
                          (message, code, now, job.key, job.revision))

    def replay(self) -> int:
        return self.conn.execute("UPDATE interaction_jobs SET status = 'pending', next_attempt_at = ?, "
                                 "finished_at = NULL WHERE status = 'dead'", (self.clock(),)).rowcount

    def job(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT key, status, attempts, last_error_code, last_error, revision FROM "
                                "interaction_jobs WHERE key = ?", (key,)).fetchone()
        return dict(row) if row is not None else None

    def counts(self) -> dict[str, int]:
        out = {"pending": 0, "done": 0, "dead": 0}
        for status, count in self.conn.execute("SELECT status, COUNT(*) FROM interaction_jobs GROUP BY status"):
            out[status] = count
        return out

    def dead(self) -> list[dict]:
        rows = self.conn.execute("SELECT key, last_error_code, last_error FROM interaction_jobs WHERE status = "
                                 "'dead' ORDER BY key").fetchall()
        return [dict(r) for r in rows]
