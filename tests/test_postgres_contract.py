"""The state store's contract, run on both stores: SQLite (the embedded default) and PostgreSQL (a
throwaway server from the machine's binaries). Journal, outbox order (P4), dead letters, facts, pruning,
and every per-integration store through the same ``conn``; then what only a shared store has: migrations
safe when instances start at once, leases that split keys between instances and expire."""

from __future__ import annotations

import threading

import pytest

from daemon.bot.store import BotStore
from daemon.care.store import CareStore
from daemon.chat.store import ChatStore
from daemon.console.store import ConsoleStore, picked_action
from daemon.files.store import FileStore
from daemon.interactions.store import InteractionStore
from daemon.owners import OwnerCache
from daemon.state import leases
from daemon.state.db import StateError
from daemon.state.pg_migrations import PG_MIGRATIONS
from daemon.state.store import Event, Operation, State
from postgres_fixtures import pg_server, pg_url, postgresql_proc  # noqa: F401  (fixtures)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def state(location, clock):
    opened = State(location, clock=clock)
    yield opened
    opened.close()


def op(key: str, ext: str, **fields) -> Operation:
    return Operation("Contact", "Email", ext, {"LastName": "x", **fields}, ordering_key=key)


def test_events_are_accepted_once_with_their_operations(state):
    events = [Event("e1", "src", "t", {"a": 1}), Event("e2", "src", "t", {"a": 2})]
    assert state.accept(events, lambda e: [op("k", f"{e.id}@x")]) == (["e1", "e2"], [])
    assert state.accept(events[:1], lambda e: [op("k", "again@x")]) == ([], ["e1"])
    assert state.event_count() == 2 and state.pending_count() == 2


def test_a_failed_plan_commits_nothing(state):
    def plan(event):
        raise ValueError("bad rule")

    with pytest.raises(ValueError):
        state.accept([Event("e1", "s", "t", {})], plan)
    assert state.event_count() == 0 and state.pending_count() == 0


def test_ready_keeps_each_keys_order_and_waits_behind_a_retry(state, clock):
    state.enqueue("c1", [op("a", "1@x"), op("b", "2@x"), op("a", "3@x"), op("b", "4@x")])
    assert [r.external_id for r in state.ready(10)] == ["1@x", "2@x", "3@x", "4@x"]
    state.retry([1], "UNABLE_TO_LOCK_ROW", "locked", lambda attempt: 60)
    assert [r.external_id for r in state.ready(10)] == ["2@x", "4@x"]  # a's later op waits behind its head
    clock.now += 61
    assert [r.external_id for r in state.ready(2)] == ["1@x", "3@x"] or len(state.ready(2)) == 2


def test_outcomes_dead_letters_replay_and_drop(state):
    state.enqueue("c1", [op("a", "1@x"), op("b", "2@x"), op("c", "3@x")])
    state.complete([(1, "003000000000001")])
    state.kill([(2, "REQUIRED_FIELD_MISSING", "LastName")])
    state.note_failure([3], "SERVER_UNAVAILABLE", "down")
    assert state.counts() == {"pending": 1, "done": 1, "dead": 1, "dropped": 0}
    assert [d.id for d in state.dead_letters()] == [2] and state.get(3).attempts == 1
    assert state.reference("Contact", "Email", "1@x")["record_id"] == "003000000000001"
    assert state.replay(2) and not state.replay(2)
    state.kill([(2, "X", "again")])
    assert state.drop(2) and state.counts()["dropped"] == 1
    assert state.last_errors()[0]["id"] == 3 and state.oldest_pending()["id"] == 3


def test_facts_and_pruning(state, clock):
    state.set_fact("api_usage", {"used": 5, "max": 100})
    state.set_fact("api_usage", {"used": 6, "max": 100})
    assert state.fact("api_usage") == {"used": 6, "max": 100} and state.fact("none", 7) == 7
    clock.now = __import__("time").time()
    state.enqueue("c1", [op("a", "1@x"), op("b", "2@x")])
    state.complete([(1, None)])
    clock.now += 7200
    assert state.prune_finished(3600) == 1 and state.counts()["pending"] == 1


