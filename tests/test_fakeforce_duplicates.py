"""Duplicate rules over real HTTP: DUPLICATES_DETECTED with its duplicateResult on every write route,
block / alert / allow, ``Sforce-Duplicate-Rule-Header``, the control route and schema files."""

import csv
import io
import json

import pytest

from fakeforce.duplicates import DuplicateRuleError
from fakeforce.errors import SalesforceError
from fakeforce.schema.loader import SchemaFileError, load_schema
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

BLOCK_EMAIL = {"object": "Contact", "action": "block", "match": ["Email"]}
ALLOW_SAVE = {"Sforce-Duplicate-Rule-Header": "allowSave=true"}


@pytest.fixture
def api(fakeforce):
    with fakeforce.client(version="62.0") as client:
        yield client


@pytest.fixture
def control(fakeforce):
    with fakeforce.control() as client:
        yield client


@pytest.fixture
def jane(fakeforce):
    """An existing contact: the record a duplicate rule points syncd at."""
    return fakeforce.org.create("Contact", {"LastName": "Doe", "FirstName": "Jane", "Email": "Jane.Doe@Example.com"})


def contacts(fakeforce):
    return [r for r in fakeforce.org.store.records("Contact") if not r.get("IsDeleted")]


def matched_ids(error: dict) -> list[str]:
    result = error["duplicateResult"]
    return [m["record"]["Id"] for r in result["matchResults"] for m in r["matchRecords"]]


def test_rules_are_off_by_default(api, control, fakeforce, jane):
    assert control.get("/duplicate-rules").json() == {"duplicateRules": []}
    r = api.post("/sobjects/Contact", json={"LastName": "Twin", "Email": "jane.doe@example.com"})
    assert r.status_code == 201
    assert len(contacts(fakeforce)) == 2


def test_block_on_create_answers_the_matched_record(api, fakeforce, jane):
    fakeforce.org.set_duplicate_rules([BLOCK_EMAIL])
    r = api.post("/sobjects/Contact", json={"LastName": "Other", "Email": "JANE.DOE@example.COM"})
    assert r.status_code == 400
    [error] = r.json()
    assert error["errorCode"] == "DUPLICATES_DETECTED" and error["message"] == "Use one of these records?"
    assert "fields" not in error
    result = error["duplicateResult"]
    assert result["allowSave"] is False
    assert result["duplicateRule"] == "Standard_Contact_Duplicate_Rule"
    assert result["duplicateRuleEntityType"] == "Contact" and result["errorMessage"] == "Use one of these records?"
    [match] = result["matchResults"]
    assert match == {"entityType": "Contact", "errors": [], "matchEngine": "ExactMatchEngine",
                     "matchRecords": [{"additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
                                       "record": {"attributes": {"type": "Contact",
                                                                 "url": f"/services/data/v62.0/sobjects/Contact/{jane}"},
                                                  "Id": jane}}],
                     "rule": "Contact_Email_Match_Rule", "size": 1, "success": True}
    assert len(contacts(fakeforce)) == 1  # nothing saved

    r = api.post("/sobjects/Contact", json={"LastName": "Other", "Email": "someone.else@example.com"})
    assert r.status_code == 201
    r = api.post("/sobjects/Contact", json={"LastName": "No email"})
    assert r.status_code == 201  # a blank never matches
    r = api.post("/sobjects/Lead", json={"LastName": "Doe", "Company": "Acme", "Email": "jane.doe@example.com"})
    assert r.status_code == 201  # the rule is on Contact only


def test_several_matches_oldest_first_and_deleted_ones_ignored(api, fakeforce, jane):
    twin = fakeforce.seed({"records": {"Contact": [{"ref": "t", "LastName": "Twin", "Email": "jane.doe@example.com"}]}})["t"]
    gone = fakeforce.org.create("Contact", {"LastName": "Gone", "Email": "jane.doe@example.com"})
    fakeforce.org.delete("Contact", gone)
    fakeforce.org.set_duplicate_rules([BLOCK_EMAIL])
    [error] = api.post("/sobjects/Contact", json={"LastName": "X", "Email": "jane.doe@example.com"}).json()
    assert matched_ids(error) == [jane, twin]
    assert error["duplicateResult"]["matchResults"][0]["size"] == 2


