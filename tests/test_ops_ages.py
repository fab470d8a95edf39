"""The operator page's outbox-by-age counts come from the database (a large backlog is not read row by
row on each refresh) and equal what counting every row in Python gives."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from daemon.ops.snapshot import outbox_age_counts, outbox_ages
from daemon.state.store import Operation, State


def test_counted_in_sql_as_counted_row_by_row(tmp_path) -> None:
    state = State(str(tmp_path / "s.db"))
    state.enqueue("e1", [Operation("Contact", "Ext__c", f"k{i}", {"LastName": "x"}, f"key{i}") for i in range(9)])
    now = datetime.now(timezone.utc)
    ages = [5, 59, 61, 600, 3599, 3601, 86_399, 86_401, 10**6]  # each side of every bucket's edge
    with state.transaction():
        for oid, seconds in zip(range(1, 10), ages):
            created = (now - timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
            state.conn.execute("UPDATE outbox SET created_at = ? WHERE id = ?", (created, oid))
        state.conn.execute("UPDATE outbox SET status = 'dead' WHERE id IN (2, 8)")
    rows = state.conn.execute("SELECT status, created_at FROM outbox").fetchall()
    expected = outbox_ages([(r[0], r[1]) for r in rows], now)
    assert outbox_age_counts(state.conn, now) == expected
    assert expected == {"pending": {"under 1 min": 1, "under 1 h": 3, "under 1 day": 2, "older": 1},
                        "dead": {"under 1 min": 1, "under 1 h": 0, "under 1 day": 0, "older": 1}}
    state.close()
