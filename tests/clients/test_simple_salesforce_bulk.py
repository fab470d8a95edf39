"""simple-salesforce (the real client) against fakeforce: Bulk API 2.0, the composite family, query locators
and the replication resources, over HTTPS.

Every test drives simple-salesforce the way an application would and cross-checks the server side through
``ff.org.store`` (or fakeforce's per-route counters). Bulk calls pass ``wait=0``: simple-salesforce otherwise
sleeps ``wait`` seconds before its first poll of the job (``_Bulk2Client.wait_for_job``).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
import requests
import simple_salesforce
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceOperationError

from fakeforce.pytest_plugin import CONTROL_TOKEN, FakeforceHandle
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

pytestmark = pytest.mark.clients

VERSION = simple_salesforce.api.DEFAULT_API_VERSION
DATA = f"/services/data/v{VERSION}"
EXT_FIELD = "Fakeforce_Key__c"


# -- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ext_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeforceServer]:
    """An HTTPS server whose Contact and Account carry a unique external-id text field, for upserts."""
    schema = tmp_path_factory.mktemp("ss-bulk-schema") / "ext.json"
    field = {"name": EXT_FIELD, "type": "string", "length": 40, "externalId": True, "unique": True,
             "label": "Fakeforce Key"}
    schema.write_text(json.dumps([{"name": "Contact", "fields": [field]}, {"name": "Account", "fields": [field]}]))
    settings = OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN)
    with FakeforceServer(settings=settings, tls=True, cert_dir=tmp_path_factory.mktemp("ss-bulk-tls"),
                         schema_files=[schema]) as server:
        yield server


@pytest.fixture
def ff(ext_server: FakeforceServer) -> FakeforceHandle:
    ext_server.fakeforce.reset()
    return FakeforceHandle(ext_server)


def _session(handle: FakeforceHandle) -> requests.Session:
    s = requests.Session()
    s.verify = handle.ca_bundle
    s.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would win over Session.verify
    return s


def _login(handle: FakeforceHandle, sess: requests.Session) -> Salesforce:
    r = sess.post(f"{handle.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": handle.client_id, "client_secret": handle.client_secret,
        "username": handle.username, "password": handle.password})
    assert r.status_code == 200, r.text
    body = r.json()
    return Salesforce(instance_url=body["instance_url"], session_id=body["access_token"], session=sess)


@pytest.fixture
def sf(ff: FakeforceHandle) -> Iterator[Salesforce]:
    sess = _session(ff)
    yield _login(ff, sess)
    sess.close()


@pytest.fixture
def sf_tls(fakeforce_tls: FakeforceHandle) -> Iterator[Salesforce]:
    """simple-salesforce on the plugin's shared HTTPS server (standard schema)."""
    sess = _session(fakeforce_tls)
    yield _login(fakeforce_tls, sess)
    sess.close()


def live(ff: FakeforceHandle, sobject: str) -> list[dict]:
    return [r for r in ff.org.store.records(sobject) if not r.get("IsDeleted")]


def stored(ff: FakeforceHandle, sobject: str, record_id: str) -> dict:
    rec = ff.org.store.get(sobject, record_id)
    assert rec is not None, f"{sobject} {record_id} is not in fakeforce's store"
    return rec


def parse_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def counters(ff: FakeforceHandle) -> dict[str, int]:
    with ff.control() as c:
        r = c.get("/counters")
        assert r.status_code == 200, r.text
        return r.json()["routes"]


# -- Bulk API 2.0 ingest -------------------------------------------------------------------------------

