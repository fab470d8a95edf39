"""The sender against a real fakeforce, driven one send at a time: bad operations are isolated, outages
never make dead letters, the circuit resumes at full speed, same-record upserts merge, the budget resumes
by itself, and the outbox pick agrees with a plain reading of the rules whatever happens to the rows."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from daemon.config import parse_config
from daemon.metrics import Metrics
from daemon.salesforce import batching
from daemon.salesforce.client import SalesforceClient
from daemon.sender import Sender
from daemon.state.store import Operation, State
from fakeforce import soql
from fakeforce.server import FakeforceServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def org():
    with FakeforceServer() as server:
        yield server


def make(org, tmp_path, **salesforce):
    config = parse_config({"salesforce": {"login_url": org.url, "client_id": "fakeforce",
                                          "client_secret": "fakeforce", "username": "admin@fakeforce.local",
                                          "password": "fakeforce", "retry_base_seconds": 0.01,
                                          "probe_cap_seconds": 0.05, **salesforce},
                           "service": {"state_path": str(tmp_path / "s.db"), "api_tokens": ["t" * 24]}})
    state = State(config.service.state_path)
    monotonic = Clock()
    client = SalesforceClient(config.salesforce, login_url=org.url)
    return state, Sender(state, client, config, Metrics(), monotonic=monotonic), monotonic


def contact(key: str, last: str, **fields) -> Operation:
    return Operation("Contact", "Email", f"{key}@example.com", {"LastName": last, **fields}, ordering_key=key)


def names(org) -> list[str]:
    return [r["LastName"] for r in soql.query(org.org, "SELECT LastName FROM Contact ORDER BY CreatedDate, Id")[1]]


_LOOP: asyncio.AbstractEventLoop | None = None


def run(coro):
    """One event loop per test: the client's connections belong to the loop that opened them."""
    return _LOOP.run_until_complete(coro)


@pytest.fixture(autouse=True)
def _loop():
    global _LOOP
    _LOOP = asyncio.new_event_loop()
    yield
    _LOOP.close()


def test_an_unencodable_operation_is_a_dead_letter_and_the_rest_is_sent(org, tmp_path):
    """A lone surrogate (a cut emoji) once crashed the sender on every try; now it parks that operation."""
    state, sender, _ = make(org, tmp_path)
    state.enqueue("e1", [contact("a", "Ann"), contact("b", "Cut \ud83d"), contact("c", "Cy")])
    run(sender.send(state.ready(100)))
    assert sorted(names(org)) == ["Ann", "Cy"]
    dead = state.dead_letters()
    assert [d.external_id for d in dead] == ["b@example.com"] and dead[0].last_error_code == "UNENCODABLE"
    assert state.counts()["pending"] == 0


def test_an_unexpected_error_is_isolated_to_its_operation(org, tmp_path, monkeypatch):
    """A bug that raises for one record's payload parks that record; the rest of its batch goes through."""
    state, sender, _ = make(org, tmp_path)
    original = batching.Chunk.subrequest

    def subrequest(self, version, reference):
        if any(r.fields.get("LastName") == "Boom" for r in self.records):
            raise RuntimeError("a bug")
        return original(self, version, reference)

    monkeypatch.setattr(batching.Chunk, "subrequest", subrequest)
    state.enqueue("e1", [contact(f"k{i}", "Boom" if i == 3 else f"N{i}") for i in range(8)])
    run(sender.send(state.ready(100)))
    assert len(names(org)) == 7
    dead = state.dead_letters()
    assert len(dead) == 1 and dead[0].last_error_code == "UNEXPECTED_ERROR" and "a bug" in dead[0].last_error


def test_a_validation_error_parks_only_its_record(org, tmp_path):
    """Collections go all-or-none: the bad record is parked, its rolled-back siblings are sent again."""
    state, sender, _ = make(org, tmp_path)
    state.enqueue("e1", [contact("a", "Ann"), Operation("Contact", "Email", "not-an-email", {"LastName": "Bad"}, "b"),
                         contact("c", "Cy")])
    run(sender.send(state.ready(100)))
    run(sender.send(state.ready(100)))
    assert names(org) == ["Ann", "Cy"]
    assert [(d.external_id, d.last_error_code) for d in state.dead_letters()] == [
        ("not-an-email", "INVALID_EMAIL_ADDRESS")]


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop": True},
                                   {"status": 403, "error_code": "REQUEST_LIMIT_EXCEEDED"}])
def test_an_outage_of_any_length_makes_no_dead_letter_and_one_probe_resumes(org, tmp_path, fault):
    state, sender, clock = make(org, tmp_path)
    state.enqueue("e1", [contact(f"k{i}", f"N{i}") for i in range(30)])
    run(sender.client.ensure_session())
    org.fakeforce.faults.add({"route": "/services/data/*", **fault})
    for _ in range(40):  # far more than the old max_attempts of 12
        clock.now += 60
        assert not sender.circuit.open or sender.circuit.half_open
        run(sender.send(state.ready(1000), probe=True))
    assert state.counts() == {"pending": 30, "done": 0, "dead": 0, "dropped": 0}
    assert sender.circuit.failures == 40 and sender.circuit.wait_seconds() <= 0.05
    # the operations' own due times did not move: once Salesforce answers, one request sends them all
    assert len(state.ready(1000)) == 30
    org.fakeforce.faults.clear()
    before = org.fakeforce.usage.used
    clock.now += 60
    run(sender.send(state.ready(1000), probe=True))
    assert org.fakeforce.usage.used - before == 1
    assert state.counts()["done"] == 30 and not sender.circuit.open
    assert all(r.attempts == 41 for r in [state.get(i) for i in range(1, 31)])