def test_care_store_cases_messages_and_deletion(state):
    care = CareStore(state.conn)
    with state.transaction():
        care.upsert_customer({"id": "u1", "platform": "web", "name": "Ann", "vip": True}, "2026-01-01T00:00:00Z")
        assert care.customer("u1")["vip"] is True
        care.upsert_customer({"id": "u1", "email": "ann@x"}, "2026-01-02T00:00:00Z")
        first = care.new_case("u1", "p1", "2026-01-01T00:00:00Z")
        second = care.new_case("u1", "p1", "2026-01-02T00:00:00Z")
        for i in range(3):
            care.add_message(first, {"id": f"m{i}", "platform": "web", "direction": "inbound",
                                     "time": f"2026-01-01T00:00:0{i}Z", "text": f"t{i}"})
    assert care.customer("u1")["name"] == "Ann" and care.customer("u1")["email"] == "ann@x"
    assert first != second and first.endswith("_1")
    assert [m["id"] for m in care.messages(first, 2)] == ["m1", "m2"] and care.message_count(first) == 3
    assert care.has_message("web", "m0") and care.last_inbound_time(first) == "2026-01-01T00:00:02Z"
    event = Event("ev1", "s", "io.syncd.care.message.v1", {"customer": {"id": "u1"}, "messageId": "m0", "text": "secret"})
    state.accept([event], lambda e: [Operation("Case", "Ext__c", first, {}, f"care-case:{first}")])
    with state.transaction():
        assert care.delete_case(first)
    assert "secret" not in state.conn.execute("SELECT data FROM events WHERE id = 'ev1'").fetchone()[0]
    assert state.counts()["dropped"] == 1 and care.case(first) is None and care.case(second) is not None
    with state.transaction():
        assert care.new_case("u1", "p1", "2026-01-03T00:00:00Z").endswith("_3")  # numbers never reused


def test_chat_interaction_bot_console_file_and_owner_stores(state, clock):
    chats, jobs = ChatStore(state.conn, clock), InteractionStore(state.conn, clock)
    bot, console, files, owners = BotStore(state.conn), ConsoleStore(state.conn), FileStore(state.conn), \
        OwnerCache(state.conn)
    with state.transaction():
        state.conn.execute("INSERT INTO events(id, source, type, data, received_at) VALUES ('e', 's', 't', '{}', 'n')")
        chats.merge_chat("c1", "chat", {"visitor": {"name": "A"}, "transcript": ["hi"]}, "n")
        chats.merge_chat("c1", "chat", {"visitor": {"email": "a@x"}, "transcript": []}, "n")
        assert chats.queue_job("c1", "person", "create", "e", "n") and not chats.queue_job("c1", "person", "x", "e", "n")
        jobs.queue("i1", {"customers": [{"email": "a@x"}]}, "e", "n")
        jobs.queue("i1", {"customers": [{"email": "b@x"}]}, "e", "n")
        bot.begin("k1", "fp", 10.0, 60.0)
        bot.finish("k1", 201, {"id": "003"})
        bot.remember_route("r1", {"found": False}, 10.0, 60.0)
        console.remember("v1", {"found": True}, 10.0, 60.0)
        assert console.reserve("c1", "contact", "fp", "n") and not console.reserve("c1", "lead", "fp", "n")
        files.keep("f1", b"\x00\xffbytes", "inline")
        owners.remember(["a@x", "b@x"], {"a@x": "005A"}, 10.0)
    assert chats.chat("c1")["data"] == {"visitor": {"name": "A", "email": "a@x"}, "transcript": ["hi"]}
    job = chats.due_jobs(10)[0]
    with state.transaction():
        chats.retry_job(job.id, "X", "later", 5)
    assert chats.due_jobs(10) == [] and chats.job_counts()["pending"] == 1
    due = jobs.due(10)[0]
    assert [c["email"] for c in due.data["customers"]] == ["a@x", "b@x"] and due.revision == 2
    with state.transaction():
        jobs.finish(due, "n")
    assert jobs.counts()["done"] == 1
    assert bot.request("k1", 20.0, 60.0).answer == {"id": "003"} and bot.route("r1", 20.0, 60.0)[0] == {"found": False}
    assert console.answer("v1", 20.0, 60.0)[0] == {"found": True} and picked_action(state.conn, "c1") == "contact"
    assert files.data("f1") == b"\x00\xffbytes" and files.keys(["f1", "f2"]) == {"f1"}
    assert owners.known(["a@x", "b@x", "c@x"], 20.0, 60.0) == ({"a@x": "005A", "b@x": None}, ["c@x"])


def test_status_and_the_operator_views_read_on_both(state):
    from daemon.ops.snapshot import recent_events, status

    state.accept([Event("e1", "s", "t", {}), Event("e2", "s", "t", {})], lambda e: [op("k", f"{e.id}@x")])
    assert status(state)["outbox"]["pending"] == 2
    assert [e["id"] for e in recent_events(state)] == ["e2", "e1"]  # newest first, one batch by arrival
    from datetime import datetime, timezone

    from daemon.ops.snapshot import outbox_age_counts

    assert outbox_age_counts(state.conn, datetime.now(timezone.utc))["pending"]["under 1 min"] == 2


def test_reopening_migrates_nothing_twice(location):
    State(location).close()
    again = State(location)
    assert again.event_count() == 0
    again.close()


# -- what only the shared store has -----------------------------------------------------------------

