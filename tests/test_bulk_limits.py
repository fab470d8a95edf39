"""Bulk API 2.0 ingest and query jobs, /limits, updated/deleted, and the concurrent long-request limit."""

import csv
import io
import threading
import time

import httpx
import pytest

from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings


@pytest.fixture
def api(fakeforce):
    with fakeforce.client(version="62.0") as client:
        yield client


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def ingest(api, operation, csv_text, **extra):
    job = api.post("/jobs/ingest/", json={"object": "Contact", "operation": operation, "contentType": "CSV",
                                          "lineEnding": "LF", **extra}).json()
    assert job["state"] == "Open" and job["id"].startswith("750")
    assert job["contentUrl"] == f"services/data/v62.0/jobs/ingest/{job['id']}/batches"
    r = api.put(f"/jobs/ingest/{job['id']}/batches", content=csv_text.encode(),
                headers={"Content-Type": "text/csv"})
    assert r.status_code == 201
    r = api.patch(f"/jobs/ingest/{job['id']}/", json={"state": "UploadComplete"})
    assert r.json()["state"] == "UploadComplete"
    info = api.get(f"/jobs/ingest/{job['id']}").json()
    return job["id"], info


def test_ingest_insert_update_delete(api, fakeforce):
    job_id, info = ingest(api, "insert", "LastName,Email\nDoe,doe@example.com\nRoe,bad-email\n,x@example.com\n")
    assert info["state"] == "JobComplete"
    assert info["numberRecordsProcessed"] == 3 and info["numberRecordsFailed"] == 2
    good = rows(api.get(f"/jobs/ingest/{job_id}/successfulResults").text)
    assert [(r["sf__Created"], r["LastName"]) for r in good] == [("true", "Doe")]
    bad = rows(api.get(f"/jobs/ingest/{job_id}/failedResults/").text)
    assert bad[0]["sf__Error"].startswith("INVALID_EMAIL_ADDRESS:") and bad[0]["sf__Id"] == ""
    assert bad[1]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    contact_id = good[0]["sf__Id"]
    assert fakeforce.org.store.get("Contact", contact_id)["Email"] == "doe@example.com"

    _, info = ingest(api, "update", f"Id,Title,Email\n{contact_id},CEO,#N/A\n")
    assert info["numberRecordsFailed"] == 0
    stored = fakeforce.org.store.get("Contact", contact_id)
    assert stored["Title"] == "CEO" and "Email" not in stored

    _, info = ingest(api, "delete", f"Id\n{contact_id}\n")
    assert info["numberRecordsFailed"] == 0 and fakeforce.org.store.get("Contact", contact_id)["IsDeleted"]


def test_ingest_upsert_by_external_id(ext_fakeforce):
    with ext_fakeforce.client(version="62.0") as api:
        job_id, info = ingest(api, "upsert", "Ext__c,LastName\ne1,One\ne2,Two\n", externalIdFieldName="Ext__c")
        first = rows(api.get(f"/jobs/ingest/{job_id}/successfulResults").text)
        job_id, info = ingest(api, "upsert", "Ext__c,LastName\ne1,Uno\n", externalIdFieldName="Ext__c")
        again = rows(api.get(f"/jobs/ingest/{job_id}/successfulResults").text)
        assert again[0]["sf__Id"] == first[0]["sf__Id"] and again[0]["sf__Created"] == "false"
        assert sum(1 for _ in ext_fakeforce.org.store.records("Contact")) == 2


def test_ingest_errors_and_abort(api):
    r = api.post("/jobs/ingest", json={"object": "Nope", "operation": "insert"})
    assert r.status_code == 400
    r = api.post("/jobs/ingest", json={"object": "Contact", "operation": "merge"})
    assert r.status_code == 400
    job = api.post("/jobs/ingest", json={"object": "Contact", "operation": "insert"}).json()
    api.put(f"/jobs/ingest/{job['id']}/batches", content=b"Bogus__c\nx\n", headers={"Content-Type": "text/csv"})
    api.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    info = api.get(f"/jobs/ingest/{job['id']}").json()
    assert info["state"] == "Failed" and "Bogus__c" in info["errorMessage"]
    job = api.post("/jobs/ingest", json={"object": "Contact", "operation": "insert"}).json()
    assert api.patch(f"/jobs/ingest/{job['id']}", json={"state": "Aborted"}).json()["state"] == "Aborted"
    r = api.put(f"/jobs/ingest/{job['id']}/batches", content=b"LastName\nx\n", headers={"Content-Type": "text/csv"})
    assert r.status_code == 400
    assert api.delete(f"/jobs/ingest/{job['id']}").status_code == 204
    assert api.get(f"/jobs/ingest/{job['id']}").status_code == 404
    assert any(j["state"] == "Failed" for j in api.get("/jobs/ingest").json()["records"])


