"""Care data in the state database. Used inside the journal's transaction, so care state and outgoing
operations commit together. C7: nothing here expires; a case goes only when deleted explicitly."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timezone
from typing import Any

from .rules import CaseView


def _utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def case_id_for(customer_id: str, profile_id: str, number: int) -> str:
    """A URL-safe, deterministic care case id: the pair's digest and the case's number within the pair."""
    digest = hashlib.sha1(f"{customer_id}\x00{profile_id}".encode()).hexdigest()[:12]
    return f"cc_{digest}_{number}"


class CareStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        """``conn``: the state's connection, SQLite or PostgreSQL (:mod:`daemon.state.pg`), one SQL for both."""
        self.conn = conn

    # -- customers ---------------------------------------------------------------------------------
    def upsert_customer(self, customer: dict, now: str) -> None:
        extra = {k: v for k, v in customer.items() if k not in ("id", "platform", "name", "email")}
        self.conn.execute(
            "INSERT INTO customers(id, platform, name, email, data, updated_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET platform = COALESCE(excluded.platform, customers.platform), "
            "name = COALESCE(excluded.name, customers.name), email = COALESCE(excluded.email, customers.email), "
            "data = excluded.data, updated_at = excluded.updated_at",
            (customer["id"], customer.get("platform"), customer.get("name"), customer.get("email"),
             json.dumps(extra), now))

    def customer(self, customer_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out.update(json.loads(out.pop("data") or "{}"))
        return out

    def link(self, customer_id: str, contact_id: str | None, now: str) -> None:
        self.conn.execute("UPDATE customers SET contact_id = ?, linked_at = ? WHERE id = ?",
                          (contact_id, now if contact_id else None, customer_id))

    # -- cases -------------------------------------------------------------------------------------
    def cases_of_pair(self, customer_id: str, profile_id: str) -> list[CaseView]:
        rows = self.conn.execute("SELECT id, status, created_at, closed_at FROM care_cases WHERE customer_id = ? "
                                 "AND profile_id = ?", (customer_id, profile_id)).fetchall()
        return [CaseView(r["id"], r["status"], r["created_at"], r["closed_at"]) for r in rows]

    def new_case(self, customer_id: str, profile_id: str, now: str) -> str:
        """A new care case; its number is never reused, even after a deletion (an id may name a Salesforce Case)."""
        pair = f"{customer_id}\x00{profile_id}"
        self.conn.execute("INSERT INTO care_case_numbers(pair, last) VALUES (?, 1) ON CONFLICT(pair) DO UPDATE "
                          "SET last = care_case_numbers.last + 1", (pair,))
        number = self.conn.execute("SELECT last FROM care_case_numbers WHERE pair = ?", (pair,)).fetchone()[0]
        case_id = case_id_for(customer_id, profile_id, number)
        self.conn.execute("INSERT INTO care_cases(id, customer_id, profile_id, status, created_at) VALUES "
                          "(?, ?, ?, 'new', ?)", (case_id, customer_id, profile_id, now))
        return case_id

    def case(self, case_id: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM care_cases WHERE id = ?", (case_id,)).fetchone()
        return dict(row) if row else None

    def set_status(self, case_id: str, status: str, now: str) -> None:
        closed = now if status == "done" else None
        # a care status change may go with a change in Salesforce: P3 sets the Case status again next time
        self.conn.execute("UPDATE care_cases SET status = ?, closed_at = ?, sf_status_set = NULL WHERE id = ?",
                          (status, closed, case_id))

    def remember_case_status(self, case_id: str, status: str | None, now: str | None) -> None:
        """P3: the Case status syncd last asked Salesforce to set (None forgets it)."""
        self.conn.execute("UPDATE care_cases SET sf_status_set = ?, sf_status_set_at = ? WHERE id = ?",
                          (status, now, case_id))

    def assign(self, case_id: str, assignee: dict | None) -> None:
        self.conn.execute("UPDATE care_cases SET assignee = ? WHERE id = ?",
                          (json.dumps(assignee) if assignee else None, case_id))

    def mark_escalated(self, case_id: str, sf_case_id: str, case_number: str | None, agent: dict, now: str) -> None:
        self.conn.execute("UPDATE care_cases SET sf_case_id = ?, sf_case_number = ?, escalated_at = ?, "
                          "escalated_by = ? WHERE id = ?", (sf_case_id, case_number, now, json.dumps(agent), case_id))

    def cases_of_customer(self, customer_id: str) -> list[dict]:
        rows = self.conn.execute("SELECT * FROM care_cases WHERE customer_id = ? ORDER BY created_at, id",
                                 (customer_id,)).fetchall()
        return [dict(r) for r in rows]

    def delete_case(self, case_id: str, now: str | None = None) -> bool:
        """C7: the only way care data goes away, and then its text goes everywhere syncd holds it.

        * its messages are deleted;
        * in the events journal, the data of its message events and of the status and assignment events
          that name it is replaced by a marker: the event ids stay, so a redelivered event is still a
          duplicate (202, nothing applied again) and does not bring the text back;
        * in the outbox, every operation of the case (``ordering_key = 'care-case:<id>'``) loses its
          payload; those not yet delivered (pending, or dead letters) are dropped: nothing more of a
          deleted case goes to Salesforce. What Salesforce already holds (the Case, its message records)
          stays there: syncd does not delete records in Salesforce.
        Runs inside the caller's transaction, so a crash leaves the case either whole or gone."""
        if self.case(case_id) is None:
            return False
        marker = json.dumps({"deleted": "care case deleted", "careCaseId": case_id})
        customer_id = self.conn.execute("SELECT customer_id FROM care_cases WHERE id = ?", (case_id,)).fetchone()[0]
        self.conn.execute(
            "UPDATE events SET data = ? WHERE type = 'io.syncd.care.message.v1' "
            "AND json_extract(data, '$.customer.id') = ? "
            "AND json_extract(data, '$.messageId') IN (SELECT platform_id FROM messages WHERE case_id = ?)",
            (marker, customer_id, case_id))
        self.conn.execute(
            "UPDATE events SET data = ? WHERE type IN ('io.syncd.care.case.status.v1', "
            "'io.syncd.care.case.assigned.v1') AND json_extract(data, '$.caseId') = ?", (marker, case_id))
        key = f"care-case:{case_id}"
        self.conn.execute(
            "UPDATE outbox SET status = 'dropped', finished_at = ?, last_error = 'the care case was deleted', "
            "last_error_code = 'CARE_CASE_DELETED' WHERE ordering_key = ? AND status IN ('pending', 'dead')",
            (now or _utcnow(), key))
        self.conn.execute("UPDATE outbox SET payload = '{}' WHERE ordering_key = ?", (key,))
        self.conn.execute("DELETE FROM messages WHERE case_id = ?", (case_id,))
        return self.conn.execute("DELETE FROM care_cases WHERE id = ?", (case_id,)).rowcount == 1

    # -- messages ----------------------------------------------------------------------------------
    def has_message(self, platform: str, platform_id: str) -> bool:
        """C5: a platform message id is unique per platform."""
        return self.conn.execute("SELECT 1 FROM messages WHERE platform = ? AND platform_id = ?",
                                 (platform, platform_id)).fetchone() is not None

    def add_message(self, case_id: str, message: dict) -> None:
        seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM messages").fetchone()[0]
        self.conn.execute(
            "INSERT INTO messages(platform, platform_id, case_id, direction, author, time, text, attachments, seq) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (message.get("platform") or "", message["id"], case_id, message["direction"],
             json.dumps(message.get("author") or {}), message["time"], message.get("text") or "",
             json.dumps(message.get("attachments") or []), seq))

    def messages(self, case_id: str, limit: int) -> list[dict]:
        """The last ``limit`` messages of a case, oldest first (C6 shows 500; P1 loads 100)."""
        rows = self.conn.execute("SELECT * FROM (SELECT * FROM messages WHERE case_id = ? ORDER BY time DESC, "
                                 "seq DESC LIMIT ?) AS recent ORDER BY time, seq", (case_id, limit)).fetchall()
        return [_message(r) for r in rows]

    def message_count(self, case_id: str) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM messages WHERE case_id = ?", (case_id,)).fetchone()[0]

    def last_inbound_time(self, case_id: str) -> str | None:
        row = self.conn.execute("SELECT MAX(time) FROM messages WHERE case_id = ? AND direction = 'inbound'",
                                (case_id,)).fetchone()
        return row[0]


def _message(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["id"] = out.pop("platform_id")
    out["author"] = json.loads(out["author"])
    out["attachments"] = json.loads(out["attachments"])
    return out
