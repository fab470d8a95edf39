"""syncd against a misbehaving org: 503s, REQUEST_LIMIT_EXCEEDED, expired sessions, latency, dropped
connections. Nothing is lost, nothing doubled; permanent errors are parked as dead letters and replayable."""

import json
import signal

import pytest

from fakeforce import soql
from syncd_helpers import wait_for, syncd_cli, Syncd, upsert_event, write_config






def contacts(org) -> dict[str, str]:
    total, rows = soql.query(org.org, "SELECT Care_Customer_Id__c, LastName FROM Contact")
    return {r["Care_Customer_Id__c"]: r["LastName"] for r in rows}


@pytest.fixture
def running(tmp_path, care_org):
    config = write_config(tmp_path, care_org.url)
    daemon = Syncd(config).start()
    yield daemon, config
    assert daemon.kill(signal.SIGTERM) == 0


@pytest.mark.parametrize("fault", [
    {"route": "/services/data/*/composite*", "status": 503, "share": 0.6},
    {"route": "/services/data/*", "status": 403, "error_code": "REQUEST_LIMIT_EXCEEDED", "count": 3},
    {"route": "/services/data/*", "status": 500, "error_code": "UNABLE_TO_LOCK_ROW", "count": 2},
    {"route": "/services/data/*/composite*", "latency_ms": 300, "count": 3},
    {"route": "/services/data/*/composite*", "drop": True, "count": 3},
], ids=["503", "limit", "lock", "latency", "drop"])
def test_transient_faults_lose_and_double_nothing(running, care_org, fault):
    daemon, config = running
    care_org.fakeforce.faults.add(fault)
    events = [upsert_event(f"f{i}", f"c{i}", ordering_key=f"c{i}") for i in range(60)]
    assert daemon.send(events).status_code == 202
    wait_for(lambda: len(contacts(care_org)) == 60)
    status = json.loads(syncd_cli(config, "status").stdout)
    wait_for(lambda: json.loads(syncd_cli(config, "status").stdout)["outbox"]["pending"] == 0)
    assert soql.query(care_org.org, "SELECT COUNT() FROM Contact")[0] == 60
    assert status["outbox"]["dead"] == 0


def test_expired_sessions_are_refreshed_without_losing_work(running, care_org):
    daemon, config = running
    assert daemon.send([upsert_event("s1", "first")]).status_code == 202
    wait_for(lambda: "first" in contacts(care_org))
    care_org.fakeforce.sessions.expire_all()
    assert daemon.send([upsert_event("s2", "second")]).status_code == 202
    wait_for(lambda: "second" in contacts(care_org))
    assert len(contacts(care_org)) == 2


def test_permanent_errors_become_dead_letters_and_replay(running, care_org):
    daemon, config = running
    bad = upsert_event("p1", "bad", fields={"LastName": "Bad", "Email": "not-an-email"})
    assert daemon.send([bad, upsert_event("p2", "good")]).status_code == 202
    wait_for(lambda: "good" in contacts(care_org))
    wait_for(lambda: "INVALID_EMAIL_ADDRESS" in syncd_cli(config, "dlq", "list").stdout)
    listing = syncd_cli(config, "dlq", "list").stdout.strip().splitlines()
    assert len(listing) == 1 and "Email: invalid email address: not-an-email" in listing[0]
    dead_id = listing[0].split("\t")[0]
    shown = json.loads(syncd_cli(config, "dlq", "show", dead_id).stdout)
    assert shown["status"] == "dead" and shown["fields"]["Email"] == "not-an-email"

    # A whole request refused once (as an admin's validation rule might) parks its operations; after the
    # cause is gone, replay sends them.
    care_org.fakeforce.faults.add({"route": "/services/data/*/composite*", "status": 400,
                                   "error_code": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "count": 1})
    assert daemon.send([upsert_event("p3", "later")]).status_code == 202
    wait_for(lambda: "FIELD_CUSTOM_VALIDATION_EXCEPTION" in syncd_cli(config, "dlq", "list").stdout)
    assert "later" not in contacts(care_org)
    later_id = [line.split("\t")[0] for line in syncd_cli(config, "dlq", "list").stdout.splitlines()
                if "later" in line][0]
    assert syncd_cli(config, "dlq", "replay", later_id).returncode == 0
    wait_for(lambda: "later" in contacts(care_org))
    assert syncd_cli(config, "dlq", "drop", dead_id).returncode == 0
    assert syncd_cli(config, "dlq", "list").stdout.strip() == ""
    assert syncd_cli(config, "dlq", "replay", "999999").returncode == 1


def test_salesforce_down_at_start_keeps_events(tmp_path, care_org):
    care_org.fakeforce.faults.add({"route": "/services/oauth2/token", "status": 503, "count": 5})
    config = write_config(tmp_path, care_org.url)
    daemon = Syncd(config).start()
    try:
        assert daemon.send([upsert_event("d1", "down")]).status_code == 202
        wait_for(lambda: "down" in contacts(care_org))
    finally:
        assert daemon.kill(signal.SIGTERM) == 0