def test_bulk2_insert_from_csv_file(ff, sf, tmp_path: Path):
    path = tmp_path / "contacts.csv"
    path.write_text("FirstName,LastName,Email\n"
                    "Ada,Lovelace,ada@example.com\n"
                    "Charles,Babbage,charles@example.com\n"
                    "\"Grace, RADM\",Hopper,grace@example.com\n"
                    "Nobody,,nobody@example.com\n", encoding="utf-8")

    results = sf.bulk2.Contact.insert(csv_file=str(path), wait=0)

    assert len(results) == 1
    result = results[0]
    assert result["numberRecordsTotal"] == 4
    assert result["numberRecordsProcessed"] == 4
    assert result["numberRecordsFailed"] == 1
    job_id = result["job_id"]
    assert job_id.startswith("750") and len(job_id) == 18

    ok = parse_csv(sf.bulk2.Contact.get_successful_records(job_id))
    assert [(r["FirstName"], r["LastName"], r["sf__Created"]) for r in ok] == [
        ("Ada", "Lovelace", "true"), ("Charles", "Babbage", "true"), ("Grace, RADM", "Hopper", "true")]
    failed = parse_csv(sf.bulk2.Contact.get_failed_records(job_id))
    assert len(failed) == 1
    assert failed[0]["FirstName"] == "Nobody" and failed[0]["sf__Id"] == ""
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")

    # Server side: exactly the three good rows, with the ids the results report.
    for row in ok:
        rec = stored(ff, "Contact", row["sf__Id"])
        assert (rec["FirstName"], rec["LastName"], rec["Email"]) == (row["FirstName"], row["LastName"], row["Email"])
        assert rec["CreatedById"] == ff.org.admin_user_id
    assert sorted(r["LastName"] for r in live(ff, "Contact")) == ["Babbage", "Hopper", "Lovelace"]
    job = ff.instance.bulk.get("ingest", job_id, ff.org.admin_user_id)
    assert (job.operation, job.object, job.state) == ("insert", "Contact", "JobComplete")


def test_bulk2_update_and_delete_from_records(ff, sf):
    refs = ff.seed({"records": {"Contact": [
        {"ref": "a", "LastName": "Alpha", "Title": "Old"},
        {"ref": "b", "LastName": "Beta", "Title": "Old"},
        {"ref": "c", "LastName": "Gamma", "Title": "Keep"},
    ]}})

    updated = sf.bulk2.Contact.update(records=[
        {"Id": refs["a"], "Title": "New A"},
        {"Id": refs["b"], "Title": "New B"},
    ], wait=0)
    assert [(r["numberRecordsProcessed"], r["numberRecordsFailed"], r["numberRecordsTotal"]) for r in updated] == \
        [(2, 0, 2)]
    assert stored(ff, "Contact", refs["a"])["Title"] == "New A"
    assert stored(ff, "Contact", refs["b"])["Title"] == "New B"
    assert stored(ff, "Contact", refs["c"])["Title"] == "Keep"

    deleted = sf.bulk2.Contact.delete(records=[{"Id": refs["a"]}, {"Id": refs["c"]}], wait=0)
    assert [(r["numberRecordsProcessed"], r["numberRecordsFailed"]) for r in deleted] == [(2, 0)]
    assert stored(ff, "Contact", refs["a"])["IsDeleted"] is True
    assert stored(ff, "Contact", refs["c"])["IsDeleted"] is True
    assert [r["Id"] for r in live(ff, "Contact")] == [refs["b"]]
    ok = parse_csv(sf.bulk2.Contact.get_successful_records(deleted[0]["job_id"]))
    assert sorted(r["sf__Id"] for r in ok) == sorted([refs["a"], refs["c"]])
    assert {r["sf__Created"] for r in ok} == {"false"}


def test_bulk2_upsert_by_external_id(ff, sf, tmp_path: Path):
    refs = ff.seed({"records": {"Contact": [{"ref": "k1", "LastName": "Existing", EXT_FIELD: "K-1"}]}})
    path = tmp_path / "upsert.csv"
    path.write_text(f"{EXT_FIELD},LastName,Title\nK-1,Existing,Updated by upsert\nK-2,Created,Fresh\n")

    results = sf.bulk2.Contact.upsert(csv_file=str(path), external_id_field=EXT_FIELD, wait=0)
    assert [(r["numberRecordsProcessed"], r["numberRecordsFailed"]) for r in results] == [(2, 0)]
    job = ff.instance.bulk.get("ingest", results[0]["job_id"], ff.org.admin_user_id)
    assert (job.operation, job.external_id) == ("upsert", EXT_FIELD)

    ok = {r[EXT_FIELD]: r for r in parse_csv(sf.bulk2.Contact.get_successful_records(results[0]["job_id"]))}
    assert ok["K-1"]["sf__Id"] == refs["k1"] and ok["K-1"]["sf__Created"] == "false"
    assert ok["K-2"]["sf__Created"] == "true"
    assert stored(ff, "Contact", refs["k1"])["Title"] == "Updated by upsert"
    created = stored(ff, "Contact", ok["K-2"]["sf__Id"])
    assert (created["LastName"], created["Title"], created[EXT_FIELD]) == ("Created", "Fresh", "K-2")
    assert len(live(ff, "Contact")) == 2


