"""The numbers an operator reads: ``syncd status`` (:func:`status`, printed as is by the CLI) and what the
operator page adds (:func:`operator_view`): outbox by state and age, dead letters, recent events, the API
budget over a day, the integrations, the Salesforce connection and the metrics' own samples."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from . import budget

if TYPE_CHECKING:
    from ..service import Runtime
    from ..state.store import State

AGE_BUCKETS = ((60, "under 1 min"), (3600, "under 1 h"), (86_400, "under 1 day"), (None, "older"))
INTEGRATION_TABLES = {"care": ("customers", "care_cases", "messages"), "chat": ("chats",),
                      "bot": ("bot_requests", "bot_routes"), "interactions": ("interactions",)}
RECENT_EVENTS = 20


def oldest(state: "State", now: datetime | None = None) -> dict | None:
    """The oldest waiting operation and its age: what an operator watches during an outage."""
    found = state.oldest_pending()
    if found is not None:
        created = datetime.fromisoformat(found["created_at"])
        found["age_seconds"] = round(((now or datetime.now(timezone.utc)) - created).total_seconds(), 1)
    return found


def status(state: "State") -> dict[str, Any]:
    """What ``syncd status`` prints."""
    from ..chat.store import ChatStore

    out = {"outbox": state.counts(), "events": state.event_count(), "last_errors": state.last_errors(),
           "api_usage": state.fact("api_usage"),
           "salesforce_connection": state.fact("salesforce_connection", {"connected": True}),
           "sender": state.fact("sender"), "oldest_pending": oldest(state)}
    chats = ChatStore(state.conn)
    out["chat_jobs"] = {**chats.job_counts(), "dead": chats.dead_jobs()[:20]}
    return out


def bucket(age_seconds: float) -> str:
    for limit, label in AGE_BUCKETS:
        if limit is None or age_seconds < limit:
            return label
    return AGE_BUCKETS[-1][1]


def outbox_ages(rows: list[tuple[str, str]], now: datetime) -> dict[str, dict[str, int]]:
    """``(status, created_at)`` rows counted by status and age bucket."""
    out: dict[str, dict[str, int]] = {}
    for state_, created in rows:
        age = (now - datetime.fromisoformat(created)).total_seconds()
        counts = out.setdefault(state_, {label: 0 for _, label in AGE_BUCKETS})
        counts[bucket(age)] += 1
    return out


def outbox_age_counts(conn, now: datetime) -> dict[str, dict[str, int]]:
    """What :func:`outbox_ages` counts, counted by the database: a backlog of 100,000 operations must not
    be read row by row on the event loop every time an operator page refreshes. ``created_at`` is ISO 8601
    in UTC with milliseconds, so comparing the text compares the times."""
    whens, params = [], []
    for limit, label in AGE_BUCKETS:  # labels are constants of this module, never input
        if limit is not None:
            whens.append(f"WHEN created_at > ? THEN '{label}'")
            params.append((now - timedelta(seconds=limit)).isoformat(timespec="milliseconds"))
    case = f"CASE {' '.join(whens)} ELSE '{AGE_BUCKETS[-1][1]}' END"
    out: dict[str, dict[str, int]] = {}
    for state_, label, count in conn.execute(
            f"SELECT status, {case} AS age, COUNT(*) FROM outbox WHERE status IN ('pending', 'dead') "
            f"GROUP BY status, age", params).fetchall():
        out.setdefault(state_, {name: 0 for _, name in AGE_BUCKETS})[label] = count
    return out


def _count(conn, table: str) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # names from INTEGRATION_TABLES only


def integrations(runtime: "Runtime") -> dict[str, dict[str, Any]]:
    """Each integration's rows and jobs: ``failing`` with dead jobs, ``busy`` with waiting ones, ``idle``
    once it has data, ``unused`` before (care's writes go through the shared outbox, shown on its own)."""
    from ..chat.store import ChatStore
    from ..interactions.store import InteractionStore

    conn = runtime.state.conn
    out = {name: {"rows": {t: _count(conn, t) for t in tables}} for name, tables in INTEGRATION_TABLES.items()}
    out["chat"]["jobs"] = ChatStore(conn).job_counts()
    out["interactions"]["jobs"] = InteractionStore(conn).counts()
    for name, info in out.items():
        jobs = info.get("jobs", {})
        info["state"] = "failing" if jobs.get("dead") else ("busy" if jobs.get("pending") else
                                                            ("idle" if sum(info["rows"].values()) else "unused"))
    return out


def metric_samples(runtime: "Runtime") -> dict[str, float]:
    """The metrics as ``/metrics`` shows them (gauges refreshed first), histograms as count and sum."""
    runtime.sender.refresh_gauges()
    out: dict[str, float] = {}
    for family in runtime.metrics.registry.collect():
        for sample in family.samples:
            if sample.name.endswith(("_bucket", "_created")):
                continue
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            out[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return out


def recent_events(state: "State", limit: int = RECENT_EVENTS) -> list[dict]:
    rows = state.conn.execute("SELECT id, source, type, time, subject, received_at FROM events "
                              "ORDER BY received_at DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
    return [dict(r) for r in rows]


def dead_letters(state: "State") -> list[dict]:
    return [{"id": r.id, "sobject": r.sobject, "op": r.op, "externalIdField": r.external_id_field,
             "externalId": r.external_id, "attempts": r.attempts, "errorCode": r.last_error_code,
             "error": r.last_error, "createdAt": r.created_at} for r in state.dead_letters()]


def _leases(state: "State") -> list[dict]:
    """Per instance, the ordering keys it holds (PostgreSQL shared by several instances; else none)."""
    if not state.shared:
        return []
    from ..state.leases import leases

    return leases(state.conn, state.clock())


def operator_view(runtime: "Runtime", now: float | None = None) -> dict[str, Any]:
    from ..admin import describe
    from ..interactions.store import InteractionStore

    state = runtime.state
    now = time.time() if now is None else now
    return {"status": status(state),
            "outboxByAge": outbox_age_counts(state.conn, datetime.fromtimestamp(now, timezone.utc)),
            "deadLetters": dead_letters(state),
            "deadInteractions": InteractionStore(state.conn).dead(),
            "recentEvents": recent_events(state),
            "apiBudget": budget.history(state, now),
            "integrations": integrations(runtime),
            "salesforce": describe(runtime),
            "leases": _leases(state),
            "metrics": metric_samples(runtime)}
