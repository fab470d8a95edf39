"""Bulk API 1.0 (``/services/async``) over real HTTP: jobs, batches and results in XML, CSV and JSON; query
jobs with result ids and PK chunking; every error in Bulk API 1.0's own shape (exceptionCode)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import httpx
import pytest

VERSION = "62.0"
NS = "{http://www.force.com/2009/06/asyncapi/dataload}"
XML = {"Content-Type": "application/xml; charset=UTF-8"}
JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def bulk(fakeforce):
    with httpx.Client(base_url=f"{fakeforce.url}/services/async/{VERSION}", verify=fakeforce.verify(),
                      headers={"X-SFDC-Session": fakeforce.token()}, timeout=30) as client:
        yield client


def xml(response: httpx.Response) -> dict[str, str]:
    """A flat XML document (jobInfo, batchInfo, error) as a dict."""
    assert response.headers["content-type"] == "application/xml", response.text
    root = ET.fromstring(response.content)
    return {child.tag.replace(NS, ""): child.text or "" for child in root} | {"_root": root.tag.replace(NS, "")}


def job_xml(operation: str, obj: str, content_type: str, extra: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="{NS[1:-1]}"><operation>{operation}'
            f"</operation><object>{obj}</object>{extra}<contentType>{content_type}</contentType></jobInfo>")


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def live(fakeforce, sobject: str) -> list[dict]:
    return [r for r in fakeforce.org.store.records(sobject) if not r.get("IsDeleted")]


def test_csv_insert_with_xml_job_info(bulk, fakeforce):
    r = bulk.post("/job", content=job_xml("insert", "Contact", "CSV"), headers=XML)
    assert r.status_code == 201
    job = xml(r)
    assert job["_root"] == "jobInfo" and job["state"] == "Open" and job["contentType"] == "CSV"
    assert job["id"].startswith("750") and job["apiVersion"] == "62.0" and job["concurrencyMode"] == "Parallel"
    r = bulk.post(f"/job/{job['id']}/batch", content="LastName,Email\nDoe,doe@example.com\n,x@example.com\n"
                  "Roe,#N/A\n", headers=CSV)
    assert r.status_code == 201
    added = xml(r)
    assert added["state"] == "Queued" and added["jobId"] == job["id"] and added["id"].startswith("751")
    info = xml(bulk.get(f"/job/{job['id']}/batch/{added['id']}"))
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == ("Completed", "3", "1")
    result = bulk.get(f"/job/{job['id']}/batch/{added['id']}/result")
    assert result.text.startswith('"Id","Success","Created","Error"\n')
    rows = csv_rows(result.text)
    assert [(r["Success"], r["Created"]) for r in rows] == [("true", "true"), ("false", "false"), ("true", "true")]
    assert rows[1]["Error"].startswith("REQUIRED_FIELD_MISSING:") and rows[1]["Id"] == ""
    stored = {r["Id"]: r for r in live(fakeforce, "Contact")}
    assert stored[rows[0]["Id"]]["Email"] == "doe@example.com" and stored[rows[2]["Id"]].get("Email") is None
    assert bulk.get(f"/job/{job['id']}/batch/{added['id']}/request").text.startswith("LastName,Email")
    closed = xml(bulk.post(f"/job/{job['id']}", content=f'<jobInfo xmlns="{NS[1:-1]}"><state>Closed</state>'
                                                         "</jobInfo>", headers=XML))
    assert closed["state"] == "Closed"
    assert (closed["numberBatchesCompleted"], closed["numberBatchesTotal"], closed["numberRecordsProcessed"],
            closed["numberRecordsFailed"]) == ("1", "1", "3", "1")
    again = bulk.post(f"/job/{job['id']}/batch", content="LastName\nLate\n", headers=CSV)
    assert again.status_code == 400 and xml(again)["exceptionCode"] == "InvalidJobState"


def _json_job(bulk, operation: str, obj: str = "Contact", **extra) -> dict:
    r = bulk.post("/job", json={"operation": operation, "object": obj, "contentType": "JSON",
                                "concurrencyMode": 0, **extra})
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


def _json_batch(bulk, job: dict, body) -> tuple[dict, object]:
    content = body if isinstance(body, str) else json.dumps(body)
    added = bulk.post(f"/job/{job['id']}/batch", content=content, headers=JSON).json()
    info = bulk.get(f"/job/{job['id']}/batch/{added['id']}").json()
    return info, bulk.get(f"/job/{job['id']}/batch/{added['id']}/result").json()


def test_json_insert_update_upsert_delete_and_query(bulk, fakeforce):
    job = _json_job(bulk, "insert")
    assert job["concurrencyMode"] == "Parallel" and job["apiVersion"] == 62.0
    info, results = _json_batch(bulk, job, [{"LastName": "Ames", "Birthdate": "2000-01-02"}, {"FirstName": "X"}])
    assert info["state"] == "Completed" and info["numberRecordsFailed"] == 1
    assert results[0]["success"] is True and results[0]["created"] is True and results[0]["errors"] == []
    assert results[1]["success"] is False and results[1]["id"] is None
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    ames = results[0]["id"]
    _, results = _json_batch(bulk, _json_job(bulk, "update"), [{"Id": ames, "Email": "ames@example.com"}])
    assert results[0]["success"] and fakeforce.org.store.get("Contact", ames)["Email"] == "ames@example.com"
    _, results = _json_batch(bulk, _json_job(bulk, "upsert", externalIdFieldName="Id"),
                             [{"Id": ames, "FirstName": "Ann"}, {"LastName": "Brook"}])
    assert [(r["success"], r["created"]) for r in results] == [(True, False), (True, True)]
    assert fakeforce.org.store.get("Contact", ames)["FirstName"] == "Ann"
    brook = results[1]["id"]
    _, results = _json_batch(bulk, _json_job(bulk, "delete"), [{"Id": brook}])
    assert results[0]["success"] and [r["Id"] for r in live(fakeforce, "Contact")] == [ames]

    query = _json_job(bulk, "query")
    info, ids = _json_batch(bulk, query, "SELECT Id, LastName, Birthdate, CreatedDate FROM Contact")
    assert info["state"] == "Completed" and info["numberRecordsProcessed"] == 1 and len(ids) == 1
    records = bulk.get(f"/job/{query['id']}/batch/{info['id']}/result/{ids[0]}").json()
    assert records[0]["Id"] == ames and records[0]["attributes"]["type"] == "Contact"
    assert records[0]["Birthdate"] == int(datetime(2000, 1, 2, tzinfo=timezone.utc).timestamp() * 1000)
    assert isinstance(records[0]["CreatedDate"], int)  # Bulk API 1.0 JSON: dates as epoch milliseconds
    every = _json_job(bulk, "queryAll")
    info, ids = _json_batch(bulk, every, "SELECT Id FROM Contact")
    records = bulk.get(f"/job/{every['id']}/batch/{info['id']}/result/{ids[0]}").json()
    assert sorted(r["Id"] for r in records) == sorted([ames, brook])


def test_xml_data_insert_and_query(bulk, fakeforce):
    job = xml(bulk.post("/job", content=job_xml("insert", "Account", "XML"), headers=XML))
    data = (f'<sObjects xmlns="{NS[1:-1]}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<sObject><Name>Acme &amp; Co</Name><Phone xsi:nil=\"true\"/></sObject><sObject><Phone>1</Phone>"
            "</sObject></sObjects>")
    added = xml(bulk.post(f"/job/{job['id']}/batch", content=data, headers=XML))
    root = ET.fromstring(bulk.get(f"/job/{job['id']}/batch/{added['id']}/result").content)
    results = [{c.tag.replace(NS, ""): c.text for c in r} for r in root]
    assert results[0]["success"] == "true" and results[0]["created"] == "true"
    assert results[1]["success"] == "false" and "id" not in results[1]
    assert [r["Name"] for r in live(fakeforce, "Account")] == ["Acme & Co"]
    query = xml(bulk.post("/job", content=job_xml("query", "Account", "XML"), headers=XML))
    batch = xml(bulk.post(f"/job/{query['id']}/batch", content="SELECT Id, Name, Phone FROM Account", headers=XML))
    listing = ET.fromstring(bulk.get(f"/job/{query['id']}/batch/{batch['id']}/result").content)
    assert listing.tag == f"{NS}result-list"
    result_id = listing[0].text
    out = ET.fromstring(bulk.get(f"/job/{query['id']}/batch/{batch['id']}/result/{result_id}").content)
    record = out[0]
    assert record.find(f"{NS}Name").text == "Acme & Co" and record.find(f"{NS}type").text == "Account"
    assert record.find(f"{NS}Phone").get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"


def test_csv_query_with_pk_chunking_as_tap_salesforce_sends_it(bulk, fakeforce):
    ids = sorted(fakeforce.org.create("Contact", {"LastName": f"C{i}"}) for i in range(5))
    headers = {**JSON, "Sforce-Enable-PKChunking": "true; chunkSize=2", "Sforce-Disable-Batch-Retry": "true"}
    job = bulk.post("/job", content=json.dumps({"operation": "queryAll", "object": "Contact", "contentType": "CSV"}),
                    headers=headers).json()
    batch = xml(bulk.post(f"/job/{job['id']}/batch", content="SELECT Id, LastName FROM Contact", headers=CSV))
    listing = ET.fromstring(bulk.get(f"/job/{job['id']}/batch", headers=JSON).content)
    states = {b.find(f"{NS}id").text: b.find(f"{NS}state").text for b in listing}
    assert states.pop(batch["id"]) == "NotProcessed"
    assert list(states.values()) == ["Completed"] * 3
    seen = []
    for batch_id in states:
        assert xml(bulk.get(f"/job/{job['id']}/batch/{batch_id}", headers=JSON))["state"] == "Completed"
        result_list = ET.fromstring(bulk.get(f"/job/{job['id']}/batch/{batch_id}/result", headers=JSON).content)
        for result in result_list:
            text = bulk.get(f"/job/{job['id']}/batch/{batch_id}/result/{result.text}", headers=CSV).text
            assert text.startswith('"Id","LastName"\n')
            seen.extend(r["Id"] for r in csv_rows(text))
    assert seen == ids
    assert bulk.post(f"/job/{job['id']}", json={"state": "Closed"}).json()["state"] == "Closed"


def test_csv_query_without_records_and_failed_queries(bulk):
    job = bulk.post("/job", json={"operation": "query", "object": "Lead", "contentType": "CSV"}).json()
    batch = xml(bulk.post(f"/job/{job['id']}/batch", content="SELECT Id FROM Lead", headers=CSV))
    result_id = ET.fromstring(bulk.get(f"/job/{job['id']}/batch/{batch['id']}/result").content)[0].text
    assert bulk.get(f"/job/{job['id']}/batch/{batch['id']}/result/{result_id}").text == \
        "Records not found for this query"
    for soql in ("SELECT Nope FROM Lead", "SELECT COUNT() FROM Lead", "SELECT Id FROM Contact"):
        bad = xml(bulk.post(f"/job/{job['id']}/batch", content=soql, headers=CSV))
        info = xml(bulk.get(f"/job/{job['id']}/batch/{bad['id']}"))
        assert info["state"] == "Failed", soql
        assert info["stateMessage"].startswith("InvalidBatch : Failed to process query:"), info
        assert bulk.get(f"/job/{job['id']}/batch/{bad['id']}/result").status_code == 400


def test_session_is_the_x_sfdc_session_header(fakeforce):
    with httpx.Client(base_url=f"{fakeforce.url}/services/async/{VERSION}", verify=fakeforce.verify()) as client:
        r = client.post("/job", content=job_xml("insert", "Contact", "CSV"), headers=XML)
        assert r.status_code == 400 and xml(r) == {"_root": "error", "exceptionCode": "InvalidSessionId",
                                                   "exceptionMessage": "Invalid session id"}
        r = client.get("/job/750x", headers={**JSON, "Authorization": f"Bearer {fakeforce.token()}"})
        assert r.status_code == 400 and r.json()["exceptionCode"] == "InvalidSessionId"


@pytest.mark.parametrize("body, code", [
    ({"operation": "insert", "object": "Nope__c", "contentType": "CSV"}, "InvalidJob"),
    ({"operation": "merge", "object": "Contact", "contentType": "CSV"}, "InvalidJob"),
    ({"operation": "upsert", "object": "Contact", "contentType": "CSV"}, "InvalidJob"),
    ({"operation": "upsert", "object": "Contact", "externalIdFieldName": "LastName"}, "InvalidJob"),
    ({"operation": "insert", "object": "Contact", "contentType": "ZIP_CSV"}, "InvalidJob"),
    ({"operation": "insert", "object": "Contact", "concurrencyMode": "Fast"}, "InvalidJob"),
    ([1, 2], "ClientInputError"),
])
def test_job_errors_in_json(bulk, body, code):
    r = bulk.post("/job", content=json.dumps(body), headers=JSON)
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert r.json()["exceptionCode"] == code and r.json()["exceptionMessage"]


def test_resource_errors(bulk):
    assert xml(bulk.post("/job", content="<jobInfo><oops>", headers=XML))["exceptionCode"] == "InvalidXML"
    r = bulk.get("/job/750000000000000AAA", headers=JSON)  # tap-salesforce's job_exists reads this
    assert r.status_code == 400 and r.json() == {"exceptionCode": "InvalidJob",
                                                 "exceptionMessage": "Invalid job id: 750000000000000AAA"}
    job = xml(bulk.post("/job", content=job_xml("insert", "Contact", "CSV"), headers=XML))
    assert xml(bulk.get(f"/job/{job['id']}/batch/751x"))["exceptionCode"] == "InvalidBatch"
    wrong = bulk.post(f"/job/{job['id']}/batch", content="<sObjects/>", headers=XML)
    assert wrong.status_code == 400 and xml(wrong)["exceptionCode"] == "ClientInputError"
    unknown = xml(bulk.post(f"/job/{job['id']}/batch", content="LastName,Shoe\nX,1\n", headers=CSV))
    info = xml(bulk.get(f"/job/{job['id']}/batch/{unknown['id']}"))
    assert info["state"] == "Failed" and info["stateMessage"] == "InvalidBatch : Field name not found : Shoe"
    assert bulk.get("/nothing").status_code == 404 and xml(bulk.get("/nothing"))["exceptionCode"] == "InvalidUrl"
    assert bulk.delete(f"/job/{job['id']}").status_code == 405
    other = bulk.get(str(bulk.base_url).replace(VERSION, "99.0") + f"/job/{job['id']}")
    assert other.status_code == 404 and xml(other)["exceptionMessage"] == "Invalid API version: 99.0"
    bad_state = bulk.post(f"/job/{job['id']}", json={"state": "Paused"})
    assert bad_state.json()["exceptionCode"] == "InvalidJobState"
    assert bulk.post(f"/job/{job['id']}", json={"state": "Aborted"}).json()["state"] == "Aborted"
    again = bulk.post(f"/job/{job['id']}", json={"state": "Closed"})
    assert again.status_code == 400 and again.json()["exceptionCode"] == "InvalidJobState"


def test_reset_forgets_every_job(bulk, fakeforce):
    job = xml(bulk.post("/job", content=job_xml("insert", "Contact", "CSV"), headers=XML))
    assert xml(bulk.get(f"/job/{job['id']}"))["state"] == "Open"
    fakeforce.instance.reset()
    bulk.headers["X-SFDC-Session"] = fakeforce.token()
    gone = xml(bulk.get(f"/job/{job['id']}"))
    assert gone["_root"] == "error" and gone["exceptionCode"] == "InvalidJob"


@pytest.mark.parametrize("kind, body", [
    ("JSON", "[{" + '"a":{' * 5000 + '"b":1' + "}" * 5000 + "}]"),
    ("XML", f'<?xml version="1.0"?><sObjects xmlns="{NS[1:-1]}"><sObject>' + "<a>" * 5000 + "x" + "</a>" * 5000
     + "</sObject></sObjects>"),
])
def test_a_deeply_nested_batch_fails_instead_of_staying_queued(bulk, kind, body):
    """Python's parsers recurse: a batch nested past the limit is a bad batch (Failed, InvalidBatch)."""
    r = bulk.post("/job", json={"operation": "insert", "object": "Contact", "contentType": kind})
    job = r.json()["id"]
    added = bulk.post(f"/job/{job}/batch", content=body, headers=JSON if kind == "JSON" else XML)
    assert added.status_code == 201, added.text
    if kind == "JSON":
        info = bulk.get(f"/job/{job}/batch/{added.json()['id']}").json()
    else:
        info = xml(bulk.get(f"/job/{job}/batch/{xml(added)['id']}"))
    assert info["state"] == "Failed" and info["stateMessage"].startswith("InvalidBatch")


def test_a_csv_batch_is_read_no_further_than_one_record_past_the_limit(bulk):
    from fakeforce.bulk1 import data
    from fakeforce.bulk1.model import MAX_RECORDS

    text = "LastName\n" + "x\n" * (MAX_RECORDS + 500)
    assert len(data.read_rows(text.encode(), "CSV")) == MAX_RECORDS + 1
    job = bulk.post("/job", content=job_xml("insert", "Contact", "CSV"), headers=XML)
    job_id = xml(job)["id"]
    added = xml(bulk.post(f"/job/{job_id}/batch", content=text, headers=CSV))
    info = xml(bulk.get(f"/job/{job_id}/batch/{added['id']}"))
    assert info["state"] == "Failed" and str(MAX_RECORDS) in info["stateMessage"]