def test_bulk2_get_all_ingest_records(ff, sf):
    """simple-salesforce's documented result helpers. ``get_unprocessed_records`` (and so
    ``get_all_ingest_records``) asks for ``/jobs/ingest/{id}/unprocessedRecords`` (bulk2.py
    ``ResultsType.unprocessed``), camel-cased unlike the documented ``unprocessedrecords``; Salesforce answers
    it (other clients use the same spelling), so fakeforce must too."""
    refs = ff.seed({"records": {"Contact": [{"ref": "a", "LastName": "Here"}]}})
    job_id = sf.bulk2.Contact.update(records=[{"Id": refs["a"], "Title": "T"}, {"Id": refs["a"], "Email": "bad"}],
                                     wait=0)[0]["job_id"]
    assert parse_csv(sf.bulk2.Contact.get_unprocessed_records(job_id)) == []  # every row was processed
    everything = sf.bulk2.Contact.get_all_ingest_records(job_id)
    assert [r["sf__Id"] for r in everything["successfulRecords"]] == [refs["a"]]
    assert [r["Email"] for r in everything["failedRecords"]] == ["bad"]
    assert everything["failedRecords"][0]["sf__Error"].startswith("INVALID_EMAIL_ADDRESS:")
    assert everything["unprocessedRecords"] == []
    assert stored(ff, "Contact", refs["a"])["Title"] == "T"


def test_bulk2_failed_job_raises(ff, sf):
    """A CSV naming an unknown column fails the whole job; simple-salesforce raises with the errorMessage."""
    with pytest.raises(SalesforceOperationError) as info:
        sf.bulk2.Contact.insert(records=[{"LastName": "X", "No_Such_Field__c": "y"}], wait=0)
    assert "No_Such_Field__c" in str(info.value)
    assert live(ff, "Contact") == []
    jobs = ff.instance.bulk.list("ingest")
    assert [j.state for j in jobs] == ["Failed"]


# -- Bulk API 2.0 query --------------------------------------------------------------------------------

def test_bulk2_query_pages(ff, sf):
    ff.seed({"records": {"Account": [{"ref": "acme", "Name": "Acme, Inc."}],
                         "Contact": [{"LastName": f"Q{i:03d}", "AccountId": "@acme", "Email": f"q{i}@example.com"}
                                     for i in range(25)]}})
    pages = list(sf.bulk2.Contact.query(
        "SELECT Id, LastName, Email, Account.Name FROM Contact ORDER BY LastName", max_records=10, wait=0))

    assert len(pages) == 3
    rows = [row for page in pages for row in parse_csv(page)]
    assert [len(parse_csv(p)) for p in pages] == [10, 10, 5]
    assert [r["LastName"] for r in rows] == [f"Q{i:03d}" for i in range(25)]
    assert {r["Account.Name"] for r in rows} == {"Acme, Inc."}
    by_name = {r["LastName"]: r["Id"] for r in live(ff, "Contact")}
    assert all(by_name[r["LastName"]] == r["Id"] for r in rows)
    assert rows[3]["Email"] == "q3@example.com"
    # One query job, read in three pages.
    assert [j.operation for j in ff.instance.bulk.list("query")] == ["query"]
    assert counters(ff)["GET /services/data/v{version}/jobs/query/{job_id}/results"] == 3


def test_bulk2_query_all_includes_deleted(ff, sf):
    refs = ff.seed({"records": {"Contact": [{"ref": "x", "LastName": "Kept"}, {"ref": "y", "LastName": "Gone"}]}})
    sf.Contact.delete(refs["y"])
    only_live = [r for p in sf.bulk2.Contact.query("SELECT Id, LastName FROM Contact", wait=0) for r in parse_csv(p)]
    assert [r["LastName"] for r in only_live] == ["Kept"]
    everything = [r for p in sf.bulk2.Contact.query_all("SELECT Id, LastName, IsDeleted FROM Contact ORDER BY "
                                                        "LastName", wait=0) for r in parse_csv(p)]
    assert [(r["LastName"], r["IsDeleted"]) for r in everything] == [("Gone", "true"), ("Kept", "false")]


def test_bulk2_download(ff, sf, tmp_path: Path):
    ff.seed({"records": {"Account": [{"Name": f"Dl {i:02d}", "Industry": "Energy"} for i in range(7)]}})
    results = sf.bulk2.Account.download("SELECT Name, Industry FROM Account ORDER BY Name", path=str(tmp_path),
                                        max_records=3, wait=0)

    assert [r["number_of_records"] for r in results] == [3, 3, 1]
    assert [bool(r["locator"]) for r in results] == [True, True, False]
    rows = []
    for r in results:
        assert Path(r["file"]).parent == tmp_path
        rows += parse_csv(Path(r["file"]).read_text(encoding="utf-8"))
    assert [(r["Name"], r["Industry"]) for r in rows] == [(f"Dl {i:02d}", "Energy") for i in range(7)]
    assert len(live(ff, "Account")) == 7


