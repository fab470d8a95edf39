"""No input gets a 500: hostile JSON, SOQL, CSV, paths and verbs answer Salesforce's error array (issue 9)."""

import time

import pytest

V = "/services/data/v62.0"
HOSTILE = {"deep-array": "[" * 1000 + "]" * 1000, "deep-object": '{"a":' * 1000 + "1" + "}" * 1000,
           "5000-digits": "9" * 5000, "NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity",
           "1e999": "1e999"}
NEW_ACCOUNT = f'"method": "POST", "url": "{V}/sobjects/Account", "referenceId": "a"'
JSON_ROUTES = {  # every family that reads a JSON body, with a well-formed body where the hostile value goes
    "sobjects": ("POST", f"{V}/sobjects/Account", '{"Name": "x", "Description": %s}'),
    "sobject-update": ("PATCH", f"{V}/sobjects/Account/001000000000001AAA", '{"Description": %s}'),
    "composite": ("POST", f"{V}/composite",
                  '{"compositeRequest": [{%s, "body": {"Name": "x", "Description": %%s}}]}' % NEW_ACCOUNT),
    "batch": ("POST", f"{V}/composite/batch", '{"batchRequests": [{"method": "POST", "url": "v62.0/sobjects/Account",'
              ' "richInput": {"Name": "x", "Description": %s}}]}'),
    "graph": ("POST", f"{V}/composite/graph", '{"graphs": [{"graphId": "g", "compositeRequest": [{%s, "body": '
              '{"Name": "x", "Description": %%s}}]}]}' % NEW_ACCOUNT),
    "collections": ("POST", f"{V}/composite/sobjects",
                    '{"records": [{"attributes": {"type": "Account"}, "Name": "x", "Description": %s}]}'),
    "tree": ("POST", f"{V}/composite/tree/Account", '{"records": [{"attributes": {"type": "Account", '
             '"referenceId": "a"}, "Name": "x", "Description": %s}]}'),
    "bulk-ingest": ("POST", f"{V}/jobs/ingest", '{"object": "Account", "operation": "insert", "x": %s}'),
    "bulk-query": ("POST", f"{V}/jobs/query", '{"operation": "query", "query": "SELECT Id FROM Account", "x": %s}'),
    "search": ("POST", f"{V}/parameterizedSearch", '{"q": "acme", "x": %s}'),
    "control-faults": ("POST", "/_fakeforce/faults", '{"route": "/x", "status": 503, "latency_ms": %s}'),
    "control-seed": ("POST", "/_fakeforce/seed", '{"records": {"Account": [{"Name": "x", "Description": %s}]}}'),
    "control-clock": ("POST", "/_fakeforce/clock", '{"advance_seconds": %s}'),
}


