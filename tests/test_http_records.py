"""sObject CRUD and upsert over HTTP, with Salesforce's status codes and error arrays."""

import re

import pytest

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


@pytest.fixture
def api(fakeforce):
    with fakeforce.client() as client:
        yield client


def error(response):
    body = response.json()
    assert isinstance(body, list) and len(body) >= 1, body
    return body[0]


def test_create_read_update_delete(api, fakeforce):
    r = api.post("/sobjects/Account/", json={"Name": "Acme"})
    assert r.status_code == 201
    body = r.json()
    assert body["success"] is True and body["errors"] == []
    account_id = body["id"]
    assert len(account_id) == 18 and account_id.startswith("001")

    r = api.post("/sobjects/Contact", json={"FirstName": "Jane", "LastName": "Doe", "Email": "jane@example.com",
                                            "AccountId": account_id})
    contact_id = r.json()["id"]

    r = api.get(f"/sobjects/Contact/{contact_id}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    record = r.json()
    assert list(record)[0] == "attributes"
    assert record["attributes"] == {"type": "Contact", "url": f"/services/data/v67.0/sobjects/Contact/{contact_id}"}
    assert record["Name"] == "Jane Doe"
    assert record["OwnerId"] == fakeforce.org.admin_user_id
    assert record["CreatedById"] == fakeforce.org.admin_user_id
    assert DATETIME.match(record["CreatedDate"]) and DATETIME.match(record["SystemModstamp"])
    assert record["IsDeleted"] is False
    assert "Phone" in record and record["Phone"] is None

    r = api.get(f"/sobjects/Contact/{contact_id[:15]}", params={"fields": "LastName,Email"})
    assert r.json() == {"attributes": record["attributes"], "LastName": "Doe", "Email": "jane@example.com"}

    r = api.patch(f"/sobjects/Contact/{contact_id}", json={"Phone": "+1 555 0100", "FirstName": "Janet"})
    assert r.status_code == 204 and r.content == b""
    stored = fakeforce.org.store.get("Contact", contact_id)
    assert stored["Phone"] == "+1 555 0100" and stored["Name"] == "Janet Doe"

    assert api.delete(f"/sobjects/Contact/{contact_id}").status_code == 204
    r = api.get(f"/sobjects/Contact/{contact_id}")
    assert r.status_code == 404
    assert fakeforce.org.store.get("Contact", contact_id)["IsDeleted"] is True
    assert api.delete(f"/sobjects/Contact/{contact_id}").status_code == 404
    assert error(api.patch(f"/sobjects/Contact/{contact_id}", json={"Phone": "1"}))["errorCode"] == \
        "ENTITY_IS_DELETED"


def test_case_defaults_auto_number_and_closing(api, fakeforce):
    first = api.post("/sobjects/Case", json={"Subject": "Broken"}).json()["id"]
    second = api.post("/sobjects/Case", json={"Subject": "Also broken"}).json()["id"]
    a, b = (api.get(f"/sobjects/Case/{i}").json() for i in (first, second))
    assert a["CaseNumber"] == "00000001" and b["CaseNumber"] == "00000002"
    assert a["Status"] == "New" and a["Priority"] == "Medium" and a["IsClosed"] is False
    api.patch(f"/sobjects/Case/{first}", json={"Status": "Closed"})
    closed = api.get(f"/sobjects/Case/{first}").json()
    assert closed["IsClosed"] is True and DATETIME.match(closed["ClosedDate"])
    r = api.patch(f"/sobjects/Case/{first}", json={"CaseNumber": "X"})
    assert r.status_code == 400
    assert error(r) == {"errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "fields": ["CaseNumber"],
                        "message": error(r)["message"]}


@pytest.mark.parametrize("body, code, fields", [
    ({"FirstName": "No last name"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
    ({"LastName": "X", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
    ({"LastName": "X" * 81}, "STRING_TOO_LONG", ["LastName"]),
    ({"LastName": "X", "Bogus__c": 1}, "INVALID_FIELD", None),
    ({"LastName": "X", "Name": "Full"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["Name"]),
    ({"LastName": "X", "AccountId": "not-an-id"}, "MALFORMED_ID", ["AccountId"]),
    ({"LastName": "X", "AccountId": "001000000000001AAA"}, "INVALID_CROSS_REFERENCE_KEY", ["AccountId"]),
    ({"LastName": "X", "Birthdate": "yesterday"}, "JSON_PARSER_ERROR", None),
])
def test_validation_errors(api, fakeforce, body, code, fields):
    before = fakeforce.org.store.count("Contact")
    r = api.post("/sobjects/Contact", json=body)
    assert r.status_code == 400
    err = error(r)
    assert err["errorCode"] == code
    assert err["message"]
    if fields is not None:
        assert err["fields"] == fields
    assert fakeforce.org.store.count("Contact") == before


@pytest.mark.parametrize("body", [{"IsEscalated": "maybe"}, {"IsEscalated": 3}, {"Subject": {"a": 1}}])
def test_wrong_json_types(api, body):
    r = api.post("/sobjects/Case", json=body)
    assert r.status_code == 400
    assert error(r)["errorCode"] == "JSON_PARSER_ERROR"


def test_reference_to_the_wrong_object(api):
    case_id = api.post("/sobjects/Case", json={}).json()["id"]
    r = api.post("/sobjects/Contact", json={"LastName": "X", "AccountId": case_id})
    assert error(r)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_restricted_picklist(api):
    r = api.post("/sobjects/Account", json={"Name": "A", "BillingGeocodeAccuracy": "Somewhere"})
    assert r.status_code == 400
    assert error(r)["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_required_field_cannot_be_cleared(api):
    cid = api.post("/sobjects/Contact", json={"LastName": "X"}).json()["id"]
    r = api.patch(f"/sobjects/Contact/{cid}", json={"LastName": None})
    assert error(r)["errorCode"] == "REQUIRED_FIELD_MISSING"


@pytest.mark.parametrize("raw, expected", [
    (b"{not json", "JSON_PARSER_ERROR"),
    (b"", "JSON_PARSER_ERROR"),
    (b"[1, 2]", "JSON_PARSER_ERROR"),
    (b"\xff\xfe", "JSON_PARSER_ERROR"),
])
def test_malformed_bodies(api, fakeforce, raw, expected):
    r = api.post("/sobjects/Contact", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert error(r)["errorCode"] == expected
    assert fakeforce.org.store.count("Contact") == 0


def test_oversize_body_is_refused(api, fakeforce):
    fakeforce.instance.max_body_bytes, saved = 1000, fakeforce.instance.max_body_bytes
    try:
        r = api.post("/sobjects/Contact", json={"LastName": "X", "Description": "y" * 2000})
    finally:
        fakeforce.instance.max_body_bytes = saved
    assert r.status_code == 413
    assert error(r)["errorCode"] == "REQUEST_ENTITY_TOO_LARGE"


def test_unknown_object_and_bad_ids(api):
    assert error(api.get("/sobjects/Nope__c/describe")) == {
        "errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    assert api.post("/sobjects/Nope__c", json={}).status_code == 404
    r = api.get("/sobjects/Contact/Unknown_Field__c/abc")
    assert r.status_code == 404
    assert error(r)["message"] == "Provided external ID field does not exist or is not accessible: Unknown_Field__c"
    assert api.get("/sobjects/Contact/003000000000001AAA").status_code == 404


def test_method_not_allowed(api):
    r = api.put("/sobjects/Contact")
    assert r.status_code == 405
    assert error(r) == {"errorCode": "METHOD_NOT_ALLOWED",
                        "message": "HTTP Method 'PUT' not allowed. Allowed are GET,HEAD,POST"}


def test_upsert_by_external_id(tmp_path):
    import json

    from fakeforce.server import FakeforceServer
    from fakeforce.settings import OrgSettings

    schema = tmp_path / "contact.json"
    schema.write_text(json.dumps({"name": "Contact", "fields": [
        {"name": "Care_Id__c", "type": "string", "length": 40, "externalId": True},
        {"name": "Login__c", "type": "string", "length": 40, "externalId": True, "unique": True}]}))
    with FakeforceServer(settings=OrgSettings(), schema_files=[schema]) as server:
        token = server.fakeforce.sessions.issue(server.org.admin_user_id, "fakeforce").token
        import httpx

        with httpx.Client(base_url=f"{server.url}/services/data/v67.0",
                          headers={"Authorization": f"Bearer {token}"}) as api:
            r = api.patch("/sobjects/Contact/Care_Id__c/c-1", json={"LastName": "One"})
            assert r.status_code == 201
            assert r.json() | {"id": None} == {"id": None, "success": True, "errors": [], "created": True}
            first = r.json()["id"]
            r = api.patch("/sobjects/Contact/Care_Id__c/c-1", json={"LastName": "Uno"})
            assert r.status_code == 200 and r.json() == {"id": first, "success": True, "errors": [],
                                                         "created": False}
            assert server.org.store.get("Contact", first)["LastName"] == "Uno"
            with httpx.Client(base_url=f"{server.url}/services/data/v45.0",
                              headers={"Authorization": f"Bearer {token}"}) as old:
                assert old.patch("/sobjects/Contact/Care_Id__c/c-1", json={"LastName": "Eins"}).status_code == 204

            assert api.get("/sobjects/Contact/Care_Id__c/c-1").json()["Id"] == first
            # A second record with the same (non-unique) external id makes the key ambiguous: 300.
            api.post("/sobjects/Contact", json={"LastName": "Dup", "Care_Id__c": "C-1"})
            r = api.patch("/sobjects/Contact/Care_Id__c/c-1", json={"LastName": "?"})
            assert r.status_code == 300
            assert len(r.json()) == 2 and all(u.startswith("/services/data/v67.0/sobjects/Contact/")
                                              for u in r.json())
            assert api.get("/sobjects/Contact/Care_Id__c/c-1").status_code == 300
            # A unique field refuses duplicates.
            api.post("/sobjects/Contact", json={"LastName": "A", "Login__c": "jane"})
            r = api.post("/sobjects/Contact", json={"LastName": "B", "Login__c": "JANE"})
            assert error(r)["errorCode"] == "DUPLICATE_VALUE"
            # A failing upsert leaves nothing behind.
            count = server.org.store.count("Contact")
            r = api.patch("/sobjects/Contact/Care_Id__c/new-1", json={"Email": "bad"})
            assert r.status_code == 400 and server.org.store.count("Contact") == count
            assert api.delete("/sobjects/Contact/Login__c/jane").status_code == 204


def test_a_deactivated_owner_is_refused(api, fakeforce):
    """INACTIVE_OWNER_OR_USER, as an org answers a record given to a deactivated user; nothing is stored."""
    refs = fakeforce.seed({"users": [{"ref": "gone", "Username": "gone@example.com", "LastName": "Gone",
                                      "IsActive": False}, {"ref": "here", "Username": "here@example.com",
                                                           "LastName": "Here"}]})
    gone, here = refs["gone"], refs["here"]
    r = api.post("/sobjects/Task", json={"Subject": "Call", "OwnerId": gone})
    assert r.status_code == 400
    assert r.json() == [{"message": f"operation performed with inactive user [{gone}] as owner of task",
                         "errorCode": "INACTIVE_OWNER_OR_USER", "fields": []}]
    assert fakeforce.org.store.count("Task") == 0
    task = api.post("/sobjects/Task", json={"Subject": "Call", "OwnerId": here}).json()["id"]
    assert error(api.patch(f"/sobjects/Task/{task}", json={"OwnerId": gone}))["errorCode"] == "INACTIVE_OWNER_OR_USER"