# -- /composite --------------------------------------------------------------------------------------

def test_composite_with_references(ff, sf):
    body = {"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": f"{DATA}/sobjects/Account", "referenceId": "acc",
         "body": {"Name": "Composite Co"}},
        {"method": "POST", "url": f"{DATA}/sobjects/Contact", "referenceId": "con",
         "body": {"LastName": "Ref", "AccountId": "@{acc.id}"}},
        {"method": "GET", "url": f"{DATA}/sobjects/Contact/@{{con.id}}?fields=LastName,AccountId",
         "referenceId": "get"},
        {"method": "PATCH", "url": f"{DATA}/sobjects/Account/@{{acc.id}}", "referenceId": "upd",
         "body": {"Description": "contact @{con.id}"}},
        {"method": "GET", "url": f"{DATA}/query?q=SELECT+Id,Name+FROM+Account+WHERE+Id='@{{acc.id}}'",
         "referenceId": "q"},
    ]}
    out = sf.restful("composite", method="POST", json=body)["compositeResponse"]

    assert [e["referenceId"] for e in out] == ["acc", "con", "get", "upd", "q"]
    assert [e["httpStatusCode"] for e in out] == [201, 201, 200, 204, 200]
    acc_id, con_id = out[0]["body"]["id"], out[1]["body"]["id"]
    assert out[0]["body"]["success"] is True
    assert out[0]["httpHeaders"]["Location"] == f"{DATA}/sobjects/Account/{acc_id}"
    assert out[2]["body"]["AccountId"] == acc_id and out[2]["body"]["LastName"] == "Ref"
    assert out[4]["body"]["totalSize"] == 1 and out[4]["body"]["records"][0]["Id"] == acc_id

    assert stored(ff, "Contact", con_id)["AccountId"] == acc_id
    assert stored(ff, "Account", acc_id)["Description"] == f"contact {con_id}"
    assert counters(ff).get("POST /services/data/v{version}/composite") == 1


def test_composite_all_or_none_rolls_back(ff, sf):
    before = ff.org.store.count("Account"), ff.org.store.count("Contact")
    body = {"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": f"{DATA}/sobjects/Account", "referenceId": "acc", "body": {"Name": "Doomed"}},
        {"method": "POST", "url": f"{DATA}/sobjects/Contact", "referenceId": "ok",
         "body": {"LastName": "Fine", "AccountId": "@{acc.id}"}},
        {"method": "POST", "url": f"{DATA}/sobjects/Contact", "referenceId": "bad",
         "body": {"FirstName": "NoLastName", "AccountId": "@{acc.id}"}},
        {"method": "POST", "url": f"{DATA}/sobjects/Contact", "referenceId": "after", "body": {"LastName": "Late"}},
    ]}
    out = {e["referenceId"]: e for e in sf.restful("composite", method="POST", json=body)["compositeResponse"]}

    assert out["bad"]["httpStatusCode"] == 400
    assert out["bad"]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    for ref in ("acc", "ok", "after"):
        assert out[ref]["httpStatusCode"] == 400
        assert out[ref]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert (ff.org.store.count("Account"), ff.org.store.count("Contact")) == before
    assert not any(r["Name"] == "Doomed" for r in ff.org.store.records("Account"))

    # Without allOrNone the same request keeps what succeeded.
    body["allOrNone"] = False
    out = {e["referenceId"]: e for e in sf.restful("composite", method="POST", json=body)["compositeResponse"]}
    assert [out[r]["httpStatusCode"] for r in ("acc", "ok", "bad", "after")] == [201, 201, 400, 201]
    assert sorted(r["LastName"] for r in live(ff, "Contact")) == ["Fine", "Late"]
    assert stored(ff, "Contact", out["ok"]["body"]["id"])["AccountId"] == out["acc"]["body"]["id"]


