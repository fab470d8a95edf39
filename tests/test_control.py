"""The /_fakeforce control surface: reset, seed, clock, faults, counters; and its protection."""

import httpx
import pytest

from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings


@pytest.fixture
def control(fakeforce):
    with fakeforce.control() as client:
        yield client


def test_control_is_off_by_default_and_needs_the_token(fakeforce):
    with FakeforceServer(settings=OrgSettings()) as server:
        assert httpx.post(f"{server.url}/_fakeforce/reset").status_code == 404
    with fakeforce.http() as http:
        r = http.post("/_fakeforce/reset")
        assert r.status_code == 401
        r = http.post("/_fakeforce/reset", headers={"X-Fakeforce-Token": "wrong"})
        assert r.status_code == 401


def test_seed_with_references_and_reset(control, fakeforce):
    r = control.post("/seed", json={
        "users": [{"ref": "agent", "Username": "agent@example.com", "LastName": "Agent", "password": "pw"}],
        "records": {
            "Account": [{"ref": "acme", "Name": "Acme"}],
            "Contact": [{"ref": "jane", "LastName": "Doe", "AccountId": "@acme", "OwnerId": "@agent",
                         "CreatedDate": "2026-01-01T10:00:00Z"}],
            "Case": [{"ContactId": "@jane", "Subject": "@@home"}],
        }})
    assert r.status_code == 201
    refs = r.json()["refs"]
    contact = fakeforce.org.store.get("Contact", refs["jane"])
    assert contact["AccountId"] == refs["acme"] and contact["OwnerId"] == refs["agent"]
    assert contact["CreatedDate"] == "2026-01-01T10:00:00.000+0000"
    case = next(fakeforce.org.store.records("Case"))
    assert case["Subject"] == "@home"
    assert fakeforce.org.check_password("agent@example.com", "pw") == refs["agent"]

    r = control.post("/seed", json={"records": {"Contact": [{"LastName": "A"}, {"LastName": "B",
                                                                                 "AccountId": "@missing"}]}})
    assert r.status_code == 400 and "missing" in r.json()[0]["message"]
    assert fakeforce.org.store.count("Contact") == 1  # all or nothing

    assert control.post("/reset").status_code == 200
    assert fakeforce.org.store.count("Contact") == 0 and fakeforce.org.store.count("User") == 1


def test_clock(control, fakeforce):
    r = control.post("/clock", json={"set": "2030-05-01T12:00:00Z", "freeze": True})
    assert r.json() == {"now": "2030-05-01T12:00:00.000+0000", "frozen": True}
    control.post("/clock", json={"advance_seconds": 90})
    assert control.get("/clock").json()["now"] == "2030-05-01T12:01:30.000+0000"
    with fakeforce.client() as api:
        cid = api.post("/sobjects/Contact", json={"LastName": "Later"}).json()["id"]
        assert api.get(f"/sobjects/Contact/{cid}").json()["CreatedDate"] == "2030-05-01T12:01:30.000+0000"
    assert control.post("/clock", json={"bogus": 1}).status_code == 400


def test_faults_next_n_and_share(control, fakeforce):
    r = control.post("/faults", json={"route": "/services/data/*/sobjects/Contact*", "methods": ["POST"],
                                      "status": 503, "count": 2})
    assert r.status_code == 201
    with fakeforce.client() as api:
        codes = [api.post("/sobjects/Contact", json={"LastName": "F"}).status_code for _ in range(3)]
        assert codes == [503, 503, 201]
        assert api.get("/sobjects/Account/describe").status_code == 200

        control.post("/faults", json={"route": "*", "status": 403, "error_code": "REQUEST_LIMIT_EXCEEDED",
                                      "count": 1})
        r = api.get("/sobjects")
        assert r.status_code == 403
        assert r.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]

        control.post("/faults", json={"route": "/services/data/*", "status": 500, "share": 0.5})
        codes = [api.get("/sobjects").status_code for _ in range(200)]
        assert 50 < codes.count(500) < 150 and codes.count(200) == 200 - codes.count(500)
        assert control.delete("/faults").status_code == 204
        assert api.get("/sobjects").status_code == 200
    assert control.post("/faults", json={"nonsense": True}).status_code == 400
    assert control.post("/faults", json={"route": "*"}).status_code == 400


def test_faults_latency_and_dropped_connections(control, fakeforce):
    import time

    control.post("/faults", json={"route": "/services/data/*", "latency_ms": 300, "count": 1})
    with fakeforce.client() as api:
        started = time.monotonic()
        assert api.get("/sobjects").status_code == 200
        assert time.monotonic() - started >= 0.3
        control.post("/faults", json={"route": "/services/data/*", "drop": True, "count": 1})
        with pytest.raises(httpx.HTTPError):
            api.get("/sobjects")
        assert api.get("/sobjects").status_code == 200


def test_counters_per_route(control, fakeforce):
    control.delete("/counters")
    with fakeforce.client() as api:
        api.get("/sobjects")
        api.get("/sobjects/")
        api.post("/sobjects/Contact", json={"LastName": "C"})
    body = control.get("/counters").json()
    assert body["api_usage"] == 3
    assert body["routes"]["GET /services/data/v{version}/sobjects"] == 2  # with and without the trailing slash
    assert body["routes"]["POST /services/data/v{version}/sobjects/{sobject}"] == 1


def test_daily_limit(control, fakeforce):
    control.post("/counters", json={"api_usage": fakeforce.settings.daily_api_limit})
    with fakeforce.client() as api:
        r = api.get("/sobjects")
    assert r.status_code == 403 and r.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_expire_sessions(control, fakeforce):
    with fakeforce.client() as api:
        assert api.get("/sobjects").status_code == 200
        assert control.delete("/sessions").status_code == 204
        assert api.get("/sobjects").status_code == 401
