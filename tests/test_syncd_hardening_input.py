"""Issue 9, hostile input against a real syncd: text validated at ingest, ids checked before they reach a
Salesforce URL, and no input at all answered with a 5xx or a traceback."""

from __future__ import annotations

import json

import httpx
import pytest

from syncd_helpers import AUTH, Syncd, message_event, upsert_event, write_config

PROBLEM = "application/problem+json"


@pytest.fixture
def syncd(tmp_path, care_org):
    daemon = Syncd(write_config(tmp_path, care_org.url)).start()
    yield daemon
    assert daemon.kill(15) == 0


def is_problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body = r.json()
    assert body["status"] == status and "Traceback" not in r.text
    return body


def raw_event(body: str) -> bytes:
    return body.encode("utf-8")


# -- 1. text validated at ingest --------------------------------------------------------------------
@pytest.mark.parametrize("event_json, pointer", [
    # a cut emoji in a message's text, in a customer name, in an id, in an upsert field, nested
    (json.dumps(message_event("s1")).replace('"Hello"', '"cut \\ud83d"'), "/0/data/text"),
    (json.dumps(message_event("s2", name="x")).replace('"fb:ann"', '"fb:\\udc00ann"', 1), "/0/data/customer/id"),
    (json.dumps(message_event("s3")).replace('"m-s3"', '"m-\\ud83d"'), "/0/data/messageId"),
    (json.dumps(upsert_event("s4", "x", fields={"LastName": "Doe"})).replace('"Doe"', '"D\\ud83do"'),
     "/0/data/fields/LastName"),
    (json.dumps(message_event("s5", author={"id": "a", "name": "N"})).replace('"N"', '"\\udfff"'),
     "/0/data/author/name"),
])
def test_lone_surrogate_refused_with_its_pointer(syncd, care_org, event_json, pointer):
    r = syncd.send([], body=raw_event(f"[{event_json}]"))
    body = is_problem(r, 422)
    assert body["errors"][0]["pointer"] == pointer, body
    assert "surrogate" in body["detail"]
    assert httpx.get(syncd.url + "/metrics").text.count('syncd_events_accepted_total 0.0') == 1


def test_whole_emoji_is_accepted(syncd):
    event = json.dumps(message_event("ok1")).replace('"Hello"', '"party \\ud83c\\udf89"')
    assert syncd.send([], body=raw_event(f"[{event}]")).status_code == 202


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_refused(syncd, number):
    event = json.dumps(upsert_event("n1", "x", fields={"NumberOfEmployees": 1})).replace(
        '"NumberOfEmployees": 1', f'"NumberOfEmployees": {number}')
    r = syncd.send([], body=raw_event(event))
    assert r.status_code in (400, 422)
    is_problem(r, r.status_code)


@pytest.mark.parametrize("event", [
    upsert_event("t1", "cust-1\n"),
    message_event("t2", customer="fb:ann\n"),
    message_event("t3", message_id="m-3\n"),
    message_event("t4", author={"id": "a", "email": "agent@example.com\n"}),
    {**message_event("t5"), "id": "t5\n"},
    {"specversion": "1.0", "id": "t6", "source": "tests", "type": "io.syncd.care.customer.updated.v1",
     "data": {"customer": {"id": "fb:ann", "email": "ann@example.com\n"}}},
])
def test_trailing_newline_is_not_an_id_or_email(syncd, event):
    is_problem(syncd.send(event), 422)


# -- 3. ids are validated and encoded before they reach a URL --------------------------------------
def _customer_with_contact(syncd, care_org) -> tuple[str, str]:
    assert syncd.send(message_event("c1")).status_code == 202
    contact = care_org.org.create("Contact", {"LastName": "Ann"}, care_org.org.admin_user_id)
    return "fb:ann", contact


@pytest.mark.parametrize("make", [
    lambda ids: f"../Opportunity/{ids['opportunity']}",
    lambda ids: f"../User/{ids['user']}",
    lambda ids: ids["user"],  # a valid id of another object
    lambda ids: ids["contact"][:17] + ("A" if ids["contact"][17] != "A" else "B"),  # wrong checksum
    lambda ids: ids["contact"] + "\n",
    lambda ids: ids["contact"][:15] + "/..",
])
def test_link_refuses_anything_but_a_contact_id(syncd, care_org, make):
    customer, contact = _customer_with_contact(syncd, care_org)
    org = care_org.org
    ids = {"contact": contact, "user": org.admin_user_id,
           "opportunity": org.create("Opportunity", {"Name": "Big", "StageName": "Prospecting",
                                                     "CloseDate": "2026-12-31"}, org.admin_user_id)}
    care_org.fakeforce.usage.reset()
    r = httpx.put(f"{syncd.url}/v1/care/customers/{customer}/link", json={"contactId": make(ids)}, headers=AUTH)
    body = is_problem(r, 422)
    assert body["errors"][0]["pointer"] == "/contactId" and body["errorCode"] == "INVALID_ID", body
    assert "Name" not in body and "Prospecting" not in r.text  # nothing read through syncd's session
    assert not any("sobjects" in k for k in care_org.fakeforce.usage.routes), care_org.fakeforce.usage.routes
    cases = httpx.get(f"{syncd.url}/v1/care/customers/{customer}/cases", headers=AUTH).json()
    assert cases["customer"]["contact_id"] is None