def test_collections_answer_a_per_record_error(api, fakeforce, jane):
    fakeforce.org.set_duplicate_rules([BLOCK_EMAIL])
    records = [{"attributes": {"type": "Contact"}, "LastName": "Dup", "Email": "jane.doe@example.com"},
               {"attributes": {"type": "Contact"}, "LastName": "New", "Email": "new@example.com"}]
    r = api.post("/composite/sobjects", json={"allOrNone": False, "records": records})
    assert r.status_code == 200
    first, second = r.json()
    assert first["success"] is False and first["id"] is None
    [error] = first["errors"]
    assert error["statusCode"] == "DUPLICATES_DETECTED" and error["fields"] == []
    assert matched_ids(error) == [jane]
    assert second["success"] is True and fakeforce.org.store.get("Contact", second["id"])

    r = api.post("/composite/sobjects", json={"allOrNone": True, "records": [
        {"attributes": {"type": "Contact"}, "LastName": "New2", "Email": "new2@example.com"}, records[0]]})
    first, second = r.json()
    assert first["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert second["errors"][0]["statusCode"] == "DUPLICATES_DETECTED"
    assert len(contacts(fakeforce)) == 2  # jane and New: New2 rolled back


def test_alert_blocks_the_api_unless_the_header_allows_the_save(api, fakeforce, jane):
    fakeforce.org.set_duplicate_rules([{**BLOCK_EMAIL, "action": "alert"}])
    body = {"LastName": "Dup", "Email": "jane.doe@example.com"}
    r = api.post("/sobjects/Contact", json=body)
    assert r.status_code == 400 and r.json()[0]["duplicateResult"]["allowSave"] is True
    r = api.post("/sobjects/Contact", json=body, headers={"Sforce-Duplicate-Rule-Header": "allowSave=false"})
    assert r.status_code == 400
    r = api.post("/sobjects/Contact", json=body,
                 headers={"Sforce-Duplicate-Rule-Header": "allowSave=true; includeRecordDetails=false"})
    assert r.status_code == 201 and r.json()["success"] is True
    with fakeforce.client(version="51.0") as old:  # the header arrived in v52.0
        assert old.post("/sobjects/Contact", json=body, headers=ALLOW_SAVE).status_code == 400
    r = api.post("/composite/sobjects", headers=ALLOW_SAVE,
                 json={"records": [{"attributes": {"type": "Contact"}, **body}]})
    assert r.json()[0]["success"] is True
    assert len(contacts(fakeforce)) == 3


def test_block_ignores_the_header_and_allow_saves_silently(api, fakeforce, jane):
    body = {"LastName": "Dup", "Email": "jane.doe@example.com"}
    fakeforce.org.set_duplicate_rules([BLOCK_EMAIL])
    r = api.post("/sobjects/Contact", json=body, headers=ALLOW_SAVE)
    assert r.status_code == 400 and r.json()[0]["duplicateResult"]["allowSave"] is False
    fakeforce.org.set_duplicate_rules([{**BLOCK_EMAIL, "action": "allow"}])
    r = api.post("/sobjects/Contact", json=body)
    assert r.status_code == 201 and r.json() == {"id": r.json()["id"], "success": True, "errors": []}


def test_include_record_details(api, fakeforce, jane):
    fakeforce.org.set_duplicate_rules([BLOCK_EMAIL])
    r = api.post("/sobjects/Contact", json={"LastName": "Dup", "Email": "jane.doe@example.com"},
                 headers={"Sforce-Duplicate-Rule-Header": "includeRecordDetails=true"})
    record = r.json()[0]["duplicateResult"]["matchResults"][0]["matchRecords"][0]["record"]
    assert record["Id"] == jane and record["LastName"] == "Doe" and record["Email"] == "Jane.Doe@Example.com"


def test_edits_are_checked_only_when_the_rule_says_so(api, fakeforce, jane):
    other = fakeforce.org.create("Contact", {"LastName": "Roe", "Email": "roe@example.com"})
    fakeforce.org.set_duplicate_rules([BLOCK_EMAIL])
    assert api.patch(f"/sobjects/Contact/{other}", json={"Email": "jane.doe@example.com"}).status_code == 204
    fakeforce.org.set_duplicate_rules([{**BLOCK_EMAIL, "onEdit": True}])
    assert api.patch(f"/sobjects/Contact/{other}", json={"Title": "CEO"}).status_code == 400
    assert api.patch(f"/sobjects/Contact/{jane}", json={"Email": "fresh@example.com"}).status_code == 204
    r = api.patch("/composite/sobjects", json={"records": [
        {"attributes": {"type": "Contact"}, "id": jane, "Email": "roe+x@example.com"},
        {"attributes": {"type": "Contact"}, "id": other, "Email": "ROE+X@example.com"}]})
    first, second = r.json()
    assert first["success"] is True
    assert second["errors"][0]["statusCode"] == "DUPLICATES_DETECTED" and matched_ids(second["errors"][0]) == [jane]


def test_upsert_checks_the_create_and_the_edit(ext_fakeforce):
    org = ext_fakeforce.org
    jane = org.create("Contact", {"LastName": "Doe", "Email": "jane@example.com", "Ext__c": "J"})
    org.set_duplicate_rules([BLOCK_EMAIL])
    with ext_fakeforce.client(version="62.0") as api:
        r = api.patch("/sobjects/Contact/Ext__c/NEW", json={"LastName": "Dup", "Email": "JANE@example.com"})
        assert r.status_code == 400 and matched_ids(r.json()[0]) == [jane]
        r = api.patch("/sobjects/Contact/Ext__c/J", json={"Title": "CEO"})
        assert r.status_code == 200 and r.json()["created"] is False  # edits not checked by default
        r = api.patch("/composite/sobjects/Contact/Ext__c", json={"records": [
            {"attributes": {"type": "Contact"}, "Ext__c": "N2", "LastName": "Dup", "Email": "jane@example.com"}]})
        assert r.json()[0]["errors"][0]["statusCode"] == "DUPLICATES_DETECTED"
        org.set_duplicate_rules([{**BLOCK_EMAIL, "onEdit": True, "match": ["LastName"]}])
        r = api.patch("/sobjects/Contact/Ext__c/J", json={"Title": "CFO"})
        assert r.status_code == 200  # no other Doe
        org.set_duplicate_rules([])
        org.create("Contact", {"LastName": "Doe"})
        org.set_duplicate_rules([{**BLOCK_EMAIL, "onEdit": True, "match": ["LastName"]}])
        assert api.patch("/sobjects/Contact/Ext__c/J", json={"Title": "COO"}).status_code == 400


def test_composite_and_tree(api, fakeforce, jane):
    fakeforce.org.set_duplicate_rules([{**BLOCK_EMAIL, "action": "alert"}])
    dup = {"LastName": "Dup", "Email": "jane.doe@example.com"}
    r = api.post("/composite", json={"compositeRequest": [
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "a", "body": dup},
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "b", "body": dup,
         "httpHeaders": ALLOW_SAVE}]})
    a, b = r.json()["compositeResponse"]
    assert a["httpStatusCode"] == 400 and matched_ids(a["body"][0]) == [jane]
    assert b["httpStatusCode"] == 201
    r = api.post("/composite/tree/Contact", json={"records": [{"attributes": {"type": "Contact", "referenceId": "r1"},
                                                               **dup}]})
    assert r.status_code == 400
    [result] = r.json()["results"]
    assert result["referenceId"] == "r1" and result["errors"][0]["statusCode"] == "DUPLICATES_DETECTED"
    assert matched_ids(result["errors"][0])[0] == jane


