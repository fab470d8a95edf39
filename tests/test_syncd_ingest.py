"""syncd's ingest API over real HTTP: signatures, CloudEvents, schemas, sizes, idempotent acceptance."""

import json
import time

import httpx
import pytest

from syncd_helpers import SECRET, Syncd, upsert_event, write_config


@pytest.fixture
def syncd(tmp_path, care_org):
    daemon = Syncd(write_config(tmp_path, care_org.url)).start()
    yield daemon
    assert daemon.kill(15) == 0  # SIGTERM drains and exits 0


def wait_done(care_org, soql, expected, timeout=15):
    from fakeforce import soql as fsoql

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        total, rows = fsoql.query(care_org.org, soql)
        if total == expected:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"{soql}: expected {expected}, have {total}")


def test_signed_event_reaches_salesforce_once(syncd, care_org):
    event = upsert_event("e1", "cust-1", fields={"LastName": "Doe", "Email": "doe@example.com"})
    r = syncd.send(event)
    assert r.status_code == 202 and r.json() == {"accepted": ["e1"], "duplicates": []}
    again = syncd.send([event, upsert_event("e2", "cust-2")])
    assert again.json() == {"accepted": ["e2"], "duplicates": ["e1"]}
    rows = wait_done(care_org, "SELECT LastName, Email FROM Contact WHERE Care_Customer_Id__c = 'cust-1'", 1)
    assert rows[0]["Email"] == "doe@example.com"
    wait_done(care_org, "SELECT Id FROM Contact", 2)
    metrics = httpx.get(syncd.url + "/metrics").text
    assert "syncd_events_accepted_total 2.0" in metrics and "syncd_events_duplicate_total 1.0" in metrics
    assert httpx.get(syncd.url + "/readyz").json() == {"ready": True, "problems": []}


def test_batches_of_events_use_few_api_calls(syncd, care_org):
    care_org.fakeforce.usage.reset()
    events = [upsert_event(f"b{i}", f"c{i}", obj="Contact") for i in range(450)]
    events += [upsert_event(f"k{i}", f"case-{i}", obj="Case", field="Care_Case_Id__c", fields={"Subject": "s"})
               for i in range(50)]
    assert syncd.send(events).status_code == 202
    wait_done(care_org, "SELECT Id FROM Contact", 450)
    wait_done(care_org, "SELECT Id FROM Case", 50)
    routes = care_org.fakeforce.usage.routes
    calls = sum(n for key, n in routes.items() if "composite" in key)
    assert calls <= 3, routes  # 500 operations in at most 3 requests (200-record collections, 5 per composite)
    # the request journal says the same, request by request: what syncd sent and what the org answered
    from fakeforce.requestlog import Filter

    deadline = time.monotonic() + 10  # an answer is journaled once it is complete: the data lands first
    while len(sent := care_org.fakeforce.requests.find(Filter(path="*/composite"))) < calls \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sent) == calls and all(e.method == "POST" and e.status == 200 for e in sent), sent
    assert all(e.user_id == care_org.org.admin_user_id for e in sent)


@pytest.mark.parametrize("mutate, status, fragment", [
    (lambda h: h.pop("webhook-signature"), 401, "missing"),
    (lambda h: h.update({"webhook-signature": "v1,AAAA"}), 401, "no valid"),
    (lambda h: h.update({"webhook-timestamp": str(int(time.time()) - 3600)}), 401, "replay window"),
])
def test_bad_signatures(syncd, mutate, status, fragment):
    from daemon.webhooks import signed_headers

    body = json.dumps(upsert_event("s1", "x")).encode()
    headers = signed_headers(SECRET, "msg_1", body)
    mutate(headers)
    r = httpx.post(syncd.url + "/v1/events", content=body, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert fragment in r.json()["detail"]


def test_wrong_secret(syncd):
    r = syncd.send(upsert_event("w1", "x"), secret="whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==")
    assert r.status_code == 401


@pytest.mark.parametrize("payload, status, pointer", [
    (b"{not json", 400, None),
    (json.dumps({"id": "x", "source": "s", "type": "io.syncd.record.upsert.v1"}).encode(), 422, "/specversion"),
    (json.dumps({**upsert_event("t", "x"), "type": "com.example.unknown"}).encode(), 422, "/type"),
    (json.dumps([upsert_event("a", "x"), {**upsert_event("b", "y"), "data": {"object": "Contact"}}]).encode(), 422,
     "/1/data/externalIdField"),
    (json.dumps(upsert_event("c", "x", fields={"LastName": {"nested": 1}})).encode(), 422, "/data/fields"),
    (json.dumps([]).encode(), 422, ""),
])
def test_schema_problems_point_at_the_problem(syncd, payload, status, pointer):
    r = syncd.send([], body=payload)
    assert r.status_code == status, r.text
    body = r.json()
    if pointer is not None:
        assert body["errors"][0]["pointer"] == pointer
    assert httpx.get(syncd.url + "/metrics").text.count("syncd_events_accepted_total 0.0") == 1


def test_oversize_body_and_batch(syncd):
    r = syncd.send([], body=b"[" + b" " * 6_000_000 + b"]")
    assert r.status_code == 413
    r = syncd.send([upsert_event(f"o{i}", f"x{i}") for i in range(1001)])
    assert r.status_code == 413


def test_event_schemas_and_openapi(syncd):
    schemas = httpx.get(syncd.url + "/v1/event-schemas").json()
    assert "io.syncd.record.upsert.v1" in schemas
    doc = httpx.get(syncd.url + "/openapi.json").json()
    assert doc["openapi"] == "3.1.0" and "/v1/events" in doc["paths"]


def test_published_event_schemas_are_current():
    """docs/events/ holds what ``syncd schemas`` writes; regenerate it when an event type changes."""
    from pathlib import Path

    from daemon.events import event_schemas
    from daemon.openapi import document

    folder = Path(__file__).resolve().parent.parent / "docs" / "events"
    for name, schema in event_schemas().items():
        assert json.loads((folder / f"{name}.schema.json").read_text()) == schema, name
    assert json.loads((folder / "syncd-openapi.json").read_text()) == document()