def test_instances_starting_at_once_migrate_once(pg_url):
    errors, states = [], []

    def start():
        try:
            states.append(State(pg_url))
        except Exception as exc:  # pragma: no cover - the failure this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(states) == 4
    assert states[0].conn.execute("SELECT version FROM syncd_schema").fetchall()[0][0] == len(PG_MIGRATIONS)
    for s in states:
        s.close()


def test_a_newer_schema_is_refused(pg_url):
    State(pg_url).close()
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE syncd_schema SET version = 99")
    with pytest.raises(StateError, match="schema version 99"):
        State(pg_url)


def test_two_instances_split_the_keys_and_a_dead_ones_lease_expires(pg_url):
    clock = Clock()
    one, two = State(pg_url, clock=clock, lease_seconds=30), State(pg_url, clock=clock, lease_seconds=30)
    one.enqueue("c1", [op(f"k{i % 4}", f"{i}@x") for i in range(8)])
    mine = {r.ordering_key for r in one.ready(2)}  # the limit counts rows: k0's head and k1's head
    theirs = {r.ordering_key for r in two.ready(100)}
    assert mine and theirs and not mine & theirs and mine | theirs == {"k0", "k1", "k2", "k3"}
    assert {lease["instance"] for lease in leases.leases(one.conn, clock.now)} == {one.owner, two.owner}
    clock.now += 31  # "one" died holding its keys: after the lease, "two" takes them over
    assert {r.ordering_key for r in two.ready(100)} == {"k0", "k1", "k2", "k3"}
    assert one.ready(100) == []
    two.close()  # a clean stop gives its keys back at once
    assert {r.ordering_key for r in one.ready(100)} == {"k0", "k1", "k2", "k3"}
    one.close()


def test_claims_at_the_same_moment_never_share_a_key(pg_url):
    states = [State(pg_url) for _ in range(3)]
    states[0].enqueue("c1", [op(f"k{i}", f"{i}@x") for i in range(60)])
    got: list[list[str]] = [[] for _ in states]
    barrier = threading.Barrier(len(states))

    def claim(i):
        barrier.wait()
        got[i] = [r.ordering_key for r in states[i].ready(25)]

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(states))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [k for keys in got for k in keys]
    assert len(flat) == len(set(flat)) == 60
    for s in states:
        s.close()


def test_a_sqlite_state_moves_to_postgresql_with_its_queue(tmp_path, pg_url):
    from daemon.state.copy import CopyError, copy_state

    clock = Clock()
    old = State(str(tmp_path / "old.db"), clock=clock)
    old.accept([Event("e1", "s", "t", {})], lambda e: [op("a", "1@x"), op("a", "2@x"), op("b", "3@x")])
    old.kill([(3, "X", "dead")])
    with old.transaction():
        CareStore(old.conn).upsert_customer({"id": "u1"}, "n")
        CareStore(old.conn).new_case("u1", "p1", "n")
        FileStore(old.conn).keep("f1", b"\x00bytes", "inline")
    old.close()
    copied = copy_state(str(tmp_path / "old.db"), pg_url)
    assert copied["outbox"] == 3 and copied["events"] == 1
    new = State(pg_url, clock=clock)
    assert [r.id for r in new.ready(10)] == [1, 2] and [d.id for d in new.dead_letters()] == [3]
    assert new.accept([Event("e1", "s", "t", {})], lambda e: []) == ([], ["e1"])  # still a duplicate
    new.enqueue("c2", [op("c", "4@x")])
    assert new.get(4).external_id == "4@x"  # ids go on after the copied ones
    with new.transaction():
        assert CareStore(new.conn).new_case("u1", "p1", "n").endswith("_2")
    assert FileStore(new.conn).data("f1") == b"\x00bytes"
    new.close()
    with pytest.raises(CopyError):
        copy_state(str(tmp_path / "old.db"), pg_url)


def test_metrics_and_the_operator_view_show_each_instances_leases(pg_url):
    """Operations (issue 16): the leases every instance holds, in the metrics and on the operator page."""
    from types import SimpleNamespace

    from daemon.config import parse_config
    from daemon.metrics import Metrics
    from daemon.ops.snapshot import _leases
    from daemon.sender import Sender

    clock = Clock()
    one, two = State(pg_url, clock=clock), State(pg_url, clock=clock)
    one.enqueue("c1", [op(f"k{i}", f"{i}@x") for i in range(5)])
    assert len(one.ready(2)) == 2 and len(two.ready(100)) == 3
    metrics = Metrics()
    config = parse_config({"service": {"allow_unauthenticated": True}, "salesforce": {"embedded": True}})
    Sender(one, SimpleNamespace(), config, metrics).refresh_gauges()
    held = {s.labels["instance"]: s.value for s in metrics.leased_keys.collect()[0].samples}
    assert held == {one.owner: 2, two.owner: 3}
    assert {(lease["instance"], lease["keys"]) for lease in _leases(one)} == {(one.owner, 2), (two.owner, 3)}
    one.close()
    two.close()
