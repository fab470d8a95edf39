"""What several instances share through PostgreSQL besides the outbox: chat and interaction jobs claimed
by one instance at a time, and one Salesforce session (one login, one refresh, the token never logged)."""

from __future__ import annotations

import asyncio
import logging

from daemon.chat.store import ChatStore
from daemon.interactions.store import InteractionStore
from daemon.state.session import share_session
from daemon.state.store import State
from postgres_fixtures import pg_server, pg_url, postgresql_proc  # noqa: F401  (fixtures)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_chat_job_and_an_interaction_go_to_one_instance_until_their_claim_expires(pg_url):
    clock = Clock()
    one, two = State(pg_url, clock=clock), State(pg_url, clock=clock)
    with one.transaction():
        one.conn.execute("INSERT INTO events(id, source, type, data, received_at) VALUES ('e','s','t','{}','n')")
        for i in range(4):
            ChatStore(one.conn, clock).merge_chat(f"c{i}", "chat", {}, "n")
            ChatStore(one.conn, clock).queue_job(f"c{i}", "person", "create", "e", "n")
        InteractionStore(one.conn, clock).queue("i1", {"customers": []}, "e", "n")
    first = [j.chat_key for j in ChatStore(one.conn, clock).due_jobs(2)]
    second = [j.chat_key for j in ChatStore(two.conn, clock).due_jobs(10)]
    assert sorted(first + second) == ["c0", "c1", "c2", "c3"] and not set(first) & set(second)
    assert ChatStore(one.conn, clock).due_jobs(10) == []
    assert [j.key for j in InteractionStore(two.conn, clock).due(10)] == ["i1"]
    assert InteractionStore(one.conn, clock).due(10) == []
    clock.now += 61  # "two" died: its jobs are due again for anyone
    assert len(ChatStore(one.conn, clock).due_jobs(10)) == 4 and len(InteractionStore(one.conn, clock).due(10)) == 1
    one.close()
    two.close()


class FakeClient:
    """The part of SalesforceClient the shared session uses; counts real logins."""

    logins = 0

    def __init__(self) -> None:
        self.token: str | None = None
        self.instance_url: str | None = None
        self.login_url = "https://login.example"
        self.connected = True

    async def authenticate(self, force: bool = False) -> None:
        FakeClient.logins += 1
        await asyncio.sleep(0.05)  # the login's round trip: the other instances wait on the lock meanwhile
        self.token, self.instance_url = f"00Dsecret!token{FakeClient.logins}", "https://org.example"


def test_instances_share_one_login_and_refresh_a_rejected_token_once(pg_url, caplog):
    caplog.set_level(logging.DEBUG)
    FakeClient.logins = 0
    states = [State(pg_url) for _ in range(3)]
    clients = [FakeClient() for _ in states]
    for client, state in zip(clients, states):
        share_session(client, state)

    async def all_login():
        await asyncio.gather(*(c.authenticate() for c in clients))

    asyncio.run(all_login())
    assert FakeClient.logins == 1 and {c.token for c in clients} == {"00Dsecret!token1"}
    assert {c.instance_url for c in clients} == {"https://org.example"}
    asyncio.run(all_login())  # the session expired for everyone: one refresh, not three
    assert FakeClient.logins == 2 and {c.token for c in clients} == {"00Dsecret!token2"}
    asyncio.run(clients[0].authenticate(force=True))  # an operator's connect logs in whatever is stored
    assert FakeClient.logins == 3
    assert "secret" not in caplog.text
    for s in states:
        s.close()


def test_a_disconnect_on_one_instance_stops_the_others_at_their_next_login(pg_url):
    import pytest

    from daemon.salesforce.connection import FACT, ConnectionState
    from daemon.salesforce.errors import SalesforceApiError

    FakeClient.logins = 0
    state = State(pg_url)
    client = FakeClient()
    client.connection = ConnectionState()
    client.connected = True
    client.restore = lambda stored: setattr(client, "connected", stored.connected)
    client._disconnected_error = lambda: SalesforceApiError(0, [{"errorCode": "DISCONNECTED", "message": "x"}])
    share_session(client, state)
    asyncio.run(client.authenticate())
    state.set_fact(FACT, ConnectionState(False, "2026-01-01T00:00:00Z", "by operator", "operator").as_fact())
    with pytest.raises(SalesforceApiError):
        asyncio.run(client.authenticate())  # the token was revoked: no second login, disconnected too
    assert FakeClient.logins == 1 and client.connected is False
    state.close()
