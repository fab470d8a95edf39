"""The interactions shell against a live fakeforce: concurrency, a relation made meanwhile, the worker, jobs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import pytest

from daemon.config import SalesforceConfig
from daemon.interactions.options import InteractionOptions
from daemon.interactions.service import Interactions
from daemon.interactions.store import InteractionStore
from daemon.interactions.worker import InteractionWorker
from daemon.salesforce.client import SalesforceClient
from daemon.salesforce.errors import SalesforceApiError
from daemon.state.store import State
from fakeforce import soql


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def setup(care_org, tmp_path: Path):
    org = care_org.org
    home = org.create("Account", {"Name": "Home"})
    inst = org.create("Account", {"Name": "Installer"})
    ids = {"home": home, "inst": inst,
           "hanna": org.create("Contact", {"LastName": "Hanna", "Email": "h@x.io", "AccountId": home}),
           "ivan": org.create("Contact", {"LastName": "Ivan", "Email": "i@x.io", "AccountId": inst})}
    state = State(str(tmp_path / "syncd.db"))
    config = SalesforceConfig(login_url=care_org.url, client_id="fakeforce", client_secret="fakeforce",
                              username="admin@fakeforce.local", password="fakeforce")
    runner = asyncio.Runner()  # one loop for the test: the client's connections belong to it
    client = SalesforceClient(config)
    service = Interactions(state, client, InteractionOptions, now)
    service.run = runner.run
    yield care_org, service, state, ids
    runner.run(client.close())
    runner.close()
    state.close()


def count(server, text: str) -> int:
    return soql.query(server.org, text)[0]


def call(home: str, *emails: str, interaction: str = "c1") -> dict:
    return {"interactionId": interaction, "channel": "phone", "account": {"id": home},
            "customers": [{"email": e} for e in emails]}


def test_concurrent_logs_of_one_interaction_make_one_task(setup) -> None:
    server, service, _, ids = setup

    async def main() -> list[dict]:
        return await asyncio.gather(*[service.log(call(ids["home"], "h@x.io", "i@x.io")) for _ in range(4)])

    answers = service.run(main())
    assert len({a["taskId"] for a in answers}) == 1 and sum(a["created"] for a in answers) == 1
    assert count(server, "SELECT COUNT() FROM Task") == 1
    assert count(server, "SELECT COUNT() FROM TaskRelation WHERE IsWhat = false") == 2


def test_a_relation_made_meanwhile_is_not_made_twice(setup, monkeypatch) -> None:
    """Between syncd's read and its write someone relates the installer: the write is refused as a duplicate
    (all of it rolled back), syncd reads again and writes only what is still missing."""
    server, service, _, ids = setup
    first = service.run(service.log(call(ids["home"], "h@x.io")))
    real_read = service._read
    done = []

    async def racing_read(statements):
        out = await real_read(statements)
        if not done:
            done.append(1)
            server.org.create("TaskRelation", {"TaskId": first["taskId"], "RelationId": ids["ivan"]})
        return out

    monkeypatch.setattr(service, "_read", racing_read)
    again = service.run(service.log(call(ids["home"], "h@x.io", "i@x.io")))
    assert again["taskId"] == first["taskId"] and again["relationsAdded"] == 0
    assert count(server, "SELECT COUNT() FROM TaskRelation WHERE IsWhat = false") == 2


def test_worker_logs_kills_and_waits(setup) -> None:
    server, service, state, ids = setup
    store = InteractionStore(state.conn, state.clock)
    worker = InteractionWorker(service, state, InteractionOptions, now)
    gone = server.org.create("Account", {"Name": "Gone"})
    server.org.delete("Account", gone)
    with state.transaction():
        store.queue("phone:good", call(ids["home"], "h@x.io", interaction="good"), "e1", now().isoformat())
        store.queue("phone:bad", call(gone, interaction="bad"), "e2", now().isoformat())
    assert service.run(worker.step()) is True
    assert store.counts() == {"pending": 0, "done": 1, "dead": 1}
    assert store.dead()[0]["last_error_code"] == "ACCOUNT_NOT_FOUND"
    assert service.run(worker.step()) is False

    server.fakeforce.faults.add({"route": "/services/data/*/composite", "status": 503, "count": 1})
    with state.transaction():
        store.queue("phone:later", call(ids["home"], interaction="later"), "e3", now().isoformat())
    with pytest.raises(SalesforceApiError):
        service.run(worker.step())  # up to the sender's circuit
    job = store.job("phone:later")
    assert job["status"] == "pending" and job["attempts"] == 1 and job["last_error_code"] == "SERVER_UNAVAILABLE"


def test_a_newer_arrival_is_never_marked_done_by_an_older_run(setup) -> None:
    _, _, state, ids = setup
    store = InteractionStore(state.conn, state.clock)
    with state.transaction():
        store.queue("phone:c1", call(ids["home"], "h@x.io"), "e1", now().isoformat())
    running = store.due(10)[0]
    with state.transaction():
        store.queue("phone:c1", call(ids["home"], "i@x.io"), "e2", now().isoformat())
        store.finish(running, now().isoformat())
    again = store.due(10)
    assert len(again) == 1 and [c["email"] for c in again[0].data["customers"]] == ["h@x.io", "i@x.io"]


def test_take_finish_and_state(setup) -> None:
    server, service, _, ids = setup
    from fakeforce.seed import load_seed

    user = load_seed(server.org, {"users": [{"ref": "alex", "Username": "alex@care.example", "LastName": "A"}]})["alex"]
    service.run(service.log(call(ids["home"], "h@x.io", "i@x.io")))
    taken = service.run(service.take("phone:c1", "ALEX@care.example"))
    assert taken["ownerId"] == user
    finished = service.run(service.finish("phone:c1", None, None))
    assert (finished["status"], finished["isClosed"]) == ("Completed", True)
    state = service.run(service.state_of("phone:c1"))
    assert [c["contactId"] for c in state["contacts"]] == [ids["hanna"], ids["ivan"]]