def test_composite_batch_and_tree_and_graph(ff, sf):
    acc = sf.Account.create({"Name": "Batch Co"})["id"]
    batch = sf.restful("composite/batch", method="POST", json={"haltOnError": False, "batchRequests": [
        {"method": "PATCH", "url": f"v{VERSION}/sobjects/Account/{acc}", "richInput": {"Industry": "Banking"}},
        {"method": "GET", "url": f"v{VERSION}/sobjects/Account/{acc}?fields=Name,Industry"},
        {"method": "GET", "url": f"v{VERSION}/sobjects/Account/001000000000001AAA"},
    ]})
    assert batch["hasErrors"] is True
    assert [r["statusCode"] for r in batch["results"]] == [204, 200, 404]
    assert batch["results"][1]["result"]["Industry"] == "Banking"
    assert stored(ff, "Account", acc)["Industry"] == "Banking"

    tree = sf.restful("composite/tree/Account", method="POST", json={"records": [
        {"attributes": {"type": "Account", "referenceId": "t1"}, "Name": "Tree One",
         "Contacts": {"records": [
             {"attributes": {"type": "Contact", "referenceId": "t1c1"}, "LastName": "Leaf1"},
             {"attributes": {"type": "Contact", "referenceId": "t1c2"}, "LastName": "Leaf2"}]}},
    ]})
    assert tree["hasErrors"] is False
    ids = {r["referenceId"]: r["id"] for r in tree["results"]}
    assert set(ids) == {"t1", "t1c1", "t1c2"}
    assert stored(ff, "Account", ids["t1"])["Name"] == "Tree One"
    assert stored(ff, "Contact", ids["t1c2"])["AccountId"] == ids["t1"]

    graph = sf.restful("composite/graph", method="POST", json={"graphs": [
        {"graphId": "good", "compositeRequest": [
            {"method": "POST", "url": f"{DATA}/sobjects/Account", "referenceId": "a", "body": {"Name": "Graph A"}},
            {"method": "POST", "url": f"{DATA}/sobjects/Contact", "referenceId": "c",
             "body": {"LastName": "GraphC", "AccountId": "@{a.id}"}}]},
        {"graphId": "bad", "compositeRequest": [
            {"method": "POST", "url": f"{DATA}/sobjects/Account", "referenceId": "a", "body": {"Name": "Graph B"}},
            {"method": "POST", "url": f"{DATA}/sobjects/Contact", "referenceId": "c", "body": {"Email": "x@y.z"}}]},
    ]})
    res = {g["graphId"]: g for g in graph["graphs"]}
    assert res["good"]["isSuccessful"] is True and res["bad"]["isSuccessful"] is False
    good_ids = [e["body"]["id"] for e in res["good"]["graphResponse"]["compositeResponse"]]
    assert stored(ff, "Contact", good_ids[1])["AccountId"] == good_ids[0]
    names = {r["Name"] for r in live(ff, "Account")}
    assert "Graph A" in names and "Graph B" not in names


# -- /composite/sobjects -----------------------------------------------------------------------------

def test_sobject_collections_create_update_retrieve_delete(ff, sf):
    created = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Contact"}, "LastName": "Coll1", "Email": "c1@example.com"},
        {"attributes": {"type": "Contact"}, "LastName": "Coll2"},
        {"attributes": {"type": "Account"}, "Name": "Coll Account"},
        {"attributes": {"type": "Contact"}, "FirstName": "Missing"},
    ]})
    assert [r["success"] for r in created] == [True, True, True, False]
    assert created[3]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    c1, c2, a1 = (r["id"] for r in created[:3])
    assert stored(ff, "Contact", c1)["Email"] == "c1@example.com"
    assert stored(ff, "Account", a1)["Name"] == "Coll Account"
    assert len(live(ff, "Contact")) == 2

    # allOrNone: one bad record and nothing is written.
    rolled = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": [
        {"attributes": {"type": "Contact"}, "LastName": "WouldBe"},
        {"attributes": {"type": "Contact"}, "Email": "not-an-email", "LastName": "Bad"},
    ]})
    assert [r["success"] for r in rolled] == [False, False]
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert rolled[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert len(live(ff, "Contact")) == 2

    updated = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Contact"}, "id": c1, "Title": "Updated 1"},
        {"attributes": {"type": "Account"}, "id": a1, "Industry": "Retail"},
    ]})
    assert [(r["id"], r["success"]) for r in updated] == [(c1, True), (a1, True)]
    assert stored(ff, "Contact", c1)["Title"] == "Updated 1"
    assert stored(ff, "Account", a1)["Industry"] == "Retail"

    got = sf.restful("composite/sobjects/Contact", params={"ids": f"{c1},{c2},003000000000001AAA",
                                                            "fields": "Id,LastName,Title"})
    assert got[0]["Id"] == c1 and got[0]["Title"] == "Updated 1" and got[0]["attributes"]["type"] == "Contact"
    assert got[1]["LastName"] == "Coll2"
    assert got[2] is None

    removed = sf.restful("composite/sobjects", method="DELETE", params={"ids": f"{c2},{a1}", "allOrNone": "false"})
    assert [(r["id"], r["success"]) for r in removed] == [(c2, True), (a1, True)]
    assert stored(ff, "Contact", c2)["IsDeleted"] is True and stored(ff, "Account", a1)["IsDeleted"] is True
    assert [r["Id"] for r in live(ff, "Contact")] == [c1]