@pytest.fixture
def http(fakeforce):
    headers = {"Authorization": f"Bearer {fakeforce.token()}", "X-Fakeforce-Token": fakeforce.settings.control_token}
    with fakeforce.http(headers=headers) as client:
        yield client


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("method, path, template", JSON_ROUTES.values(), ids=JSON_ROUTES.keys())
def test_hostile_json_is_a_parser_error_everywhere(http, fakeforce, method, path, template, value):
    r = http.request(method, path, content=template % value, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()[0]["errorCode"] == "JSON_PARSER_ERROR", r.text
    assert fakeforce.org.store.count("Account") == 0 and fakeforce.instance.faults.list() == []
    assert fakeforce.instance.bulk.list("ingest") == [] and fakeforce.instance.bulk.list("query") == []


def test_the_well_formed_bodies_work(http, fakeforce):
    """The templates above are valid requests once the hostile value is a plain one."""
    for name, (method, path, template) in JSON_ROUTES.items():
        if name != "sobject-update":
            r = http.request(method, path, content=template % "1", headers={"Content-Type": "application/json"})
            assert r.status_code < 300, (name, r.text)


@pytest.mark.parametrize("body", ['{"x": %s}' % v for v in HOSTILE.values()], ids=HOSTILE.keys())
def test_hostile_json_on_the_token_endpoint_is_an_oauth_error(http, body):
    r = http.post("/services/oauth2/token", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()


def test_nan_is_not_stored_as_text_or_null(http, fakeforce):
    for value in ("NaN", "Infinity"):
        r = http.post(f"{V}/sobjects/Account", content='{"Name": "x", "Description": %s}' % value,
                      headers={"Content-Type": "application/json"})
        assert r.status_code == 400
    assert fakeforce.org.store.count("Account") == 0


def _query(http, soql: str, path: str = "/query"):
    return http.get(f"{V}{path}", params={"q": soql})


@pytest.mark.parametrize("path", ["/query", "/queryAll"])
def test_deep_and_long_soql(http, fakeforce, path):
    fakeforce.seed({"records": {"Account": [{"Name": "a"}, {"Name": "b"}]}})
    nested = "SELECT Id FROM Account WHERE " + "(" * 60 + "Name = 'a'" + ")" * 60
    r = _query(http, nested, path)
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_QUERY"
    ors = "SELECT Name FROM Account WHERE " + " OR ".join(["Name = 'zz'"] * 999 + ["Name = 'a'"])
    r = _query(http, ors, path)
    assert r.status_code == 200 and [rec["Name"] for rec in r.json()["records"]] == ["a"]
    ands = "SELECT Name FROM Account WHERE " + " AND ".join(["Name != 'zz'"] * 1000)
    assert _query(http, ands, path).json()["totalSize"] == 2


def test_huge_limit_answers_every_row(http, fakeforce):
    fakeforce.seed({"records": {"Account": [{"Name": "a"}, {"Name": "b"}]}})
    r = _query(http, "SELECT Name FROM Account LIMIT 99999999999999999999")
    assert r.status_code == 200 and r.json()["totalSize"] == 2
    r = _query(http, "SELECT Name FROM Account ORDER BY Name LIMIT 99999999999999999999")
    assert [rec["Name"] for rec in r.json()["records"]] == ["a", "b"]
    r = _query(http, "SELECT Name FROM Account LIMIT " + "9" * 5000)
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_QUERY"
    r = _query(http, "SELECT Name FROM Account WHERE NumberOfEmployees = " + "9" * 5000)
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_QUERY"


@pytest.mark.parametrize("literal", ["LAST_N_DAYS:99999999999", "NEXT_N_DAYS:99999999999",
                                     "LAST_N_MONTHS:99999999999", "N_YEARS_AGO:99999999999"])
def test_date_literal_overflow_is_malformed_with_or_without_rows(http, fakeforce, literal):
    soql = f"SELECT Id FROM Account WHERE CreatedDate = {literal}"
    r = _query(http, soql)
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_QUERY", r.text
    assert f"Invalid date literal: {literal}" in r.json()[0]["message"]
    fakeforce.seed({"records": {"Account": [{"Name": "a"}]}})
    assert _query(http, soql).status_code == 400
    r = http.post(f"{V}/jobs/query", json={"operation": "query", "query": soql})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert _query(http, "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:3650").json()["totalSize"] == 1


def _ingest(http, csv: bytes, **job) -> str:
    r = http.post(f"{V}/jobs/ingest", json={"object": "Account", "operation": "insert", **job})
    job_id = r.json()["id"]
    assert http.put(f"{V}/jobs/ingest/{job_id}/batches", content=csv,
                    headers={"Content-Type": "text/csv"}).status_code == 201
    return job_id


@pytest.mark.parametrize("csv", [b"Name\nA\rB\n", b"Name\r\nA\r\r\nB\n", b'Name\n"A\rB"\n', b'Name\n"A\n',
                                 b"Name\n" + b"x" * 200_000 + b"\n"],
                         ids=["bare-cr", "cr-cr-lf", "cr-in-quotes", "open-quote", "huge-field"])
def test_bulk_csv_with_stray_carriage_returns(http, csv):
    job_id = _ingest(http, csv)
    r = http.get(f"{V}/jobs/ingest/{job_id}/unprocessedrecords")  # the data before processing
    assert r.status_code == 200 and r.text.startswith("Name")
    assert http.patch(f"{V}/jobs/ingest/{job_id}", json={"state": "UploadComplete"}).status_code == 200
    info = http.get(f"{V}/jobs/ingest/{job_id}").json()
    assert info["state"] in ("JobComplete", "Failed")
    for which in ("successfulResults", "failedResults", "unprocessedrecords"):
        assert http.get(f"{V}/jobs/ingest/{job_id}/{which}").status_code == 200


def test_a_carriage_return_inside_quotes_is_data(http, fakeforce):
    job_id = _ingest(http, b'Name,Description\nA,"line\rnext"\n')
    http.patch(f"{V}/jobs/ingest/{job_id}", json={"state": "UploadComplete"})
    record = next(fakeforce.org.store.records("Account"))
    assert record["Description"] == "line\rnext"


NOT_FOUND = [f"{V}/nothing", "/nothing", f"{V}/sobjects/Account/001000000000001AAA/x/y", "/_fakeforce/nothing",
             "/services/oauth2/nothing", "/services/data/v1.0/sobjects"]


@pytest.mark.parametrize("path", NOT_FOUND)
def test_404_is_an_error_array(http, path):
    r = http.get(path)
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", f"{V}/sobjects", {"GET", "HEAD"}),
    ("PUT", f"{V}/sobjects/Account", {"GET", "HEAD", "POST"}),
    ("DELETE", f"{V}/query", {"GET", "HEAD"}),
    ("PUT", f"{V}/composite", {"GET", "HEAD", "POST"}),
    ("DELETE", f"{V}/composite/tree/Account", {"POST"}),
    ("GET", f"{V}/jobs/ingest/750000000000001AAA/batches", {"PUT"}),
    ("DELETE", "/_fakeforce/clock", {"GET", "HEAD", "POST"}),
    ("PUT", "/services/oauth2/token", {"GET", "HEAD", "POST"}),
    ("PATCH", "/services/data", {"GET", "HEAD"}),
])
def test_405_carries_allow(http, method, path, allowed):
    r = http.request(method, path)
    assert r.status_code == 405, r.text
    assert r.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
    assert {v.strip() for v in r.headers["Allow"].split(",")} == allowed