def test_bulk_ingest_rows_fail_even_for_alert(api, fakeforce, jane):
    fakeforce.org.set_duplicate_rules([{**BLOCK_EMAIL, "action": "alert"}])
    job = api.post("/jobs/ingest/", json={"object": "Contact", "operation": "insert", "lineEnding": "LF"}).json()
    api.put(f"/jobs/ingest/{job['id']}/batches", content=b"LastName,Email\nDup,JANE.DOE@example.com\nNew,n@x.org\n",
            headers={"Content-Type": "text/csv", **ALLOW_SAVE})
    api.patch(f"/jobs/ingest/{job['id']}/", json={"state": "UploadComplete"}, headers=ALLOW_SAVE)
    failed = list(csv.DictReader(io.StringIO(api.get(f"/jobs/ingest/{job['id']}/failedResults").text)))
    assert [(f["LastName"], f["sf__Error"].split(":")[0]) for f in failed] == [("Dup", "DUPLICATES_DETECTED")]
    assert failed[0]["sf__Error"].startswith("DUPLICATES_DETECTED:Use one of these records?:")


def test_standard_matching_rule_for_leads(api, fakeforce):
    fakeforce.org.set_duplicate_rules([{"object": "Lead", "action": "block", "match": "standard",
                                        "message": "This lead exists."}])
    lead = api.post("/sobjects/Lead", json={"FirstName": "Jo", "LastName": "Doe", "Company": "Acme",
                                            "Phone": "+1 (415) 555-1234"}).json()["id"]
    r = api.post("/sobjects/Lead", json={"FirstName": "JO", "LastName": " doe", "Company": "Other",
                                         "Phone": "1.415.555.1234"})
    [error] = r.json()
    assert error["message"] == "This lead exists." and matched_ids(error) == [lead]
    match = error["duplicateResult"]["matchResults"][0]
    assert (match["matchEngine"], match["rule"]) == ("FuzzyMatchEngine", "Standard_Lead_Match_Rule_v1_0")
    assert api.post("/sobjects/Lead", json={"FirstName": "Al", "LastName": "Doe", "Company": "Acme",
                                            "Phone": "415 555 1234"}).status_code == 201
    # A blank first name does not stop the email group from matching.
    api.post("/sobjects/Lead", json={"LastName": "Roe", "Company": "X", "Email": "roe@example.com"})
    r = api.post("/sobjects/Lead", json={"FirstName": "Rita", "LastName": "Roe", "Company": "Y",
                                         "Email": "ROE@example.com"})
    assert r.status_code == 400