def test_link_accepts_15_and_18_character_contact_ids(syncd, care_org):
    customer, contact = _customer_with_contact(syncd, care_org)
    for given in (contact, contact[:15]):
        r = httpx.put(f"{syncd.url}/v1/care/customers/{customer}/link", json={"contactId": given}, headers=AUTH)
        assert r.status_code == 200 and r.json()["contactId"] == contact, r.text


# -- 4. no input gets a 500 --------------------------------------------------------------------------
def _case_id(syncd, care_org) -> str:
    """A care case whose customer is linked, so that an escalation gets past the rules to its body."""
    customer, contact = _customer_with_contact(syncd, care_org)
    assert httpx.put(f"{syncd.url}/v1/care/customers/{customer}/link", json={"contactId": contact},
                     headers=AUTH).status_code == 200
    cases = httpx.get(f"{syncd.url}/v1/care/customers/{customer}/cases", headers=AUTH).json()["cases"]
    return cases[0]["id"]


@pytest.mark.parametrize("body, status", [
    ('{"agent": "alex@care.example"}', 422),
    ('{"agent": {"email": 5}}', 422),
    ('{"agent": {"email": ["a"]}}', 422),
    ('{"agent": {"team": {"x": 1}}}', 422),
    ('{"details": "subject"}', 422),
    ('{"details": {"subject": {"a": 1}}}', 422),
    ('[]', 422),
    ('"text"', 422),
    ('{"agent": ' * 1000 + '{}' + '}' * 1000, 400),
    ('{"agent": {"email": ' + "9" * 5000 + '}}', 400),
    ('{"agent": {"email": NaN}}', 400),
    ('{"agent": ', 400),
    ('{"agent": {"name": "\\ud83d"}}', 422),
    (b'\xff\xfe{}', 400),
])
def test_escalate_wrong_bodies_get_a_problem(syncd, care_org, body, status):
    case_id = _case_id(syncd, care_org)
    r = httpx.post(f"{syncd.url}/v1/care/cases/{case_id}/escalate", content=body,
                   headers={**AUTH, "Content-Type": "application/json"})
    is_problem(r, status)


@pytest.mark.parametrize("body", ['{"contactId": 5}', '{"contactId": ["003"]}', '{"contactId": {}}',
                                  '{"contactId": "003000000000000AAA", "x": 1}', '[1]',
                                  '{' * 1000 + '}' * 1000, '{"contactId": ' + "1" * 5000 + '}'])
def test_link_wrong_bodies_get_a_problem(syncd, body):
    assert syncd.send(message_event("w1")).status_code == 202
    r = httpx.put(f"{syncd.url}/v1/care/customers/fb:ann/link", content=body,
                  headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    is_problem(r, r.status_code)


@pytest.mark.parametrize("payload", ['[' * 1000 + ']' * 1000, '{"a": ' + "7" * 5000 + '}',
                                     json.dumps(upsert_event("d1", "x")).replace('"LastName": "L-x"',
                                                                                '"LastName": ' + "7" * 5000)])
def test_ingest_deep_and_huge_numbers_get_a_problem(syncd, payload):
    r = syncd.send([], body=payload.encode())
    assert r.status_code in (400, 422)
    is_problem(r, r.status_code)


def test_unknown_route_and_wrong_method(syncd):
    body = is_problem(httpx.get(f"{syncd.url}/v1/nothing-here"), 404)
    assert "nothing-here" in body["detail"]
    r = httpx.put(f"{syncd.url}/v1/events", content=b"{}")
    is_problem(r, 405)
    assert r.headers["allow"] == "POST"
    r = httpx.post(f"{syncd.url}/v1/care/customers/fb:ann/link", headers=AUTH)
    is_problem(r, 405)
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"PUT", "DELETE"}


@pytest.mark.parametrize("path, method", [
    ("/v1/care/customers/fb:ann/link", "PUT"),
    ("/v1/care/cases/cc_x_1/escalate", "POST"),
    ("/v1/admin/salesforce/connect", "POST"),
])
def test_care_bodies_are_bounded(syncd, path, method):
    big = b'{"contactId": "' + b"0" * (70 * 1024) + b'"}'
    is_problem(httpx.request(method, syncd.url + path, content=big,
                             headers={**AUTH, "Content-Type": "application/json"}), 413)

    if "admin" in path:
        return  # takes no body: one with a large Content-Length is refused, a streamed one is never read

    def stream():  # no Content-Length: the bound holds while the body streams in
        yield b'{"contactId": "'
        for _ in range(100):
            yield b"0" * 1024
        yield b'"}'
    is_problem(httpx.request(method, syncd.url + path, content=stream(),
                             headers={**AUTH, "Content-Type": "application/json"}), 413)


def test_escalation_when_salesforce_refuses_the_login_is_503_not_the_cases_fault(syncd, care_org):
    """Wrong credentials (a password changed in the org) are no Case's fault: 503 SALESFORCE_UNAVAILABLE,
    nothing created, the agent may try again once the operator fixes the login (S3)."""
    case_id = _case_id(syncd, care_org)
    care_org.fakeforce.settings.security_token = "now-required"  # syncd's password alone no longer logs in
    care_org.fakeforce.sessions.clear()  # syncd's token is gone: it must log in again, and is refused
    r = httpx.post(f"{syncd.url}/v1/care/cases/{case_id}/escalate", json={}, headers=AUTH)
    body = is_problem(r, 503)
    assert body["code"] == "SALESFORCE_UNAVAILABLE" and "nothing was created" in body["detail"]
    assert care_org.org.store.count("Case") == 0
