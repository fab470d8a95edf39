"""syncd's operator page in a real browser, against a running syncd and fakeforce: refused without the
management token, then the numbers checked against the state database and the org, and a dead letter
(refused by Salesforce) replayed from its button."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from conftest import screenshot
from fakeforce.pytest_plugin import CONTROL_TOKEN
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings
from syncd_helpers import API_TOKEN, Syncd, syncd_cli, upsert_event, wait_for, write_config

pytestmark = pytest.mark.browser
CARE_SCHEMA = "examples/care-schema.json"


@pytest.fixture(scope="module")
def org():
    settings = OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN)
    with FakeforceServer(settings=settings, schema_files=[CARE_SCHEMA]) as server:
        yield server


@pytest.fixture(scope="module")
def syncd(org, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ops")
    daemon = Syncd(write_config(folder, org.url)).start()
    yield daemon
    daemon.kill()


def state_rows(syncd, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(f"file:{syncd.config.parent / 'state' / 'syncd.db'}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def open_page(page, syncd) -> None:
    page.goto(syncd.url + "/ops")
    page.fill("#token", API_TOKEN)
    page.click("#login-form button")
    page.wait_for_selector("#view:not([hidden])")


def test_refused_without_the_management_token(page, syncd):
    assert httpx.get(syncd.url + "/v1/admin/ops").status_code == 401
    page.goto(syncd.url + "/ops")
    assert "Outbox" not in page.inner_text("body")  # the shell holds no data
    page.fill("#token", "wrong-token-0123456789")
    page.click("#login-form button")
    page.locator("#login-error", has_text="That token was refused.").wait_for()
    assert page.locator("#view").is_hidden()


def test_the_page_shows_what_the_state_and_syncd_status_say(page, syncd, org):
    assert syncd.send([upsert_event("ok-1", "cust-1"), upsert_event("ok-2", "cust-2")]).status_code == 202
    wait_for(lambda: state_rows(syncd, "SELECT COUNT(*) FROM outbox WHERE status = 'done'")[0][0] == 2)
    open_page(page, syncd)
    assert page.locator("#connection td").first.inner_text() == "true"
    status = json.loads(syncd_cli(syncd.config, "status").stdout)
    headers = page.locator("#outbox th").all_inner_texts()
    values = page.locator("#outbox td").all_inner_texts()
    shown = dict(zip(headers, values))
    assert {k: int(shown[k]) for k in status["outbox"]} == status["outbox"]
    assert int(shown["events"]) == status["events"] == 2
    events = page.locator("#events tbody tr td:nth-child(5)").all_inner_texts()
    assert set(events) == {"ok-1", "ok-2"}
    usage = status["api_usage"]
    assert page.locator("#budget-now").inner_text().startswith(f"Used {usage['used']} of {usage['max']}")
    names = page.locator("#integrations tbody td:first-child").all_inner_texts()
    assert names == ["care", "chat", "bot", "interactions"]
    care = page.locator("#integrations tbody tr").first.locator("td")
    customers = state_rows(syncd, "SELECT COUNT(*) FROM customers")[0][0]
    assert care.nth(1).inner_text() == ("idle" if customers else "unused")
    assert json.loads(care.nth(3).inner_text())["customers"] == customers
    calls = page.locator("#metrics tr", has_text="syncd_salesforce_api_calls_total").locator("td").nth(1)
    assert float(calls.inner_text()) >= 1


def test_a_dead_letter_shows_salesforce_error_and_replays(page, syncd, org):
    bad = upsert_event("bad-1", "cust-bad", fields={"LastName": "X", "No_Such_Field__c": "y"})
    assert syncd.send(bad).status_code == 202
    wait_for(lambda: state_rows(syncd, "SELECT COUNT(*) FROM outbox WHERE status = 'dead'")[0][0] == 1)
    (oid, code, message, attempts), = state_rows(syncd, "SELECT id, last_error_code, last_error, attempts FROM "
                                                         "outbox WHERE status = 'dead'")
    open_page(page, syncd)
    row = page.locator("#dead tbody tr").first
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == str(oid) and cells[5] == code and cells[6] == message
    assert code == "INVALID_FIELD" and "No_Such_Field__c" in message  # Salesforce's words, kept as they came
    screenshot(page, "syncd-ops")
    sent_before = len(org.fakeforce.requests.find(_any()))
    row.locator("button[data-replay]").click()
    page.locator("#notice", has_text=f"Operation {oid} queued again.").wait_for()
    # syncd sends it again: the org's journal sees a new request, and Salesforce refuses it again
    wait_for(lambda: len(org.fakeforce.requests.find(_any())) > sent_before)
    wait_for(lambda: state_rows(syncd, "SELECT status FROM outbox WHERE id = ?", oid) == [("dead",)])
    assert httpx.post(f"{syncd.url}/v1/admin/dead-letters/999999/replay",
                      headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 404


def _any():
    from fakeforce.requestlog import Filter

    return Filter(path="/services/data", limit=10_000)