def test_seeds_load_duplicates_as_they_are(fakeforce, jane):
    fakeforce.org.set_duplicate_rules([BLOCK_EMAIL])
    fakeforce.seed({"records": {"Contact": [{"LastName": "Twin", "Email": "jane.doe@example.com"}]}})
    assert len(contacts(fakeforce)) == 2


def test_control_route(api, control, fakeforce, jane):
    r = control.post("/duplicate-rules", json=BLOCK_EMAIL)
    assert r.status_code == 201
    assert r.json() == {"duplicateRules": [{"object": "Contact", "action": "block", "match": ["Email"],
                                            "onEdit": False, "name": "Standard_Contact_Duplicate_Rule",
                                            "matchingRule": "Contact_Email_Match_Rule",
                                            "message": "Use one of these records?"}]}
    assert api.post("/sobjects/Contact", json={"LastName": "X", "Email": "jane.doe@example.com"}).status_code == 400
    r = control.put("/duplicate-rules", json={"duplicateRules": [{"object": "lead", "match": "standard"},
                                                                 {"object": "Contact", "action": "alert"}]})
    assert [(x["object"], x["action"]) for x in r.json()["duplicateRules"]] == [("Lead", "block"), ("Contact", "alert")]
    assert control.get("/duplicate-rules").json() == r.json()
    for bad, words in [({"object": "Nope__c"}, "unknown object"), ({"object": "Contact", "action": "stop"}, "action"),
                       ({"object": "Contact", "match": ["Nope"]}, "no field"),
                       ({"object": "Account", "match": "standard"}, "standard"),
                       ({"object": "Contact", "onEdit": "yes"}, "onEdit"), ({"object": "Contact", "x": 1}, "unknown"),
                       ([BLOCK_EMAIL], "one duplicate rule")]:
        r = control.post("/duplicate-rules", json=bad)
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_INPUT", bad
        assert words in r.json()[0]["message"], (bad, r.json())
    assert control.put("/duplicate-rules", json={"duplicateRules": "x"}).status_code == 400
    assert len(control.get("/duplicate-rules").json()["duplicateRules"]) == 2  # failed calls changed nothing
    assert control.delete("/duplicate-rules").status_code == 204
    assert control.get("/duplicate-rules").json() == {"duplicateRules": []}
    control.post("/duplicate-rules", json=BLOCK_EMAIL)
    control.post("/reset")
    assert control.get("/duplicate-rules").json() == {"duplicateRules": []}


def test_schema_file_rules(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"duplicateRules": [{**BLOCK_EMAIL, "name": "No_Twins", "message": "Taken."}]}))
    settings = OrgSettings(control_enabled=True)
    with FakeforceServer(settings=settings, schema_files=[path]) as server:
        org = server.org
        jane = org.create("Contact", {"LastName": "Doe", "Email": "j@example.com"})
        with pytest.raises(SalesforceError) as caught:
            org.create("Contact", {"LastName": "Dup", "Email": "J@example.com"})
        assert caught.value.details["duplicateResult"]["duplicateRule"] == "No_Twins"
        assert matched_ids(caught.value.as_dict()) == [jane]
        server.fakeforce.reset()
        assert [r.name for r in org.duplicate_rules] == ["No_Twins"]  # reset keeps the configured rules

    both = tmp_path / "both.json"
    both.write_text(json.dumps({"objects": [{"name": "Member__c", "fields": [{"name": "Email__c", "type": "email"}]}],
                                "duplicateRules": [{"object": "Member__c", "match": ["Email__c"]}]}))
    [rule] = load_schema([both]).duplicate_rules
    assert (rule.name, rule.matching_rule) == ("Member_Duplicate_Rule", "Member_Email_Match_Rule")
    assert load_schema([]).duplicate_rules == []
    for bad in [{"duplicateRules": {"object": "Contact"}}, {"duplicateRules": [{"object": "Contact", "match": []}]}]:
        path.write_text(json.dumps(bad))
        with pytest.raises(SchemaFileError, match="rules.json"):
            load_schema([path])
    assert issubclass(DuplicateRuleError, ValueError)
