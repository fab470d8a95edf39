"""Composite, batch, graph, tree and sObject collections: shapes, references, limits and all-or-none."""


import pytest


@pytest.fixture
def api(fakeforce):
    with fakeforce.client(version="62.0") as client:
        yield client


def count(fakeforce, type_name):
    return sum(1 for r in fakeforce.org.store.records(type_name) if not r.get("IsDeleted"))


def test_composite_with_references(api, fakeforce):
    body = {"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "acct",
         "body": {"Name": "Acme"}},
        {"method": "GET", "url": "/services/data/v62.0/sobjects/Account/@{acct.id}", "referenceId": "acctInfo"},
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "contact",
         "body": {"LastName": "Doe", "AccountId": "@{acct.id}", "Description": "of @{acctInfo.Name}"}},
        {"method": "GET", "url": "/services/data/v62.0/query/?q=SELECT+Id,Account.Name+FROM+Contact",
         "referenceId": "q"},
        {"method": "PATCH", "url": "/services/data/v62.0/sobjects/Contact/@{q.records[0].Id}",
         "referenceId": "upd", "body": {"Title": "CEO"}},
    ]}
    r = api.post("/composite", json=body)
    assert r.status_code == 200
    entries = r.json()["compositeResponse"]
    assert [e["referenceId"] for e in entries] == ["acct", "acctInfo", "contact", "q", "upd"]
    assert [e["httpStatusCode"] for e in entries] == [201, 200, 201, 200, 204]
    acct_id = entries[0]["body"]["id"]
    assert entries[0]["httpHeaders"] == {"Location": f"/services/data/v62.0/sobjects/Account/{acct_id}"}
    contact = fakeforce.org.store.get("Contact", entries[2]["body"]["id"])
    assert contact["AccountId"] == acct_id and contact["Description"] == "of Acme" and contact["Title"] == "CEO"
    assert entries[4]["body"] is None


