"""jsforce (the real Node client) against fakeforce: sObject Collections, the composite family, Bulk API 2.0
and query locators.

Each test runs ``tests/clients/js/batch.mjs <scenario>`` with the server's URL and credentials in the
environment; the script prints one JSON object with what jsforce returned (or the error it raised) and
fakeforce's per-route counters, which show which resources jsforce really used. Results are checked against
the server's store. Needs ``node`` and ``npm ci`` in tests/clients/js; the module is skipped otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
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
V = "/services/data/v{version}"  # how fakeforce's route counters name the versioned prefix


def run_js(ff: FakeforceHandle, scenario: str, **extra_env: str) -> dict[str, Any]:
    out = run_node(ff, "batch.mjs", scenario, 120, **extra_env)
    assert "error" not in out, f"scenario failed outside a jsforce call: {out['error']}"
    return out


def ok(step: dict) -> Any:
    assert step["ok"], f"jsforce call failed: {step['error']}"
    return step["value"]


def err(step: dict) -> dict:
    assert not step["ok"], f"jsforce call succeeded but should have failed: {step['value']}"
    return step["error"]


def live(ff: FakeforceHandle, sobject: str) -> list[dict]:
    return [r for r in ff.org.store.records(sobject) if not r.get("IsDeleted")]


@pytest.fixture
def ff(ext_server: FakeforceServer) -> FakeforceHandle:
    ext_server.fakeforce.reset()
    return FakeforceHandle(ext_server)


# -- sObject Collections ---------------------------------------------------------------------------

def test_multi_record_dml_uses_collections(ff: FakeforceHandle) -> None:
    seeded = ff.seed({"records": {"Contact": [{"ref": "s", "LastName": "Seeded", EXT_FIELD: "K-SEEDED"}]}})["s"]
    out = run_js(ff, "collections")
    store = ff.org.store

    created = ok(out["create"])
    assert [r["success"] for r in created] == [True, True, False]
    assert all(ID18.match(r["id"]) for r in created[:2])
    assert created[2]["id"] is None
    assert created[2]["errors"] == [{"message": "Required fields are missing: [LastName]",
                                     "statusCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]}]
    c1, c2 = out["ids"]
    assert [r["id"] for r in created[:2]] == [c1, c2]

    updated = ok(out["update"])
    assert [(r["id"], r["success"]) for r in updated] == [(c1, True), (c2, True), (MISSING_ID, False)]
    assert updated[2]["errors"] and updated[2]["errors"][0]["statusCode"]

    # retrieve([ids]) posts every describe field name to /composite/sobjects/Contact.
    got = ok(out["retrieve"])
    assert [r["Id"] for r in got] == [c1, c2]
    assert (got[0]["FirstName"], got[0]["LastName"], got[0]["Email"], got[0]["Title"]) == \
        ("Ada", "Coll1", "ada@example.com", "First")
    assert got[1]["Title"] == "Second" and got[1]["attributes"]["type"] == "Contact"
    assert got[0][EXT_FIELD] is None and "Name" in got[0]
    picked = ok(out["retrieveFields"])
    assert picked[0] == {"attributes": {"type": "Contact", "url": f"/services/data/v50.0/sobjects/Contact/{c1}"},
                         "Id": c1, "LastName": "Coll1", "Title": "First"}
    assert picked[1] is None

    # allOrNone: the bad record carries its error, the others are rolled back; nothing was written.
    aon = ok(out["createAllOrNone"])
    assert [r["success"] for r in aon] == [False, False]
    assert aon[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert aon[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert not any(r["LastName"] in ("WouldBe", "BadEmail") for r in store.records("Contact"))
    upd_aon = ok(out["updateAllOrNone"])
    assert [r["success"] for r in upd_aon] == [False, False]
    assert upd_aon[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert upd_aon[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"

    upserted = ok(out["upsert"])
    assert [(r["success"], r["created"]) for r in upserted] == [(True, True), (True, False)]
    assert upserted[1]["id"] == seeded
    assert store.get("Contact", seeded)["Title"] == "Upserted existing"
    new = store.get("Contact", upserted[0]["id"])
    assert (new["LastName"], new[EXT_FIELD]) == ("UpsertedNew", "K-1")

    del_aon = ok(out["destroyAllOrNone"])
    assert [r["success"] for r in del_aon] == [False, False]
    assert del_aon[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    destroyed = ok(out["destroy"])
    assert [(r["id"], r["success"]) for r in destroyed] == [(c1, True), (c2, True)]

    # Server side: the rolled-back update left Title "First"; the last destroy deleted both for real.
    assert store.get("Contact", c1)["Title"] == "First" and store.get("Contact", c1)["IsDeleted"] is True
    assert store.get("Contact", c2)["LastName"] == "Coll2" and store.get("Contact", c2)["IsDeleted"] is True
    assert sorted(r["LastName"] for r in live(ff, "Contact")) == ["Seeded", "UpsertedNew"]

    # jsforce really used sObject Collections (version 50.0 >= 42), never the single-record resources.
    routes = out["counters"]
    assert out["version"] == "50.0"
    assert routes.get(f"POST {V}/composite/sobjects") == 2
    assert routes.get(f"PATCH {V}/composite/sobjects") == 2
    assert routes.get(f"DELETE {V}/composite/sobjects") == 2
    assert routes.get(f"POST {V}/composite/sobjects/{{sobject}}") == 2
    assert routes.get(f"PATCH {V}/composite/sobjects/{{sobject}}/{{field}}") == 1
    assert not any("/sobjects/{sobject}/{" in k and "composite" not in k for k in routes), routes
    assert f"POST {V}/sobjects/{{sobject}}" not in routes


# -- Bulk API 2.0 ----------------------------------------------------------------------------------

def test_bulk2_load_and_wait_and_query(ff: FakeforceHandle) -> None:
    out = run_js(ff, "bulk2")
    store = ff.org.store

    inserted = ok(out["insert"])
    assert [(r["LastName"], r["sf__Created"]) for r in inserted["successfulResults"]] == \
        [("One", "true"), ("Two", "true")]
    assert inserted["successfulResults"][1]["FirstName"] == "Bulk, Jr."  # a quoted CSV cell survived
    assert len(inserted["failedResults"]) == 1
    failed = inserted["failedResults"][0]
    assert failed["LastName"] == "Three" and failed["sf__Id"] == ""
    assert failed["sf__Error"] == "INVALID_EMAIL_ADDRESS:Email: invalid email address: not-an-email:Email --"
    assert inserted["unprocessedRecords"] == []
    ids = {r[EXT_FIELD]: r["sf__Id"] for r in inserted["successfulResults"]}
    for key, row in zip(("B-1", "B-2"), inserted["successfulResults"]):
        rec = store.get("Contact", ids[key])
        assert (rec["LastName"], rec["Email"], rec[EXT_FIELD]) == (row["LastName"], row["Email"], key)

    upserted = ok(out["upsert"])
    by_key = {r[EXT_FIELD]: r for r in upserted["successfulResults"]}
    assert by_key["B-1"]["sf__Id"] == ids["B-1"] and by_key["B-1"]["sf__Created"] == "false"
    assert by_key["B-4"]["sf__Created"] == "true"
    assert upserted["failedResults"] == []
    assert store.get("Contact", ids["B-1"])["Title"] == "Upserted"
    four = store.get("Contact", by_key["B-4"]["sf__Id"])
    assert (four["LastName"], four["Title"], four[EXT_FIELD]) == ("Four", "New", "B-4")

    deleted = ok(out["delete"])
    assert [r["sf__Id"] for r in deleted["successfulResults"]] == [ids["B-2"]]
    assert [r["Id"] for r in deleted["failedResults"]] == [MISSING_ID]
    assert deleted["failedResults"][0]["sf__Error"]
    assert store.get("Contact", ids["B-2"])["IsDeleted"] is True

    rows = ok(out["query"])
    assert rows == [
        {"Id": ids["B-1"], "LastName": "One", "Title": "Upserted", EXT_FIELD: "B-1"},
        {"Id": by_key["B-4"]["sf__Id"], "LastName": "Four", "Title": "New", EXT_FIELD: "B-4"},
    ]
    assert sorted(r[EXT_FIELD] for r in live(ff, "Contact")) == ["B-1", "B-4"]

    routes = out["counters"]
    assert routes.get(f"POST {V}/jobs/ingest") == 3
    assert routes.get(f"PUT {V}/jobs/ingest/{{job_id}}/batches") == 3
    assert routes.get(f"PATCH {V}/jobs/ingest/{{job_id}}") == 3  # UploadComplete
    assert routes.get(f"GET {V}/jobs/ingest/{{job_id}}/unprocessedrecords") == 3
    assert routes.get(f"POST {V}/jobs/query") == 1
    assert {j.operation for j in ff.instance.bulk.list("ingest")} == {"insert", "upsert", "delete"}
    assert all(j.state == "JobComplete" for j in ff.instance.bulk.list("ingest"))


def test_bulk2_query_many_rows_and_bad_soql(ff: FakeforceHandle) -> None:
    ff.seed({"records": {"Account": [{"ref": "a", "Name": "Big Co"}],
                         "Contact": [{"LastName": f"M{i:05d}", "AccountId": "@a"} for i in range(2345)]}})
    out = run_js(ff, "bulk2_query_many")

    rows = ok(out["query"])
    assert len(rows) == 2345
    assert [r["Name"] for r in rows[:3]] == ["M00000", "M00001", "M00002"]
    assert {r["Account.Name"] for r in rows} == {"Big Co"}
    assert {r["Id"] for r in rows} == {r["Id"] for r in live(ff, "Contact")}

    bad = err(out["bad"])
    assert "Nope__c" in bad["message"]
    # The bad query never became a job; the good one was read until Sforce-Locator said "null".
    assert [j.state for j in ff.instance.bulk.list("query")] == ["JobComplete"]
    assert out["counters"].get(f"POST {V}/jobs/query") == 2
    assert out["counters"].get(f"GET {V}/jobs/query/{{job_id}}/results", 0) >= 1


# -- /query with locators --------------------------------------------------------------------------

def test_query_auto_fetch_follows_locators(ff: FakeforceHandle) -> None:
    ff.seed({"records": {"Contact": [{"LastName": f"M{i:05d}"} for i in range(2345)]}})
    out = run_js(ff, "query_more")

    everything = ok(out["all"])
    assert (everything["totalSize"], everything["done"], everything["count"]) == (2345, True, 2345)
    assert (everything["first"], everything["last"]) == ("M00000", "M02344")
    assert len(set(everything["ids"])) == 2345
    assert set(everything["ids"]) == {r["Id"] for r in live(ff, "Contact")}
    assert out["afterAll"] == {f"GET {V}/query": 1, f"GET {V}/query/{{locator}}": 1}

    capped = ok(out["capped"])
    assert (capped["totalSize"], capped["count"], capped["last"]) == (2345, 2100, "M02099")

    first = ok(out["firstPage"])
    assert (first["totalSize"], first["done"], first["count"]) == (2345, False, 2000)
    assert first["nextRecordsUrl"].startswith(f"{ff.url}/services/data/v50.0/query/01g")
    assert out["counters"] == {f"GET {V}/query": 3, f"GET {V}/query/{{locator}}": 2}


# -- /composite, /composite/batch, /composite/tree --------------------------------------------------

def test_composite_requests(ff: FakeforceHandle) -> None:
    out = run_js(ff, "composite")
    store = ff.org.store
    base = f"/services/data/v{out['version']}"

    entries = {e["referenceId"]: e for e in ok(out["refs"])["compositeResponse"]}
    assert [entries[r]["httpStatusCode"] for r in ("acc", "con", "get", "q", "upd")] == [201, 201, 200, 200, 204]
    acc, con = entries["acc"]["body"]["id"], entries["con"]["body"]["id"]
    assert entries["con"]["httpHeaders"]["Location"] == f"{base}/sobjects/Contact/{con}"
    assert entries["get"]["body"]["AccountId"] == acc
    assert entries["q"]["body"]["records"][0]["Contacts"]["records"][0]["Id"] == con
    assert store.get("Contact", con)["AccountId"] == acc
    assert store.get("Contact", con)["Title"] == f"Found via {acc}"
    assert store.get("Account", acc)["Name"] == "JS Composite"

    rolled = {e["referenceId"]: e for e in ok(out["rollback"])["compositeResponse"]}
    assert rolled["bad"]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert [rolled[r]["body"][0]["errorCode"] for r in ("acc", "later")] == ["PROCESSING_HALTED"] * 2
    assert not any(r["Name"] == "JS Doomed" for r in store.records("Account"))
    assert not any(r.get("LastName") == "Later" for r in store.records("Contact"))

    bad_ref = ok(out["badReference"])["compositeResponse"][0]
    assert bad_ref["httpStatusCode"] == 400 and bad_ref["body"][0]["errorCode"] == "PROCESSING_HALTED"

    batch = ok(out["batch"])
    assert batch["hasErrors"] is True
    assert [r["statusCode"] for r in batch["results"]] == [201, 404, 412]
    assert batch["results"][2]["result"][0]["errorCode"] == "BATCH_PROCESSING_HALTED"
    assert store.get("Account", batch["results"][0]["result"]["id"])["Name"] == "JS Batch"
    assert not any(r["Name"] == "JS Never" for r in store.records("Account"))

    tree = ok(out["tree"])
    assert tree["hasErrors"] is False
    ids = {r["referenceId"]: r["id"] for r in tree["results"]}
    assert store.get("Contact", ids["kid"])["AccountId"] == ids["root"]
    assert store.get("Account", ids["root"])["Name"] == "JS Tree"

    assert out["counters"] == {f"POST {V}/composite": 3, f"POST {V}/composite/batch": 1,
                               f"POST {V}/composite/tree/{{sobject}}": 1}


def test_missing_env_is_a_crash_not_a_result() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEFORCE_")}
    proc = subprocess.run([NODE, str(JS_DIR / "batch.mjs"), "collections"], cwd=JS_DIR, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert "FAKEFORCE_URL" in proc.stderr
