"""The request journal (issue 17): every API request kept in a bounded ring, newest first, filterable,
secrets masked, readable through the control surface (with its token) and from the pytest plugin, and
cleared by reset. What the client saw is what is kept: injected faults and dropped connections too."""

from __future__ import annotations

import json

import httpx
import pytest

from fakeforce import LATEST_API_VERSION
from fakeforce.pytest_plugin import CONTROL_TOKEN
from fakeforce.requestlog import Filter
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

DATA = f"/services/data/v{LATEST_API_VERSION}"
SOAP_LOGIN = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>
<n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{u}</n1:username>
<n1:password>{p}</n1:password></n1:login></env:Body></env:Envelope>"""


def test_a_test_can_count_what_its_code_sent(fakeforce) -> None:
    with fakeforce.client() as api:
        api.post("/composite/sobjects", json={"allOrNone": True, "records": [
            {"attributes": {"type": "Contact"}, "LastName": "Once"}]})
        api.get("/query", params={"q": "SELECT Id FROM Contact"})
        api.get("/sobjects/Nope/describe")
    composite = fakeforce.requests(path=f"{DATA}/composite")
    assert len(composite) == 1
    entry = composite[0]
    assert entry["method"] == "POST" and entry["status"] == 200
    assert json.loads(entry["request_body"])["records"][0]["LastName"] == "Once"
    assert json.loads(entry["response_body"])[0]["success"] is True
    assert entry["username"] == fakeforce.username and entry["user_id"] == fakeforce.org.admin_user_id
    assert entry["limit_info"].startswith("api-usage=")
    everything = fakeforce.requests()
    assert [e["path"].rsplit("/", 1)[-1] for e in everything] == ["describe", "query", "sobjects"]  # newest first
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert fakeforce.requests(status="4xx")[0]["path"].endswith("/Nope/describe")
    assert fakeforce.requests(status=404)[0]["status"] == 404
    assert fakeforce.requests(path="*SELECT") == []  # the path, not the query string
    assert "SELECT" in fakeforce.requests(path="*/query")[0]["query"]
    assert fakeforce.requests(method="get", limit=1)[0]["path"].endswith("/describe")


def test_secrets_never_reach_the_journal(fakeforce) -> None:
    with fakeforce.http() as http:
        token = http.post("/services/oauth2/token", data={
            "grant_type": "password", "client_id": fakeforce.client_id, "client_secret": fakeforce.client_secret,
            "username": fakeforce.username, "password": fakeforce.password}).json()["access_token"]
        http.get(f"{DATA}/limits", headers={"Authorization": f"Bearer {token}"})
        soap = http.post("/services/Soap/u/59.0", content=SOAP_LOGIN.format(u=fakeforce.username,
                                                                            p=fakeforce.password),
                         headers={"Content-Type": "text/xml", "SOAPAction": "login"})
        session = soap.text.split("<sessionId>")[1].split("</sessionId>")[0]
        http.get(f"{DATA}/limits", params={"access_token": token})
    dump = json.dumps(fakeforce.requests())
    for secret in (token, session, f"password={fakeforce.password}",
                   f"client_secret={fakeforce.client_secret}"):
        assert secret not in dump
    oauth = fakeforce.requests(path="/services/oauth2/token")[0]
    assert "password=%2A%2A%2A" in oauth["request_body"] and "client_secret=%2A%2A%2A" in oauth["request_body"]
    assert f"username={fakeforce.username}".replace("@", "%40") in oauth["request_body"]
    assert json.loads(oauth["response_body"])["access_token"] == "***"
    login = fakeforce.requests(path="/services/Soap")[0]
    assert "<n1:password>***</n1:password>" in login["request_body"]
    assert "<sessionId>***</sessionId>" in login["response_body"]
    assert fakeforce.requests(path=f"{DATA}/limits")[0]["query"] == "access_token=%2A%2A%2A"


def test_control_calls_need_the_token_and_are_not_journaled(fakeforce) -> None:
    with fakeforce.client() as api:
        api.get("/limits")
    with fakeforce.http() as http:
        refused = http.get("/_fakeforce/requests")
        assert refused.status_code == 401 and refused.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    with fakeforce.control() as control:
        for _ in range(3):
            body = control.get("/requests", params={"path": "/services/data"}).json()
        assert body["returned"] == 1 and body["requests"][0]["path"] == f"{DATA}/limits"
        assert body["size"] == 1000 and body["kept"] == 1
        for bad, word in [({"status": "4x"}, "status"), ({"limit": "0"}, "limit"), ({"since": "yesterday"}, "since"),
                          ({"pathh": "/x"}, "pathh")]:
            r = control.get("/requests", params=bad)
            assert r.status_code == 400 and word in r.json()[0]["message"], bad
        since = control.get("/requests", params={"since": "2999-01-01T00:00:00Z"}).json()
        assert since["returned"] == 0
        assert control.delete("/requests").status_code == 204
        assert control.get("/requests").json()["kept"] == 0
    with fakeforce.client() as api:
        api.get("/limits")
    fakeforce.instance.reset()
    assert fakeforce.requests() == []


def test_faults_and_drops_are_journaled_as_the_client_saw_them(fakeforce) -> None:
    fakeforce.instance.faults.add({"route": "/services/data/*/limits", "status": 503, "count": 1})
    fakeforce.instance.faults.add({"route": "/services/data/*/query*", "drop": True, "count": 1})
    with fakeforce.client() as api:
        assert api.get("/limits").status_code == 503
        with pytest.raises(httpx.HTTPError):
            api.get("/query", params={"q": "SELECT Id FROM Contact"})
    assert fakeforce.requests(status="5xx")[0]["path"].endswith("/limits")
    dropped = fakeforce.requests(status="dropped")
    assert len(dropped) == 1 and dropped[0]["path"].endswith("/query") and dropped[0]["status"] is None


def test_the_ring_is_bounded_and_bodies_are_cut() -> None:
    settings = OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN, request_log_size=3,
                           request_log_body_bytes=100)
    with FakeforceServer(settings=settings) as server:
        ff = server.fakeforce
        token = ff.sessions.issue(ff.org.admin_user_id, None).token
        with httpx.Client(base_url=f"{server.url}{DATA}",
                          headers={"Authorization": f"Bearer {token}"}) as api:
            api.post("/sobjects/Contact", json={"LastName": "L" * 80, "Description": "d" * 5000})
            for _ in range(4):
                api.get("/limits")
        kept = ff.requests.find(Filter())
        assert len(kept) == 3 and ff.requests.dropped == 2
        assert all(e.path.endswith("/limits") for e in kept)
        ff.requests.clear()
        with httpx.Client(base_url=f"{server.url}{DATA}",
                          headers={"Authorization": f"Bearer {token}"}) as api:
            api.post("/sobjects/Contact", json={"LastName": "L" * 80, "Description": "d" * 5000})
        entry = ff.requests.find(Filter())[0]
        assert entry.request_size > 5000
        assert entry.request_body.startswith('{"LastName"') and entry.request_body.endswith(
            f"...<cut: {entry.request_size} bytes in all>")
        assert len(entry.request_body) < 200
    with FakeforceServer(settings=OrgSettings(request_log_size=0)) as server:
        httpx.get(f"{server.url}/services/data/")
        assert len(server.fakeforce.requests) == 0


def test_serve_flags_size_the_journal() -> None:
    from fakeforce.cli import build_parser, settings_from

    args = build_parser().parse_args(["serve", "--request-log-size", "0", "--request-log-body-bytes", "64"])
    settings = settings_from(args)
    assert (settings.request_log_size, settings.request_log_body_bytes) == (0, 64)
    assert settings_from(build_parser().parse_args(["serve"])).request_log_size == 1000


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_form_login_is_masked_whatever_its_content_type(content_type) -> None:
    """The token endpoint reads any non-JSON body as a form, so the journal masks form pairs in any text."""
    from fakeforce.requestlog import redact_body
    body = b"grant_type=password&client_id=abc&password=SECRETPW&client_assertion=JWTVALUE"
    text = redact_body(body, content_type, 4096)
    assert "SECRETPW" not in text and "JWTVALUE" not in text
    assert "client_id=abc" in text


def test_cdata_and_bare_json_secrets_are_masked() -> None:
    from fakeforce.requestlog import redact_body
    xml = redact_body(b"<login><password><![CDATA[pw<1]]></password></login>", "text/xml", 4096)
    assert "pw" not in xml.replace("password", "")
    assert json.loads(redact_body(b'{"password": 123456, "n": 1}', "application/json", 4096)) == \
        {"password": "***", "n": 1}
