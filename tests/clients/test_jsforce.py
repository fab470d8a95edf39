"""fakeforce driven by the real jsforce client (Node), checked against the server's store.

Each test runs ``tests/clients/js/scenarios.mjs <scenario>`` with the server's URL and credentials in the
environment; the script prints one JSON object with what jsforce returned (or the error it raised).
Needs ``node`` and ``npm ci`` in tests/clients/js; the module is skipped otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fakeforce.pytest_plugin import FakeforceHandle
from jsforce_runner import EXT_FIELD, JS_DIR, NODE, missing, run_node
from fakeforce.server import FakeforceServer

pytestmark = pytest.mark.clients

if missing():
    pytest.skip(missing(), allow_module_level=True)

ID18 = re.compile(r"^[0-9A-Za-z]{18}$")
MISSING_ID = "003000000000001AAA"


def run_js(ff: FakeforceHandle, scenario: str, **extra_env: str) -> dict[str, Any]:
    return run_node(ff, "scenarios.mjs", scenario, 60, **extra_env)


def ok(step: dict) -> Any:
    assert step["ok"], f"jsforce call failed: {step['error']}"
    return step["value"]


def err(step: dict) -> dict:
    assert not step["ok"], f"jsforce call succeeded but should have failed: {step['value']}"
    return step["error"]


def no_crash(result: dict) -> dict:
    """A top-level ``error`` means a step outside ``attempt`` (a login, the code exchange) threw."""
    assert "error" not in result, f"scenario failed: {result['error']}"
    return result


@pytest.fixture
def ff_ext(ext_server: FakeforceServer) -> FakeforceHandle:
    ext_server.fakeforce.reset()
    return FakeforceHandle(ext_server)


# -- (a) SOAP login + CRUD -------------------------------------------------------------------------
def test_soap_login_identity_and_crud(ff_ext: FakeforceHandle) -> None:
    ff = ff_ext
    org = ff.org
    out = no_crash(run_js(ff, "soap_crud"))

    # login() answers the user and org ids; the session targets this server.
    assert out["userInfo"]["id"] == org.admin_user_id
    assert out["userInfo"]["organizationId"] == org.org_id
    assert out["userInfo"]["url"] == f"{ff.url}/id/{org.org_id}/{org.admin_user_id}"
    assert out["conn"]["instanceUrl"] == ff.url
    assert out["conn"]["sessionType"] == "soap"
    assert out["conn"]["accessToken"]

    identity = ok(out["identity"])
    assert identity["user_id"] == org.admin_user_id
    assert identity["organization_id"] == org.org_id
    assert identity["username"] == ff.username
    assert identity["id"] == out["userInfo"]["url"]
    assert identity["urls"]["rest"].startswith(ff.url + "/services/data/v")

    # Contact: create ...
    created = ok(out["contactCreate"])
    assert created["success"] is True and created["errors"] == []
    cid = created["id"]
    assert ID18.match(cid) and cid.startswith("003")
    # ... retrieve (all fields, then ?fields=) ...
    got = ok(out["contactRetrieve"])
    assert got["attributes"] == {"type": "Contact", "url": f"/services/data/v50.0/sobjects/Contact/{cid}"}
    assert (got["Id"], got["FirstName"], got["LastName"], got["Email"], got["Title"]) == \
        (cid, "Ada", "Lovelace", "ada@example.com", "Analyst")
    assert got["Name"] == "Ada Lovelace"
    assert got["OwnerId"] == org.admin_user_id and got["CreatedById"] == org.admin_user_id
    assert got["IsDeleted"] is False
    picked = ok(out["contactRetrieveFields"])
    # Only the asked-for fields (real orgs may add Id; the docs' example shows just the fields).
    assert {"attributes", "LastName", "Email"} <= set(picked) <= {"attributes", "Id", "LastName", "Email"}
    assert (picked["LastName"], picked["Email"]) == ("Lovelace", "ada@example.com")
    # ... update (204: jsforce fills in the save result) ...
    assert ok(out["contactUpdate"]) == {"id": cid, "success": True, "errors": []}
    after = ok(out["contactAfterUpdate"])
    assert (after["Title"], after["Phone"], after["FirstName"]) == ("Countess", "+44 20 1234", "Ada")
    # ... upsert on Id: updates that record (v50: 200 with created false).
    upsert_id = ok(out["contactUpsertById"])
    assert upsert_id == {"id": cid, "success": True, "errors": [], "created": False}
    # ... upsert on an external id: creates (201), then updates the same record (200).
    new = ok(out["contactUpsertNew"])
    assert new["success"] is True and new["created"] is True and new["errors"] == []
    again = ok(out["contactUpsertExisting"])
    assert again == {"id": new["id"], "success": True, "errors": [], "created": False}
    # ... destroy; the record is gone for the API.
    assert ok(out["contactDestroy"]) == {"id": cid, "success": True, "errors": []}
    gone = err(out["contactRetrieveDeleted"])
    assert gone["errorCode"] == "NOT_FOUND" and gone["name"] == "NOT_FOUND"

    # Server side: what jsforce sent is what the store holds.
    stored = org.store.get("Contact", cid)
    assert stored is None or stored.get("IsDeleted") is True
    if stored is not None:
        assert (stored["LastName"], stored["Title"], stored["Phone"], stored["Department"]) == \
            ("Lovelace", "Countess", "+44 20 1234", "Maths")
    babbage = org.store.get("Contact", new["id"])
    assert babbage is not None and not babbage.get("IsDeleted")
    assert (babbage["LastName"], babbage["FirstName"], babbage[EXT_FIELD]) == ("Babbage", "Charles", "ext-1")

    # Account: create, update, retrieve, upserts, destroy.
    acc = ok(out["accountCreate"])
    aid = acc["id"]
    assert aid.startswith("001") and ID18.match(aid)
    assert ok(out["accountUpdate"]) == {"id": aid, "success": True, "errors": []}
    acc_got = ok(out["accountRetrieve"])
    assert (acc_got["Name"], acc_got["Industry"]) == ("Analytical Engines plc", "Technology")
    acc_new = ok(out["accountUpsertNew"])
    assert acc_new["created"] is True and acc_new["id"].startswith("001")
    assert ok(out["accountUpsertExisting"]) == {"id": acc_new["id"], "success": True, "errors": [],
                                                "created": False}
    assert ok(out["accountDestroy"]) == {"id": aid, "success": True, "errors": []}
    assert err(out["accountRetrieveDeleted"])["errorCode"] == "NOT_FOUND"
    stored_acc = org.store.get("Account", aid)
    assert stored_acc is None or stored_acc.get("IsDeleted") is True
    difference = org.store.get("Account", acc_new["id"])
    assert (difference["Name"], difference["Phone"], difference[EXT_FIELD]) == ("Difference Ltd", "555-0100", "acc-1")
    with ff.client() as api:
        assert api.get(f"/sobjects/Account/{aid}").status_code == 404
        assert api.get(f"/sobjects/Contact/{EXT_FIELD}/ext-1").json()["Id"] == new["id"]

    # jsforce's logout() sends the SOAP logout call: the server ends that session.
    ok(out["logout"])
    with ff.http() as http:
        r = http.get("/services/data/v50.0/sobjects", headers={"Authorization": f"Bearer {out['conn']['accessToken']}"})
        assert r.status_code == 401


def test_describe_and_describe_global(fakeforce: FakeforceHandle) -> None:
    out = no_crash(run_js(fakeforce, "describe"))

    case = out["case"]
    assert case["ok"], case
    assert (case["name"], case["label"], case["keyPrefix"], case["custom"]) == ("Case", "Case", "500", False)
    assert case["createable"] is True and case["queryable"] is True
    assert case["urls"]["sobject"] == "/services/data/v50.0/sobjects/Case"
    assert case["urls"]["describe"] == "/services/data/v50.0/sobjects/Case/describe"
    assert case["urls"]["rowTemplate"] == "/services/data/v50.0/sobjects/Case/{ID}"
    for name in ("Id", "CaseNumber", "Status", "Subject", "ContactId", "AccountId", "OwnerId", "IsDeleted"):
        assert name in case["fieldNames"]
    number = case["fields"]["CaseNumber"]
    assert number["type"] == "string" and number["autoNumber"] is True and number["nameField"] is True
    assert number["createable"] is False and number["updateable"] is False
    assert number["idLookup"] is True
    status = case["fields"]["Status"]
    assert status["type"] == "picklist" and status["defaultValue"] == "New"
    assert {"New", "Working", "Escalated", "Closed"} <= set(status["picklistValues"])
    contact_id = case["fields"]["ContactId"]
    assert (contact_id["type"], contact_id["referenceTo"], contact_id["relationshipName"]) == \
        ("reference", ["Contact"], "Contact")
    assert case["fields"]["Id"]["type"] == "id"
    assert case["fields"]["SuppliedEmail"]["type"] == "email"
    assert "Case.ParentId" in case["childRelationships"]

    contact = out["contact"]
    assert contact["ok"], contact
    assert contact["keyPrefix"] == "003"
    last = contact["fields"]["LastName"]
    assert last["nillable"] is False and last["createable"] is True
    assert contact["fields"]["Email"]["type"] == "email"
    assert contact["fields"]["Name"]["nameField"] is True

    glob = out["global"]
    assert glob["ok"], glob
    assert glob["encoding"] == "UTF-8" and glob["maxBatchSize"] == 200
    objects = glob["sobjects"]
    for name, prefix in (("Account", "001"), ("Contact", "003"), ("Case", "500"), ("User", "005")):
        assert objects[name]["keyPrefix"] == prefix
        assert objects[name]["urls"]["sobject"] == f"/services/data/v50.0/sobjects/{name}"
    assert objects["Case"]["createable"] is True and objects["Case"]["custom"] is False
    # The server's schema and jsforce's view agree on the object list.
    assert set(objects) == set(fakeforce.org.schema.names())

    unknown = err(out["unknown"])
    assert unknown["errorCode"] == "NOT_FOUND"
    assert unknown["message"] == "The requested resource does not exist"


# -- (b) OAuth username-password flow -------------------------------------------------------------
def test_oauth_password_flow(fakeforce: FakeforceHandle) -> None:
    org = fakeforce.org
    out = no_crash(run_js(fakeforce, "oauth_password"))
    assert out["userInfo"]["id"] == org.admin_user_id
    assert out["userInfo"]["organizationId"] == org.org_id
    assert out["userInfo"]["url"] == f"{fakeforce.url}/id/{org.org_id}/{org.admin_user_id}"
    assert out["conn"]["instanceUrl"] == fakeforce.url
    assert out["conn"]["sessionType"] == "oauth2"
    # The username-password flow never hands out a refresh token.
    assert out["refreshToken"] is None
    identity = ok(out["identity"])
    assert identity["username"] == fakeforce.username
    assert identity["user_id"] == org.admin_user_id

    created = ok(out["create"])
    assert created["success"] is True
    stored = org.store.get("Contact", created["id"])
    assert (stored["LastName"], stored["Email"]) == ("OAuth", "oauth@example.com")
    assert stored["CreatedById"] == org.admin_user_id
    assert ok(out["retrieve"])["Email"] == "oauth@example.com"

    # The token jsforce holds is a live session on the server.
    with fakeforce.client(token=out["conn"]["accessToken"]) as api:
        r = api.get(f"/sobjects/Contact/{created['id']}")
        assert r.status_code == 200 and r.json()["LastName"] == "OAuth"


# -- (c) wrong credentials ------------------------------------------------------------------------
def test_wrong_password(fakeforce: FakeforceHandle) -> None:
    out = no_crash(run_js(fakeforce, "bad_password"))
    # SOAP: jsforce throws a plain Error with the <faultstring> text.
    soap = err(out["soap"])
    assert soap["name"] == "Error" and soap["errorCode"] is None
    assert soap["message"] == "INVALID_LOGIN: Invalid username, password, security token; or user locked out."
    assert err(out["soapUnknownUser"])["message"] == soap["message"]
    # OAuth: the error's name is the OAuth "error", its message the "error_description".
    oauth = err(out["oauth"])
    assert (oauth["name"], oauth["message"]) == ("invalid_grant", "authentication failure")
    bad_client = err(out["oauthBadClient"])
    assert (bad_client["name"], bad_client["message"]) == ("invalid_client_id", "client identifier invalid")
    assert out["soapAccessToken"] is None and out["oauthAccessToken"] is None


# -- (d) error mapping ----------------------------------------------------------------------------
def test_error_mapping(fakeforce: FakeforceHandle) -> None:
    org = fakeforce.org
    before = org.store.count("Contact")
    out = no_crash(run_js(fakeforce, "errors"))

    missing = err(out["missingLastName"])
    assert missing["errorCode"] == "REQUIRED_FIELD_MISSING" and missing["name"] == "REQUIRED_FIELD_MISSING"
    assert missing["message"] == "Required fields are missing: [LastName]"
    assert missing["fields"] == ["LastName"]

    email = err(out["badEmail"])
    assert email["errorCode"] == "INVALID_EMAIL_ADDRESS"
    assert email["message"] == "Email: invalid email address: not-an-email"
    assert email["fields"] == ["Email"]

    not_found = err(out["notFound"])
    assert not_found["errorCode"] == "NOT_FOUND"
    assert not_found["message"] == "The requested resource does not exist"
    assert err(out["badId"])["errorCode"] == "NOT_FOUND"

    unknown_field = err(out["unknownField"])
    assert unknown_field["errorCode"] == "INVALID_FIELD"
    assert "No such column 'No_Such_Field__c' on sobject of type Contact" in unknown_field["message"]
    assert err(out["unknownObject"])["errorCode"] == "NOT_FOUND"

    valid = ok(out["valid"])
    assert err(out["updateBadEmail"])["errorCode"] == "INVALID_EMAIL_ADDRESS"
    assert err(out["updateNotFound"])["errorCode"] == "NOT_FOUND"
    assert err(out["destroyNotFound"])["errorCode"] == "NOT_FOUND"
    # Only the valid contact was saved, and the failed update left it alone.
    assert org.store.count("Contact") == before + 1
    stored = org.store.get("Contact", valid["id"])
    assert stored["LastName"] == "Valid" and not stored.get("Email")


# -- (e) refresh after expiry --------------------------------------------------------------------
def test_authorization_code_and_automatic_refresh(fakeforce: FakeforceHandle) -> None:
    org = fakeforce.org
    out = no_crash(run_js(fakeforce, "refresh"))

    assert out["consentStatus"] == 200 and out["consentIsForm"] is True
    assert out["authorizationUrl"].startswith(f"{fakeforce.url}/services/oauth2/authorize?")
    assert out["decisionStatus"] == 302
    assert out["location"].startswith("http://localhost:1717/OauthRedirect?code=")
    assert out["callbackState"] == "xyz"

    tokens = out["tokens"]
    assert tokens["instance_url"] == fakeforce.url
    assert tokens["id"] == f"{fakeforce.url}/id/{org.org_id}/{org.admin_user_id}"
    assert tokens["token_type"] == "Bearer"
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["signature"]
    assert "refresh_token" in tokens["scope"].split()
    # A code works once.
    assert err(out["codeReuse"])["name"] == "invalid_grant"

    before = ok(out["before"])
    assert out["expireStatus"] == 204
    # The call after expiry got a 401, jsforce refreshed and retried it once.
    assert len(out["refreshEvents"]) == 1, out["refreshEvents"]
    new_token = out["refreshEvents"][0]["accessToken"]
    assert new_token and new_token != tokens["access_token"]
    assert out["refreshEvents"][0]["response"]["access_token"] == new_token
    assert out["accessTokenAfter"] == new_token
    assert out["refreshTokenAfter"] == tokens["refresh_token"]
    after = ok(out["after"])
    assert ok(out["afterRetrieve"])["LastName"] == "AfterExpiry"
    assert ok(out["identityAfter"])["user_id"] == org.admin_user_id

    # Server side: both contacts exist once each; the old token is dead, the new one and the refresh token work.
    assert org.store.get("Contact", before["id"])["LastName"] == "BeforeExpiry"
    assert org.store.get("Contact", after["id"])["LastName"] == "AfterExpiry"
    assert sorted(r["LastName"] for r in org.store.records("Contact") if not r.get("IsDeleted")) == \
        ["AfterExpiry", "BeforeExpiry"]
    with fakeforce.client(token=tokens["access_token"]) as api:
        assert api.get("/sobjects").status_code == 401
    with fakeforce.client(token=new_token) as api:
        assert api.get(f"/sobjects/Contact/{after['id']}").status_code == 200
    with fakeforce.http() as http:
        r = http.post("/services/oauth2/token", data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "client_id": fakeforce.client_id, "client_secret": fakeforce.client_secret})
        assert r.status_code == 200 and r.json()["access_token"]


def test_soap_session_relogin_after_expiry(fakeforce: FakeforceHandle) -> None:
    out = no_crash(run_js(fakeforce, "soap_relogin"))
    assert ok(out["before"])["success"] is True
    assert out["expireStatus"] == 204
    # jsforce's username-password refresh function logs in again over SOAP and retries.
    assert len(out["refreshEvents"]) == 1
    assert out["lastToken"] != out["firstToken"]
    after = ok(out["after"])
    assert fakeforce.org.store.get("Account", after["id"])["Name"] == "After"
    with fakeforce.client(token=out["lastToken"]) as api:
        assert api.get("/sobjects/Account/" + after["id"]).status_code == 200


@pytest.mark.parametrize("version", ["31.0", "67.0"])
def test_api_version_override(fakeforce: FakeforceHandle, version: str) -> None:
    """jsforce's ``version`` option reaches the server: record URLs carry it."""
    out = no_crash(run_js(fakeforce, "oauth_password", FAKEFORCE_API_VERSION=version))
    assert out["conn"]["version"] == version
    created = ok(out["create"])
    got = ok(out["retrieve"])
    assert got["attributes"]["url"] == f"/services/data/v{version}/sobjects/Contact/{created['id']}"


def test_missing_env_is_a_crash_not_a_result(tmp_path: Path) -> None:
    """The harness itself can fail: without the environment the script exits non-zero."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEFORCE_")}
    proc = subprocess.run([NODE, str(JS_DIR / "scenarios.mjs"), "describe"], cwd=JS_DIR, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert "FAKEFORCE_URL" in proc.stderr