def test_upserts_of_one_record_in_a_batch_are_one_write(org, tmp_path):
    """P3 economy: a burst of status updates for one Case costs one record in one request."""
    state, sender, _ = make(org, tmp_path)
    ops = []
    for i in range(50):
        ops.append(contact("case-1", "Same", Title=f"t{i}"))
        ops.append(contact(f"other{i}", f"O{i}"))
    state.enqueue("e1", ops)
    rows = state.ready(1000)
    assert len(rows) == 100
    chunk = batching.chunks(rows)
    assert sum(len(c.records) for c in chunk) == 51
    before = org.fakeforce.usage.used
    run(sender.send(rows))
    assert org.fakeforce.usage.used - before == 1
    assert state.counts()["done"] == 100
    total, records = soql.query(org.org, "SELECT Title FROM Contact WHERE LastName = 'Same'")
    assert total == 1 and records[0]["Title"] == "t49"  # the later value wins, as if sent in order


def test_the_paused_budget_resumes_after_the_daily_reset_by_itself(org, tmp_path):
    state, sender, clock = make(org, tmp_path, budget_fraction=0.5, budget_probe_seconds=30)
    org.fakeforce.usage.set_used(org.fakeforce.usage.daily_limit - 10)
    state.enqueue("e1", [contact("a", "Ann")])
    run(sender.client.request("GET", "/limits"))  # any answer carries the usage
    assert run(sender.budget_pause()) > 0
    assert state.fact("sender")["activity"] == "paused_budget"
    assert "reached the budget" in state.fact("sender")["reason"]
    used = org.fakeforce.usage.used
    clock.now += 10
    assert run(sender.budget_pause()) > 0
    assert org.fakeforce.usage.used == used  # no probe before its interval
    org.fakeforce.org.clock.set(org.fakeforce.org.clock.now() + timedelta(days=1))  # the daily count resets
    clock.now += 30
    assert run(sender.budget_pause()) == 0
    run(sender.send(state.ready(10)))
    assert names(org) == ["Ann"]


def _reference_ready(state: State, now: float, limit: int) -> list[int]:
    """The pick as the rules say it, over every row: per key in id order, stop at the first not due."""
    rows = state.conn.execute("SELECT id, ordering_key, next_attempt_at FROM outbox WHERE status = 'pending' "
                              "ORDER BY id").fetchall()
    heads: dict[str, list] = {}
    for r in rows:
        heads.setdefault(r["ordering_key"], []).append(r)
    picked = []
    for key, members in sorted(heads.items(), key=lambda kv: (kv[1][0]["next_attempt_at"], kv[1][0]["id"])):
        for r in members:
            if r["next_attempt_at"] > now or len(picked) >= limit:
                break
            picked.append(r["id"])
    return sorted(picked)


def test_the_indexed_pick_agrees_with_the_rules_whatever_happens(tmp_path):
    clock = Clock()
    state = State(str(tmp_path / "p.db"), clock=clock)
    rng = random.Random(7)
    for step in range(300):
        action = rng.random()
        if action < 0.4:
            state.enqueue(f"e{step}", [contact(f"k{rng.randrange(12)}", "x") for _ in range(rng.randrange(1, 4))])
        ready = state.ready(1000)
        assert [r.id for r in ready] == _reference_ready(state, clock.now, 1000)
        if ready and action >= 0.4:
            row = rng.choice(ready)
            choice = rng.random()
            if choice < 0.4:
                state.complete([(row.id, None)])
            elif choice < 0.7:
                state.retry([row.id], "UNABLE_TO_LOCK_ROW", "locked", lambda attempt: rng.choice([0, 5, 50]))
            elif choice < 0.85:
                state.kill([(row.id, "X", "dead")])
            else:
                state.kill([(row.id, "X", "dead")])
                state.replay(row.id)
        clock.now += rng.choice([0, 1, 10])
        limited = state.ready(3)
        assert len(limited) <= 3
    keys = state.conn.execute("SELECT COUNT(*) FROM outbox_keys").fetchone()[0]
    waiting = state.conn.execute("SELECT COUNT(DISTINCT ordering_key) FROM outbox WHERE status = 'pending'"
                                 ).fetchone()[0]
    assert keys == waiting


def test_finished_rows_are_pruned_after_the_retention(tmp_path):
    clock = Clock()
    state = State(str(tmp_path / "p.db"), clock=lambda: clock.now)
    clock.now = __import__("time").time()
    state.enqueue("e1", [contact("a", "x"), contact("b", "y")])
    state.complete([(1, "003")])
    assert state.prune_finished(3600) == 0
    clock.now += 7200
    assert state.prune_finished(3600) == 1
    assert state.counts() == {"pending": 1, "done": 0, "dead": 0, "dropped": 0}
    assert state.oldest_pending()["external_id"] == "b@example.com"


def test_wrong_credentials_keep_the_outbox_waiting(org, tmp_path):
    """A login refused (a changed password) is no operation's fault: nothing becomes a dead letter."""
    state, sender, clock = make(org, tmp_path, password="wrong")
    state.enqueue("e1", [contact(f"k{i}", f"N{i}") for i in range(5)])
    for _ in range(20):
        clock.now += 60
        run(sender.send(state.ready(100), probe=True))
    assert state.counts() == {"pending": 5, "done": 0, "dead": 0, "dropped": 0}
    assert sender.circuit.open