def test_sobject_collections_upsert_by_external_id(ff, sf):
    refs = ff.seed({"records": {"Account": [{"ref": "old", "Name": "Old Name", EXT_FIELD: "ACC-1"}]}})
    out = sf.restful(f"composite/sobjects/Account/{EXT_FIELD}", method="PATCH", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Account"}, EXT_FIELD: "ACC-1", "Name": "New Name"},
        {"attributes": {"type": "Account"}, EXT_FIELD: "ACC-2", "Name": "Second"},
    ]})
    assert [(r["success"], r["created"]) for r in out] == [(True, False), (True, True)]
    assert out[0]["id"] == refs["old"]
    assert stored(ff, "Account", refs["old"])["Name"] == "New Name"
    assert stored(ff, "Account", out[1]["id"])[EXT_FIELD] == "ACC-2"
    assert len(live(ff, "Account")) == 2


# -- /query with locators ----------------------------------------------------------------------------

def test_query_all_follows_next_records_url(fakeforce_tls, sf_tls):
    ff = fakeforce_tls
    ff.seed({"records": {"Contact": [{"LastName": f"Many{i:05d}"} for i in range(2345)]}})
    with ff.control() as c:
        assert c.delete("/counters").status_code in (200, 204)

    result = sf_tls.query_all("SELECT Id, LastName FROM Contact ORDER BY LastName")
    assert result["totalSize"] == 2345
    names = [r["LastName"] for r in result["records"]]
    assert names == [f"Many{i:05d}" for i in range(2345)]
    assert {r["Id"] for r in result["records"]} == {r["Id"] for r in live(ff, "Contact")}
    routes = counters(ff)
    assert routes.get("GET /services/data/v{version}/query") == 1
    assert routes.get("GET /services/data/v{version}/query/{locator}") == 1  # 2000 + 345

    # A smaller batch size means more pages: 500 + 4 more.
    first = sf_tls.query("SELECT Id FROM Contact", headers={"Sforce-Query-Options": "batchSize=500"})
    assert first["totalSize"] == 2345 and len(first["records"]) == 500 and first["done"] is False
    assert first["nextRecordsUrl"].startswith(f"{DATA}/query/")
    seen = len(first["records"])
    page = first
    while not page["done"]:
        page = sf_tls.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        seen += len(page["records"])
    assert seen == 2345


# -- replication: updated / deleted ------------------------------------------------------------------

def test_updated_and_deleted(ff):
    t0 = datetime(2030, 3, 4, 10, 0, 0, tzinfo=timezone.utc)
    with ff.control() as c:
        assert c.post("/clock", json={"set": t0.isoformat(), "freeze": True}).status_code == 200
    sess = _session(ff)  # log in after moving the clock: sessions expire on the org's clock
    sf = _login(ff, sess)
    keep = sf.Contact.create({"LastName": "Keep"})["id"]
    drop = sf.Contact.create({"LastName": "Drop"})["id"]
    with ff.control() as c:
        assert c.post("/clock", json={"advance_seconds": 120}).status_code == 200
    sf.Contact.delete(drop)
    with ff.control() as c:
        assert c.post("/clock", json={"advance_seconds": 180}).status_code == 200

    start, end = t0 - timedelta(minutes=1), t0 + timedelta(minutes=10)
    upd = sf.Contact.updated(start, end)
    assert keep in upd["ids"]
    assert upd["latestDateCovered"].startswith("2030-03-04T10:05:00")  # clamped to the org's now, by the minute
    dele = sf.Contact.deleted(start, end)
    assert [d["id"] for d in dele["deletedRecords"]] == [drop]
    assert dele["deletedRecords"][0]["deletedDate"].startswith("2030-03-04T10:02:00")
    assert stored(ff, "Contact", drop)["IsDeleted"] is True
    # A window before the changes is empty.
    assert sf.Contact.updated(t0 - timedelta(days=2), t0 - timedelta(days=1))["ids"] == []
    sess.close()
