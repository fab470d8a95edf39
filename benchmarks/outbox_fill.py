"""Outboxes to pick from, filled through syncd's own journal (``State.accept``), and the naive pick.

The operations are what syncd plans for care messages with P1-P4 on: one SocialPost upsert per message,
plus a Case status update (P3) per inbound message, both under the care case's ordering key.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from daemon.care.rules import message_fields
from daemon.care.options import CareRules
from daemon.state.store import Event, Operation, OutboxRow, State

RULES = CareRules(storage_object="SocialPost", incoming_case_status="Working")
KEYS = 1_000
"""Care cases with work waiting in the many-keys layout."""
BLOCKED_KEYS = 10
"""Of those, keys whose head waits an hour for a retry: their later rows must not be picked (P4)."""
NOW = 1_800_000_000.0
LATER = NOW + 3600


@dataclass
class Outbox:
    """A filled state database and what is in it."""

    path: Path
    layout: str
    waiting: int
    done: int
    state: State

    def close(self) -> None:
        self.state.close()


def operations(index: int, case: int, rng: random.Random) -> list[Operation]:
    """One care message's operations, as the care handler plans them."""
    direction = rng.choice(("inbound", "outbound"))
    message = {"id": f"m{index}", "direction": direction, "time": "2026-01-01T00:00:00.000+00:00",
               "text": f"message {index}: a sentence or two of the length customers write, give or take.",
               "author": {"name": f"Customer {case}" if direction == "inbound" else "Agent"}}
    key = f"care-case:fb:{case}/page_1"
    fields = message_fields(RULES, message=message, customer={"id": f"fb:{case}"}, sf_case_id=f"500{case:015d}")
    ops = [Operation(sobject="SocialPost", external_id_field="Care_Message_Id__c", external_id=f"m{index}",
                     fields=fields, ordering_key=key)]
    if direction == "inbound":
        ops.append(Operation(sobject="Case", external_id_field="Care_Case_Id__c", external_id=f"fb:{case}/page_1",
                             fields={"Status": "Working"}, ordering_key=key))
    return ops


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def _accept(state: State, batch: list[tuple[int, int]], rng: random.Random) -> int:
    """Accept one request's worth of message events; the number of operations planned."""
    planned: dict[str, list[Operation]] = {}
    events = []
    for index, case in batch:
        event = Event(id=f"evt-{index}", source="bench", type="io.syncd.care.message.v1",
                      data={"messageId": f"m{index}", "case": case})
        planned[event.id] = operations(index, case, rng)
        events.append(event)
    state.accept(events, lambda e: planned[e.id])
    return sum(len(ops) for ops in planned.values())


def fill(folder: Path, layout: str, waiting: int, done: int = 0) -> Outbox:
    """An outbox with ``done`` finished operations (sent and confirmed, as the sender leaves them) and then
    about ``waiting`` pending ones. Layouts: ``keys`` (1,000 care cases at random, 10 of them with their
    head waiting for a retry), ``hot`` (one care case)."""
    clock = _Clock()
    path = folder / f"{layout}-{waiting}-{done}.db"
    state = State(str(path), clock=clock)
    rng = random.Random(f"{layout}-{waiting}-{done}")
    cases = 1 if layout == "hot" else KEYS
    index = 0
    finished = 0
    while finished < done:  # in slices, as a sender drains them: each pick is small
        batch = [(index + i, rng.randrange(cases)) for i in range(min(1000, done - finished))]
        index += len(batch)
        _accept(state, batch, rng)
        while rows := state.ready(1000):
            state.complete([(r.id, None) for r in rows])
            finished += len(rows)
    planned = 0
    if layout == "keys":
        clock.now = LATER  # these heads were tried and wait for their retry
        planned += _accept(state, [(index + i, i) for i in range(min(BLOCKED_KEYS, waiting))], rng)
        index += min(BLOCKED_KEYS, waiting)
        clock.now = NOW
    while planned < waiting:
        batch = [(index + i, rng.randrange(cases)) for i in range(min(1000, max(1, (waiting - planned) * 2 // 3)))]
        index += len(batch)
        planned += _accept(state, batch, rng)
    return Outbox(path, layout, state.counts()["pending"], state.counts()["done"], state)


def eligible(rows: list[OutboxRow], now: float) -> list[OutboxRow]:
    """Every pending row that may go now: due, and behind no row of its key that is not due (P4)."""
    blocked: set[str] = set()
    out = []
    for row in rows:
        if row.ordering_key in blocked:
            continue
        if row.next_attempt_at > now:
            blocked.add(row.ordering_key)
            continue
        out.append(row)
    return out


def naive_pick(path: Path, limit: int, now: float = NOW) -> list[OutboxRow]:
    """The baseline: every pending row loaded whole, in outbox order, then filtered in Python."""
    conn = sqlite3.connect(str(path))
    conn.row_factory = sqlite3.Row
    try:
        rows = [OutboxRow.from_row(r) for r in
                conn.execute("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id").fetchall()]
    finally:
        conn.close()
    return eligible(rows, now)[:limit]


def vm_steps(state: State, action: Callable[[], object], every: int = 10) -> tuple[int, list[str]]:
    """SQLite virtual-machine steps (to ``every``) and the statements ``action`` runs on the state's
    connection: the work of a query, independent of the machine's speed."""
    steps = [0]
    statements: list[str] = []

    def count() -> int:
        steps[0] += every
        return 0

    state.conn.set_progress_handler(count, every)
    state.conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        state.conn.set_progress_handler(None, every)
        state.conn.set_trace_callback(None)
    return steps[0], statements


def query_plans(state: State, statements: list[str]) -> dict[str, list[str]]:
    """EXPLAIN QUERY PLAN of each distinct SELECT among ``statements`` (already expanded with values)."""
    plans: dict[str, list[str]] = {}
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT") or sql in plans:
            continue
        plans[sql] = [row[3] for row in state.conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()]
    return plans
