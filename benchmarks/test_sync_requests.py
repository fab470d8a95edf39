"""Salesforce requests spent by syncd: per escalation with a 100-message backfill, and per 1,000 propagated
messages, each beside a naive one-request-per-record baseline measured in the same run.

Run: ``make bench`` (or ``pytest benchmarks/test_sync_requests.py --benchmark-only -s``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx
import pytest

from daemon.scenarios.runner import Run, Scenario, message_event


def harness(folder: Path, contacts: int = 1) -> Run:
    scenario = Scenario(Path("bench.yaml"), "bench", ["P1"], {"org": {
        "users": [{"ref": "agent", "Username": "agent@example.com", "LastName": "Agent", "Email": "agent@example.com"}],
        "records": {"Contact": [{"ref": f"c{i}", "LastName": f"C{i}"} for i in range(contacts)]}}}, [], [])
    run = Run(scenario, folder)
    run.start()
    return run


def api_calls(run: Run) -> int:
    return run.org.server.fakeforce.usage.used


def wait_empty(run: Run) -> None:
    deadline = time.monotonic() + 60
    while run.outbox()["pending"] and time.monotonic() < deadline:
        time.sleep(0.01)


def escalate_ours(run: Run, customer: str, contact_ref: str, messages: int) -> int:
    run.send_events([message_event(run, {"customer": customer, "profile": "page", "text": f"m{i}",
                                         "id": f"{customer}-{i}"}) for i in range(messages)])
    run.call("PUT", f"/v1/care/customers/{customer}/link", {"contactId": run.refs[contact_ref]})
    before = api_calls(run)
    case_id = run.case_id({"customer": customer, "profile": "page"})
    answer = run.call("POST", f"/v1/care/cases/{case_id}/escalate", {"agent": {"email": "agent@example.com"}})
    assert answer.status_code == 201 and answer.json()["backfill"] == min(messages, 100)
    wait_empty(run)
    return api_calls(run) - before


def naive_escalation(run: Run, contact_ref: str, messages: int) -> int:
    """What a one-request-per-record integration does for the same escalation."""
    ff = run.org.server
    token = ff.fakeforce.sessions.issue(ff.org.admin_user_id, "fakeforce").token
    before = api_calls(run)
    with httpx.Client(base_url=f"{ff.url}/services/data/v62.0", headers={"Authorization": f"Bearer {token}"}) as api:
        api.get("/query", params={"q": "SELECT Id FROM User WHERE IsActive = true AND Email = 'agent@example.com'"})
        contact = api.get(f"/sobjects/Contact/{run.refs[contact_ref]}", params={"fields": "AccountId"}).json()
        case = api.post("/sobjects/Case", json={"ContactId": run.refs[contact_ref],
                                                "AccountId": contact["AccountId"]}).json()["id"]
        api.get(f"/sobjects/Case/{case}", params={"fields": "CaseNumber"})
        for i in range(min(messages, 100)):
            api.post("/sobjects/SocialPost", json={"Name": f"m{i}", "Posted": "2026-01-01T00:00:00Z",
                                                   "ParentId": case})
    return api_calls(run) - before


@pytest.fixture
def folder():
    with tempfile.TemporaryDirectory() as path:
        yield Path(path)


def test_requests_per_escalation_with_backfill(benchmark, folder):
    run = harness(folder, contacts=2)
    try:
        counts = {}
        counts["syncd"] = benchmark.pedantic(escalate_ours, args=(run, "fb:1", "c0", 100), rounds=1, iterations=1)
        counts["naive"] = naive_escalation(run, "c1", 100)
    finally:
        run.close()
    benchmark.extra_info.update({"requests_syncd": counts["syncd"], "requests_naive": counts["naive"]})
    print(f"\nrequests per escalation with a 100-message backfill: syncd {counts['syncd']}, "
          f"naive {counts['naive']} ({counts['naive'] / counts['syncd']:.0f}x)")
    assert counts["syncd"] <= 3 and counts["naive"] == 104


def propagate_ours(run: Run, cases: int, per_case: int) -> int:
    before = api_calls(run)
    events = [message_event(run, {"customer": f"fb:{c}", "profile": "page", "text": f"later {i}",
                                  "id": f"later-{c}-{i}", "direction": "outbound" if i % 2 else "inbound"})
              for i in range(per_case) for c in range(cases)]
    for start in range(0, len(events), 1000):
        assert run.send_events(events[start: start + 1000]).status_code == 202
    wait_empty(run)
    return api_calls(run) - before


def test_requests_per_1000_propagated_messages(benchmark, folder):
    cases = 20
    run = harness(folder, contacts=cases)
    try:
        for c in range(cases):
            escalate_ours(run, f"fb:{c}", f"c{c}", 1)
        ours = benchmark.pedantic(propagate_ours, args=(run, cases, 50), rounds=1, iterations=1)
        ff = run.org.server
        token = ff.fakeforce.sessions.issue(ff.org.admin_user_id, "fakeforce").token
        parent = next(iter(ff.org.store.records("Case")))["Id"]
        before = api_calls(run)
        with httpx.Client(base_url=f"{ff.url}/services/data/v62.0",
                          headers={"Authorization": f"Bearer {token}"}) as api:
            for i in range(1000):
                api.post("/sobjects/SocialPost", json={"Name": f"n{i}", "Posted": "2026-01-01T00:00:00Z",
                                                       "ParentId": parent})
        naive = api_calls(run) - before
        total = sum(1 for _ in ff.org.store.records("SocialPost"))
    finally:
        run.close()
    benchmark.extra_info.update({"requests_syncd": ours, "requests_naive": naive})
    print(f"\nrequests per 1,000 propagated messages across {cases} cases: syncd {ours}, naive {naive} "
          f"({naive / ours:.0f}x)")
    assert total == cases * 1 + 1000 + 1000
    assert ours <= 3 and naive == 1000
