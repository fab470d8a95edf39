"""Issue 9: deleting a care case deletes its text everywhere syncd holds it (messages, the events journal,
the outbox), keeps what redelivery needs (the event ids), and sends nothing more of it to Salesforce.
Also: ``/readyz`` reports the sender's problems."""

from __future__ import annotations

import sqlite3
import time

import httpx
import pytest

from syncd_helpers import wait_for, AUTH, Syncd, message_event, write_config

SECRET_TEXT = "my card number is 4111-1111"


@pytest.fixture
def syncd(tmp_path, care_org):
    config = write_config(tmp_path, care_org.url)
    config.write_text(config.read_text() + '\n[rules]\nstorage_object = "SocialPost"\n'
                      'incoming_case_status = "Working"\n')
    daemon = Syncd(config).start()
    yield daemon
    assert daemon.kill(15) == 0


def db(daemon: Syncd) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{daemon.config.parent / 'state' / 'syncd.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn




def everything_text(daemon: Syncd) -> str:
    conn = db(daemon)
    try:
        rows = [*conn.execute("SELECT data FROM events"), *conn.execute("SELECT payload FROM outbox"),
                *conn.execute("SELECT text FROM messages")]
        return "\n".join(str(r[0]) for r in rows)
    finally:
        conn.close()


def test_delete_removes_text_from_journal_and_outbox(syncd, care_org):
    org = care_org.org
    contact = org.create("Contact", {"LastName": "Ann"}, org.admin_user_id)
    assert syncd.send([message_event("e1", text=f"first: {SECRET_TEXT}"),
                       message_event("o1", customer="fb:bob", text="other case text")]).status_code == 202
    case = httpx.get(f"{syncd.url}/v1/care/customers/fb:ann/cases", headers=AUTH).json()["cases"][0]["id"]
    assert httpx.put(f"{syncd.url}/v1/care/customers/fb:ann/link", json={"contactId": contact},
                     headers=AUTH).status_code == 200
    escalated = httpx.post(f"{syncd.url}/v1/care/cases/{case}/escalate", json={"agent": {"name": "Alex"}},
                           headers=AUTH)
    assert escalated.status_code == 201, escalated.text
    wait_for(lambda: db(syncd).execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0)
    # Salesforce traffic stops (S2): what the case says next waits in the outbox
    assert httpx.post(f"{syncd.url}/v1/admin/salesforce/disconnect", headers=AUTH).status_code == 200
    assert syncd.send([message_event("e2", text=f"second: {SECRET_TEXT}"),
                       {"specversion": "1.0", "id": "st1", "source": "tests", "type": "io.syncd.care.case.assigned.v1",
                        "data": {"caseId": case, "assignee": {"name": "Agent Secretname"}}}]).status_code == 202
    key = f"care-case:{case}"
    pending = db(syncd).execute("SELECT COUNT(*) FROM outbox WHERE ordering_key = ? AND status = 'pending'",
                                (key,)).fetchone()[0]
    assert pending >= 1 and SECRET_TEXT in everything_text(syncd)

    assert httpx.delete(f"{syncd.url}/v1/care/cases/{case}", headers=AUTH).status_code == 204

    text = everything_text(syncd)
    assert SECRET_TEXT not in text and "Secretname" not in text
    assert "other case text" in text  # another case keeps its text
    conn = db(syncd)
    try:
        statuses = {r[0] for r in conn.execute("SELECT status FROM outbox WHERE ordering_key = ?", (key,))}
        assert "pending" not in statuses and "dropped" in statuses
        ids = {r[0] for r in conn.execute("SELECT id FROM events")}
        assert {"e1", "e2", "st1"} <= ids  # kept for redelivery dedupe
    finally:
        conn.close()
    # a redelivered event stays a duplicate: the text does not come back
    again = syncd.send(message_event("e2", text=f"second: {SECRET_TEXT}"))
    assert again.json() == {"accepted": [], "duplicates": ["e2"]}
    assert SECRET_TEXT not in everything_text(syncd)
    # connected again, nothing of the deleted case is sent
    from fakeforce import soql

    posts = soql.query(org, "SELECT COUNT() FROM SocialPost")[0]
    assert posts == 1  # the backfill of the first message, before the disconnect
    assert httpx.post(f"{syncd.url}/v1/admin/salesforce/connect", headers=AUTH).status_code == 200
    wait_for(lambda: db(syncd).execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0] == 0)
    time.sleep(0.5)
    assert soql.query(org, "SELECT COUNT() FROM SocialPost")[0] == posts


def test_readyz_reports_sender_problems(tmp_path, care_org):
    """A sender whose every turn fails (injected into the real process) makes syncd not ready."""
    import subprocess
    import sys

    config = write_config(tmp_path, care_org.url)
    daemon = Syncd(config)
    inject = ("import sys\nfrom daemon.sender import Sender\n"
              "async def step(self, stop):\n    raise RuntimeError('injected sender fault')\n"
              "Sender.step = step\nfrom daemon.service import run\n"
              f"sys.exit(run({str(config)!r}))\n")
    proc = subprocess.Popen([sys.executable, "-c", inject], stdout=subprocess.DEVNULL,
                            stderr=open(daemon.log, "wb"))
    try:
        def failing() -> bool:
            try:
                answer = httpx.get(daemon.url + "/readyz", timeout=1)
            except httpx.HTTPError:
                return False
            return answer.status_code == 503 and any("injected sender fault" in p for p in answer.json()["problems"])
        wait_for(failing)
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