def test_composite_all_or_none_rolls_everything_back(api, fakeforce):
    body = {"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "a", "body": {"Name": "X"}},
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "bad",
         "body": {"Email": "nope"}},
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "c", "body": {"Name": "Y"}},
    ]}
    entries = api.post("/composite", json=body).json()["compositeResponse"]
    assert [e["httpStatusCode"] for e in entries] == [400, 400, 400]
    assert entries[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert entries[1]["body"][0]["errorCode"] == "INVALID_EMAIL_ADDRESS"
    assert entries[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert count(fakeforce, "Account") == 0 and count(fakeforce, "Contact") == 0


def test_composite_without_all_or_none_keeps_the_successes(api, fakeforce):
    body = {"compositeRequest": [
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "bad", "body": {}},
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "ok", "body": {"Name": "K"}},
        {"method": "GET", "url": "/services/data/v62.0/sobjects/Contact/@{bad.id}", "referenceId": "dep"},
    ]}
    entries = api.post("/composite", json=body).json()["compositeResponse"]
    assert [e["httpStatusCode"] for e in entries] == [400, 201, 400]
    assert entries[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert count(fakeforce, "Account") == 1


@pytest.mark.parametrize("body, code", [
    ({"compositeRequest": []}, "INVALID_INPUT"),
    ({"compositeRequest": [{"method": "GET", "url": "/services/data/v62.0/sobjects", "referenceId": f"r{i}"}
                           for i in range(26)]}, "LIMIT_EXCEEDED"),
    ({"compositeRequest": [{"method": "GET", "url": "/services/data/v62.0/sobjects", "referenceId": "a-b"}]},
     "INVALID_INPUT"),
    ({"compositeRequest": [{"method": "GET", "url": "/elsewhere", "referenceId": "a"}]}, "INVALID_INPUT"),
    ({"compositeRequest": [{"method": "get", "url": "/services/data/v62.0/sobjects", "referenceId": "a"}]},
     "INVALID_INPUT"),
    ({"nothing": True}, "JSON_PARSER_ERROR"),
])
def test_composite_request_errors(api, body, code):
    r = api.post("/composite", json=body)
    assert r.status_code == 400 and r.json()[0]["errorCode"] == code


def test_batch_with_halt_on_error(api, fakeforce):
    body = {"haltOnError": True, "batchRequests": [
        {"method": "POST", "url": "v62.0/sobjects/Account", "richInput": {"Name": "One"}},
        {"method": "GET", "url": "v62.0/sobjects/Account/001000000000000AAA"},
        {"method": "POST", "url": "v62.0/sobjects/Account", "richInput": {"Name": "Two"}},
    ]}
    body_out = api.post("/composite/batch", json=body).json()
    assert body_out["hasErrors"] is True
    assert [r["statusCode"] for r in body_out["results"]] == [201, 404, 412]
    assert body_out["results"][2]["result"][0]["errorCode"] == "BATCH_PROCESSING_HALTED"
    assert count(fakeforce, "Account") == 1


def test_graph(api, fakeforce):
    body = {"graphs": [
        {"graphId": "g1", "compositeRequest": [
            {"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "a",
             "body": {"Name": "G"}}]},
        {"graphId": "g2", "compositeRequest": [
            {"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": "a",
             "body": {"Name": "H"}},
            {"method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "c", "body": {}}]},
    ]}
    graphs = api.post("/composite/graph", json=body).json()["graphs"]
    assert [(g["graphId"], g["isSuccessful"]) for g in graphs] == [("g1", True), ("g2", False)]
    assert [r["Name"] for r in fakeforce.org.store.records("Account")] == ["G"]


def test_tree(api, fakeforce):
    body = {"records": [
        {"attributes": {"type": "Account", "referenceId": "acme"}, "Name": "Acme",
         "Contacts": {"records": [{"attributes": {"type": "Contact", "referenceId": "jane"}, "LastName": "Doe"},
                                  {"attributes": {"type": "Contact", "referenceId": "john"}, "LastName": "Roe"}]}},
        {"attributes": {"type": "Account", "referenceId": "globex"}, "Name": "Globex"}]}
    r = api.post("/composite/tree/Account", json=body)
    assert r.status_code == 201
    results = r.json()
    assert results["hasErrors"] is False
    ids = {x["referenceId"]: x["id"] for x in results["results"]}
    assert set(ids) == {"acme", "jane", "john", "globex"}
    assert fakeforce.org.store.get("Contact", ids["jane"])["AccountId"] == ids["acme"]

    body["records"][0]["Contacts"]["records"][1]["Email"] = "bad"
    r = api.post("/composite/tree/Account", json=body)
    assert r.status_code == 400
    assert r.json() == {"hasErrors": True, "results": [{"referenceId": "john", "errors": [
        {"statusCode": "INVALID_EMAIL_ADDRESS", "message": "Email: invalid email address: bad", "fields": ["Email"]}]}]}
    assert count(fakeforce, "Account") == 2  # nothing of the failed tree remains


def test_collections_create_update_delete_retrieve(api, fakeforce):
    records = [{"attributes": {"type": "Contact"}, "LastName": f"C{i}"} for i in range(3)]
    results = api.post("/composite/sobjects", json={"allOrNone": False, "records": records}).json()
    assert [set(r) for r in results] == [{"id", "success", "errors"}] * 3
    ids = [r["id"] for r in results]
    results = api.patch("/composite/sobjects", json={"records": [
        {"attributes": {"type": "Contact"}, "id": ids[0], "Title": "A"},
        {"attributes": {"type": "Contact"}, "id": ids[1], "Email": "bad"},
        {"attributes": {"type": "Contact"}, "Title": "no id"}]}).json()
    assert results[0] == {"id": ids[0], "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert results[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    rows = api.get("/composite/sobjects/Contact", params={"ids": f"{ids[0]},{ids[2]},003000000000000AAA",
                                                          "fields": "Id,LastName,Title"}).json()
    assert rows[0]["Title"] == "A" and rows[1]["LastName"] == "C2" and rows[2] is None
    rows = api.post("/composite/sobjects/Contact", json={"ids": ids[:1], "fields": ["LastName"]}).json()
    assert rows[0]["LastName"] == "C0"
    results = api.delete("/composite/sobjects", params={"ids": ",".join(ids[:2]), "allOrNone": "false"}).json()
    assert [r["success"] for r in results] == [True, True]
    assert count(fakeforce, "Contact") == 1


def test_collections_all_or_none(api, fakeforce):
    records = [{"attributes": {"type": "Account"}, "Name": "Fine"}, {"attributes": {"type": "Contact"}}]
    results = api.post("/composite/sobjects", json={"allOrNone": True, "records": records}).json()
    assert results[0] == {"id": None, "success": False, "errors": [{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not all records "
        "were valid and the request was using AllOrNone header", "fields": []}]}
    assert results[1]["errors"][0] == {"statusCode": "REQUIRED_FIELD_MISSING",
                                       "message": "Required fields are missing: [LastName]", "fields": ["LastName"]}
    assert count(fakeforce, "Account") == 0


def test_collections_limits(api):
    records = [{"attributes": {"type": "Account"}, "Name": str(i)} for i in range(201)]
    r = api.post("/composite/sobjects", json={"records": records})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    r = api.post("/composite/sobjects", json={"records": [{"Name": "no type"}]})
    assert r.json()[0]["errors"][0]["statusCode"] == "INVALID_TYPE"


def test_collections_upsert(ext_fakeforce):
    with ext_fakeforce.client(version="62.0") as api:
        body = {"allOrNone": False, "records": [
            {"attributes": {"type": "Contact"}, "Ext__c": "e1", "LastName": "One"},
            {"attributes": {"type": "Contact"}, "Ext__c": "e2", "LastName": "Two"}]}
        first = api.patch("/composite/sobjects/Contact/Ext__c", json=body).json()
        assert [r["created"] for r in first] == [True, True]
        body["records"][0]["LastName"] = "Uno"
        again = api.patch("/composite/sobjects/Contact/Ext__c", json=body).json()
        assert [r["created"] for r in again] == [False, False]
        assert [r["id"] for r in again] == [r["id"] for r in first]
        assert ext_fakeforce.org.store.get("Contact", first[0]["id"])["LastName"] == "Uno"


def test_concurrent_all_or_none_writes_never_interleave(tmp_path):
    """Many clients at once: every composite lands whole or not at all, in memory and in the data file."""
    import threading

    import httpx

    from fakeforce.org import Org
    from fakeforce.server import FakeforceServer

    data = tmp_path / "org.json"
    with FakeforceServer(data_path=str(data)) as server:
        token = server.fakeforce.sessions.issue(server.org.admin_user_id, "fakeforce").token
        headers = {"Authorization": f"Bearer {token}"}
        counts: list[int] = []
        outcomes: list[bool] = []

        def writer(worker: int) -> None:
            with httpx.Client(base_url=f"{server.url}/services/data/v62.0", headers=headers, timeout=30) as api:
                for i in range(15):
                    fail = (worker + i) % 4 == 0
                    body = {"allOrNone": True, "compositeRequest": [
                        {"method": "POST", "url": "/services/data/v62.0/sobjects/Account", "referenceId": f"a{k}",
                         "body": {"Name": f"w{worker}-{i}-{k}"}} for k in range(3)] + ([
                            {"method": "POST", "url": "/services/data/v62.0/sobjects/Contact", "referenceId": "bad",
                             "body": {}}] if fail else [])}
                    entries = api.post("/composite", json=body).json()["compositeResponse"]
                    outcomes.append(all(e["httpStatusCode"] < 400 for e in entries))

        def reader() -> None:
            with httpx.Client(base_url=f"{server.url}/services/data/v62.0", headers=headers, timeout=30) as api:
                for _ in range(40):
                    counts.append(api.get("/query", params={"q": "SELECT COUNT() FROM Account"}).json()["totalSize"])

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)] + [threading.Thread(target=reader)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expected = 3 * sum(outcomes)
        assert sum(1 for _ in server.org.store.records("Account")) == expected
        assert all(c % 3 == 0 for c in counts)
    reopened = Org(data_path=str(data))
    assert sum(1 for _ in reopened.store.records("Account")) == expected
    assert sum(1 for _ in reopened.store.records("Contact")) == 0