def test_query_job_with_locators(api, fakeforce):
    refs = fakeforce.seed({"records": {"Account": [{"ref": "a", "Name": "Acme, Inc."}],
                                       "Contact": [{"LastName": f"L{i:03d}", "AccountId": "@a"} for i in range(25)]}})
    job = api.post("/jobs/query", json={"operation": "query",
                                        "query": "SELECT Id, LastName, Account.Name FROM Contact ORDER BY LastName"})
    assert job.status_code == 200
    job_id = job.json()["id"]
    assert api.get(f"/jobs/query/{job_id}").json()["state"] == "JobComplete"
    seen, locator = [], None
    while True:
        params = {"maxRecords": 10, **({"locator": locator} if locator else {})}
        r = api.get(f"/jobs/query/{job_id}/results", params=params)
        assert r.headers["content-type"].startswith("text/csv")
        page = rows(r.text)
        assert int(r.headers["Sforce-NumberOfRecords"]) == len(page)
        seen += page
        locator = r.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert [p["LastName"] for p in seen] == [f"L{i:03d}" for i in range(25)]
    assert seen[0]["Account.Name"] == "Acme, Inc." and set(seen[0]) == {"Id", "LastName", "Account.Name"}
    r = api.post("/jobs/query", json={"operation": "query", "query": "SELECT Nope FROM Contact"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_FIELD"
    assert refs


def test_limits_count_real_usage(api):
    first = api.get("/limits").json()
    second = api.get("/limits/").json()
    assert set(first["DailyApiRequests"]) == {"Max", "Remaining"}
    assert second["DailyApiRequests"]["Remaining"] == first["DailyApiRequests"]["Remaining"] - 1
    api.post("/jobs/query", json={"query": "SELECT Id FROM Contact"})
    third = api.get("/limits").json()
    assert third["DailyBulkV2QueryJobs"]["Remaining"] == first["DailyBulkV2QueryJobs"]["Remaining"] - 1


def test_updated_and_deleted(api, fakeforce):
    with fakeforce.control() as control:
        control.post("/clock", json={"set": "2026-06-01T10:00:00Z", "freeze": True})
        a = api.post("/sobjects/Account", json={"Name": "A"}).json()["id"]
        b = api.post("/sobjects/Account", json={"Name": "B"}).json()["id"]
        control.post("/clock", json={"advance_seconds": 3600})
        api.delete(f"/sobjects/Account/{b}")
        control.post("/clock", json={"advance_seconds": 3600})
    window = {"start": "2026-06-01T09:00:00Z", "end": "2026-06-01T13:00:00+00:00"}
    body = api.get("/sobjects/Account/updated/", params=window).json()
    assert body == {"ids": [a], "latestDateCovered": "2026-06-01T12:00:00.000+0000"}
    body = api.get("/sobjects/Account/deleted/", params=window).json()
    assert body["deletedRecords"] == [{"id": b, "deletedDate": "2026-06-01T11:00:00.000+0000"}]
    r = api.get("/sobjects/Account/updated", params={"start": "2026-01-01T00:00:00Z", "end": window["end"]})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    assert api.get("/sobjects/Account/updated").json()[0]["errorCode"] == "MISSING_ARGUMENT"


def test_concurrent_long_request_limit():
    settings = OrgSettings(control_enabled=True, max_long_requests=2, long_request_seconds=0.2)
    with FakeforceServer(settings=settings) as server:
        server.fakeforce.faults.add({"route": "/services/data/*/sobjects", "latency_ms": 1500, "count": 2})
        token = server.fakeforce.sessions.issue(server.org.admin_user_id, "fakeforce").token
        headers = {"Authorization": f"Bearer {token}"}
        slow = [threading.Thread(target=httpx.get, args=(f"{server.url}/services/data/v62.0/sobjects",),
                                 kwargs={"headers": headers, "timeout": 10}) for _ in range(2)]
        for t in slow:
            t.start()
        time.sleep(0.6)
        r = httpx.get(f"{server.url}/services/data/v62.0/limits", headers=headers)
        assert r.status_code == 403
        assert r.json() == [{"message": "ConcurrentPerOrgLongTxn Limit exceeded.",
                             "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        for t in slow:
            t.join()
        assert httpx.get(f"{server.url}/services/data/v62.0/limits", headers=headers).status_code == 200