def test_a_trailing_newline_passes_no_id_email_or_reference(http, fakeforce):
    account = http.post(f"{V}/sobjects/Account", json={"Name": "A"}).json()["id"]
    r = http.get(f"{V}/sobjects/Account/{account}%0A")
    assert r.status_code in (400, 404) and r.json()[0]["errorCode"] in ("NOT_FOUND", "MALFORMED_ID")
    r = http.post(f"{V}/sobjects/Contact", json={"LastName": "x", "AccountId": account + "\n"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_ID"
    r = http.post(f"{V}/sobjects/Contact", json={"LastName": "x", "Email": "a@b.com\n"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_EMAIL_ADDRESS"
    r = http.post(f"{V}/composite", json={"compositeRequest": [
        {"method": "POST", "url": f"{V}/sobjects/Contact", "referenceId": "c1\n", "body": {"LastName": "x"}}]})
    assert r.status_code == 400
    r = http.post(f"{V}/composite/tree/Contact", json={"records": [
        {"attributes": {"type": "Contact", "referenceId": "c1\n"}, "LastName": "x"}]})
    assert r.status_code == 400
    r = http.get(f"{V}/query", params={"q": f"SELECT Id FROM Account WHERE Id = '{account}\n'"})
    assert r.status_code == 400
    assert fakeforce.org.store.count("Contact") == 0


def test_the_server_stays_quiet_and_up(http):
    """After everything above, one more ordinary call works (no worker died)."""
    time.sleep(0.05)
    assert http.get(f"{V}/sobjects").status_code == 200
