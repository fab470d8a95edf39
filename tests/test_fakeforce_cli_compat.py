"""What the Salesforce CLI and tap-salesforce send, over real HTTP (issue 15): ``columns=true``, doubled slashes,
Bulk 2.0 upsert by Id, compound fields in SOQL, datetime literals with up to 9 fractional digits."""

import csv
import io

import pytest

V = "/services/data/v62.0"


@pytest.fixture
def api(fakeforce):
    with fakeforce.client() as client:
        yield client


def _by_name(columns):
    return {c["columnName"]: c for c in columns}


def test_columns_true_answers_column_metadata_not_records(api, fakeforce):
    fakeforce.seed({"records": {"Account": [{"ref": "a", "Name": "Acme"}],
                                "Contact": [{"LastName": "Doe", "AccountId": "@a"}]}})
    q = "SELECT Id, LastName, Account.Name, Account.Owner.Name FROM Contact"
    r = api.get("/query", params={"q": q, "columns": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "records" not in body
    assert body["entityName"] == "Contact" and body["idSelected"] is True and body["keyPrefix"] == "003"
    cols = _by_name(body["columnMetadata"])
    assert list(cols) == ["Id", "LastName", "Account"]
    last = cols["LastName"]
    assert set(last) == {"aggregate", "apexType", "booleanType", "columnName", "custom", "displayName",
                         "foreignKeyName", "insertable", "joinColumns", "numberType", "textType", "updatable"}
    assert (last["apexType"], last["textType"], last["insertable"], last["joinColumns"]) == ("String", True, True, [])
    account = cols["Account"]
    assert account["aggregate"] is False
    joins = _by_name(account["joinColumns"])
    assert list(joins) == ["Name", "Owner"]
    assert [c["columnName"] for c in joins["Owner"]["joinColumns"]] == ["Name"]


def test_columns_true_subquery_and_aggregates(api, fakeforce):
    fakeforce.seed({"records": {"Account": [{"Name": "Acme"}]}})
    body = api.get("/query", params={"q": "SELECT Name, (SELECT LastName FROM Contacts) FROM Account",
                                     "columns": "true"}).json()
    contacts = _by_name(body["columnMetadata"])["Contacts"]
    assert contacts["aggregate"] is True and [c["columnName"] for c in contacts["joinColumns"]] == ["LastName"]
    body = api.get("/query", params={"q": "SELECT Industry, COUNT(Id), MAX(AnnualRevenue) top FROM Account "
                                          "GROUP BY Industry", "columns": "true"}).json()
    cols = body["columnMetadata"]
    assert body["groupBy"] is True
    assert [(c["columnName"], c["displayName"], c["aggregate"]) for c in cols] == [
        ("Industry", "Industry", False), ("expr0", "COUNT(Id)", True), ("top", "top", True)]


def test_columns_true_bad_query_is_salesforce_400(api):
    r = api.get("/query", params={"q": "SELECT Nope__c FROM Account", "columns": "true"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_FIELD"


@pytest.mark.parametrize("path", [f"/{V}/query", f"//{V}/query", "/services//data/v62.0//query"])
def test_doubled_slashes_are_served(fakeforce, path):
    with fakeforce.http(headers={"Authorization": f"Bearer {fakeforce.token()}"}) as http:
        # an absolute URL: httpx would read a relative "//services/..." as a host name
        r = http.get(fakeforce.url + path, params={"q": "SELECT Id FROM Account"})
    assert r.request.url.raw_path.startswith(path.encode())
    assert r.status_code == 200, r.text
    assert r.json()["done"] is True


def _ingest(api, csv_text, **extra):
    job = api.post("/jobs/ingest", json={"object": "Account", "operation": "upsert", "lineEnding": "LF",
                                         **extra}).json()
    api.put(f"/jobs/ingest/{job['id']}/batches", content=csv_text.encode(), headers={"Content-Type": "text/csv"})
    api.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    return job["id"], api.get(f"/jobs/ingest/{job['id']}").json()


def test_bulk_upsert_by_id_updates_rows_with_id_and_creates_the_rest(api, fakeforce):
    acme = fakeforce.seed({"records": {"Account": [{"ref": "a", "Name": "Acme"}]}})["a"]
    job_id, info = _ingest(api, f"Id,Name\n{acme},Acme Renamed\n,Brand New\n", externalIdFieldName="Id")
    assert info["state"] == "JobComplete" and info["numberRecordsFailed"] == 0, \
        api.get(f"/jobs/ingest/{job_id}/failedResults").text
    ok = list(csv.DictReader(io.StringIO(api.get(f"/jobs/ingest/{job_id}/successfulResults").text)))
    assert [(r["sf__Created"], r["Name"]) for r in ok] == [("false", "Acme Renamed"), ("true", "Brand New")]
    assert ok[0]["sf__Id"] == acme
    names = sorted(r["Name"] for r in api.get("/query", params={"q": "SELECT Name FROM Account"}).json()["records"])
    assert names == ["Acme Renamed", "Brand New"]


def test_soql_selects_compound_address(api, fakeforce):
    fakeforce.seed({"records": {
        "Account": [{"ref": "a", "Name": "Acme", "BillingCity": "Paris", "BillingStreet": "1 Rue",
                     "BillingLatitude": 48.85}],
        "Contact": [{"LastName": "Doe", "AccountId": "@a", "MailingCity": "Lyon"}],
        "Lead": [{"LastName": "Lee", "Company": "L", "City": "Nice"}]}})
    acc = api.get("/query", params={"q": "SELECT Id, BillingAddress, ShippingAddress FROM Account"}).json()
    record = acc["records"][0]
    assert record["BillingAddress"]["city"] == "Paris" and record["BillingAddress"]["latitude"] == 48.85
    assert record["ShippingAddress"] is None
    retrieved = api.get(f"/sobjects/Account/{record['Id']}").json()
    assert record["BillingAddress"] == retrieved["BillingAddress"]
    con = api.get("/query", params={"q": "SELECT MailingAddress, Account.BillingAddress FROM Contact"}).json()
    assert con["records"][0]["MailingAddress"]["city"] == "Lyon"
    assert con["records"][0]["Account"]["BillingAddress"]["street"] == "1 Rue"
    lead = api.get("/query", params={"q": "SELECT Address FROM Lead"}).json()
    assert lead["records"][0]["Address"]["city"] == "Nice"


@pytest.mark.parametrize("literal", ["2026-12-01T20:11:57Z", "2026-12-01T20:11:57.3Z", "2026-12-01T20:11:57.324Z",
                                     "2026-12-01T20:11:57.324000Z", "2026-12-01T20:11:57.324000000Z",
                                     "2026-12-01T20:11:57.324000+00:00"])
def test_datetime_literals_with_fractional_digits(api, literal):
    r = api.get("/query", params={"q": f"SELECT Id FROM Account WHERE SystemModstamp >= {literal}"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("literal", ["2026-13-01T20:11:57Z", "2026-12-32T20:11:57.324000Z",
                                     "2026-12-01T25:11:57.324000Z", "2026-12-01T20:11:57.3240000000Z"])
def test_out_of_range_datetime_literal_is_malformed_query(api, literal):
    r = api.get("/query", params={"q": f"SELECT Id FROM Account WHERE SystemModstamp >= {literal}"})
    assert r.status_code == 400, r.text
    assert r.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_fields_all_renders_compound_address(api, fakeforce):
    fakeforce.seed({"records": {"Account": [{"Name": "Acme", "BillingCity": "Paris"}]}})
    record = api.get("/query", params={"q": "SELECT FIELDS(ALL) FROM Account LIMIT 5"}).json()["records"][0]
    assert record["BillingAddress"]["city"] == "Paris" and record["ShippingAddress"] is None
