"""The real Salesforce CLI (``sf``, from npm, on Node 22 from npm) against an HTTPS fakeforce (issue 15).

One fakeforce and one ``sf org login access-token`` per module; each test writes its own records (distinct
names) and checks what ``sf`` reports against the org read over REST, values and counts, not exit codes.
Installs into ~/.cache/syncd-tools on first use (tool_install); skips without network, fails under CI=true.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Iterator

import pytest

from fakeforce.pytest_plugin import CONTROL_TOKEN, FakeforceHandle
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings
from org_truth import soql
from sf_runner import SfCli
from tool_install import ensure_sf, require

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def ff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeforceHandle]:
    settings = OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN)
    with FakeforceServer(settings=settings, tls=True, cert_dir=tmp_path_factory.mktemp("sf-tls")) as server:
        yield FakeforceHandle(server)


@pytest.fixture(scope="module")
def sf(ff: FakeforceHandle, tmp_path_factory: pytest.TempPathFactory) -> SfCli:
    """``sf`` logged in to fakeforce by access token, as alias ``ff``."""
    cli = SfCli(require(ensure_sf), tmp_path_factory.mktemp("sf-home"), ff.ca_bundle or "")
    login = cli.json("org", "login", "access-token", "--instance-url", ff.url, "--alias", cli.alias, "--no-prompt",
                     org=False, SF_ACCESS_TOKEN=ff.token())
    assert login["username"] == ff.username and login["orgId"] == ff.org.org_id, login
    return cli


@pytest.fixture
def api(ff: FakeforceHandle):
    with ff.client() as client:
        yield client


def test_org_display_shows_the_logged_in_org(sf: SfCli, ff: FakeforceHandle) -> None:
    shown = sf.json("org", "display")
    assert shown["id"] == ff.org.org_id and shown["username"] == ff.username
    assert shown["connectedStatus"] == "Connected" and shown["alias"] == "ff"
    assert shown["instanceUrl"].rstrip("/") == ff.url


def test_record_create_get_update_delete_and_all_rows(sf: SfCli, api) -> None:
    acc = sf.json("data", "create", "record", "-s", "Account", "-v", "Name='Crud Co' Industry=Banking BillingCity=Paris")
    assert acc["success"] is True
    got = sf.json("data", "get", "record", "-s", "Account", "-i", acc["id"])
    assert (got["Id"], got["Name"], got["Industry"], got["BillingCity"]) == (acc["id"], "Crud Co", "Banking", "Paris")
    sf.json("data", "update", "record", "-s", "Account", "-i", acc["id"], "-v", "Industry=Energy Phone='555 0100'")
    [row] = soql(api, f"SELECT Name, Industry, Phone FROM Account WHERE Id = '{acc['id']}'")
    assert (row["Name"], row["Industry"], row["Phone"]) == ("Crud Co", "Energy", "555 0100")
    sf.json("data", "delete", "record", "-s", "Account", "-i", acc["id"])
    assert soql(api, f"SELECT Id FROM Account WHERE Id = '{acc['id']}'") == []
    q = f"SELECT Id, Name, IsDeleted FROM Account WHERE Id = '{acc['id']}'"
    live, deleted = sf.json_many(("data", "query", "-q", q), ("data", "query", "-q", q, "--all-rows"))
    assert live["totalSize"] == 0
    assert deleted["totalSize"] == 1 and deleted["records"][0]["IsDeleted"] is True
    assert deleted["records"][0]["Name"] == "Crud Co"


def test_query_table_and_json_with_relationship_fields(sf: SfCli, ff: FakeforceHandle) -> None:
    ff.seed({"records": {"Account": [{"ref": "a", "Name": "Rel Corp", "Industry": "Retail"}],
                         "Contact": [{"LastName": "Relly", "FirstName": "Ann", "AccountId": "@a"},
                                     {"LastName": "Relman", "FirstName": "Bob", "AccountId": "@a"}]}})
    q = "SELECT Id, LastName, Account.Name, Account.Industry FROM Contact WHERE LastName LIKE 'Rel%' ORDER BY LastName"
    table = sf.text("data", "query", "-q", q)
    lines = [line for line in table.splitlines() if "Rel" in line]
    assert len(lines) == 2 and all("Rel Corp" in line and "Retail" in line for line in lines), table
    assert "ACCOUNT.NAME" in table and "Total number of records retrieved: 2." in table, table
    result = sf.json("data", "query", "-q", q)
    assert result["totalSize"] == 2
    assert [(r["LastName"], r["Account"]["Name"], r["Account"]["Industry"]) for r in result["records"]] == [
        ("Relly", "Rel Corp", "Retail"), ("Relman", "Rel Corp", "Retail")]


def test_tree_export_then_import_copies_parents_and_children(sf: SfCli, ff: FakeforceHandle, api,
                                                             tmp_path: Path) -> None:
    ff.seed({"records": {"Account": [{"ref": "t", "Name": "Tree Root", "Industry": "Media"}],
                         "Contact": [{"LastName": "Leaf1", "Email": "leaf1@example.com", "AccountId": "@t"},
                                     {"LastName": "Leaf2", "Email": "leaf2@example.com", "AccountId": "@t"}]}})
    q = "SELECT Id, Name, Industry, (SELECT LastName, Email FROM Contacts) FROM Account WHERE Name = 'Tree Root'"
    plan = sf.json("data", "export", "tree", "-q", q, "--plan", "--output-dir", str(tmp_path))
    assert [step["sobject"] for step in plan] == ["Account", "Contact"]
    contacts = json.loads((tmp_path / "Contact.json").read_text())["records"]
    assert sorted(c["LastName"] for c in contacts) == ["Leaf1", "Leaf2"]
    assert {c["AccountId"] for c in contacts} == {"@AccountRef1"}
    imported = sf.json("data", "import", "tree", "--plan", str(tmp_path / "Account-Contact-plan.json"))
    by_type = {t: [r for r in imported if r["type"] == t] for t in ("Account", "Contact")}
    assert len(by_type["Account"]) == 1 and len(by_type["Contact"]) == 2
    new_id = by_type["Account"][0]["id"]
    rows = soql(api, f"SELECT LastName, Email, Account.Name FROM Contact WHERE AccountId = '{new_id}' ORDER BY LastName")
    assert [(r["LastName"], r["Email"], r["Account"]["Name"]) for r in rows] == [
        ("Leaf1", "leaf1@example.com", "Tree Root"), ("Leaf2", "leaf2@example.com", "Tree Root")]
    assert len(soql(api, "SELECT Id FROM Account WHERE Name = 'Tree Root'")) == 2


def test_bulk_import_query_over_2000_upsert_by_id_and_export(sf: SfCli, api, tmp_path: Path) -> None:
    n = 2500
    source = tmp_path / "accounts.csv"
    with source.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Name", "Industry", "NumberOfEmployees"])
        w.writerows([f"Bulk {i:04d}", "Chemicals", i] for i in range(n))
    job = sf.json("data", "import", "bulk", "-s", "Account", "--file", str(source), "--wait", "5")
    assert (job["processedRecords"], job["successfulRecords"], job["failedRecords"]) == (n, n, 0)

    q = "SELECT Id, Name, NumberOfEmployees FROM Account WHERE Industry = 'Chemicals' ORDER BY Name"
    queried = sf.json("data", "query", "-q", q)  # more than one 2,000-row batch: the CLI follows queryMore
    assert queried["totalSize"] == n and len(queried["records"]) == n
    assert [(r["Name"], r["NumberOfEmployees"]) for r in queried["records"][1998:2001]] == [
        ("Bulk 1998", 1998), ("Bulk 1999", 1999), ("Bulk 2000", 2000)]

    ids = [r["Id"] for r in queried["records"][:100]]
    upsert_file = tmp_path / "upsert.csv"
    upsert_file.write_text("Id,Industry\n" + "".join(f"{i},Energy\n" for i in ids))
    upserted = sf.json("data", "upsert", "bulk", "-s", "Account", "--file", str(upsert_file), "--external-id", "Id",
                       "--wait", "5")
    assert upserted["jobInfo"]["numberRecordsProcessed"] == 100 and upserted["jobInfo"]["numberRecordsFailed"] == 0
    assert {r["sf__Id"] for r in upserted["records"]["successfulResults"]} == set(ids)
    assert {r["sf__Created"] for r in upserted["records"]["successfulResults"]} == {"false"}
    energy = soql(api, "SELECT Id FROM Account WHERE Industry = 'Energy' AND Name LIKE 'Bulk %'")
    assert {r["Id"] for r in energy} == set(ids)

    out = tmp_path / "export.csv"
    exported = sf.json("data", "export", "bulk", "-q", q.replace("ORDER BY Name", ""), "--output-file", str(out),
                       "--result-format", "csv", "--wait", "5")
    assert exported["totalSize"] == n - 100
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == n - 100 and set(rows[0]) == {"Id", "Name", "NumberOfEmployees"}
    assert {r["Id"] for r in rows} == {r["Id"] for r in queried["records"][100:]}
    assert {(r["Name"], r["NumberOfEmployees"]) for r in rows} >= {("Bulk 2499", "2499"), ("Bulk 0100", "100")}


def test_sobject_describe_list_and_org_limits(sf: SfCli, ff: FakeforceHandle, api) -> None:
    described, listed, limits_list = sf.json_many(("sobject", "describe", "-s", "Account"),
                                                  ("sobject", "list", "--sobject", "all"), ("org", "list", "limits"))
    fields = {f["name"]: f for f in described["fields"]}
    truth = api.get("/sobjects/Account/describe").json()
    assert described["name"] == "Account" and described["keyPrefix"] == "001"
    assert set(fields) == {f["name"] for f in truth["fields"]}
    assert fields["BillingAddress"]["type"] == "address" and fields["Industry"]["type"] == "picklist"
    assert set(listed) == {s["name"] for s in api.get("/sobjects").json()["sobjects"]}
    assert {"Account", "Contact", "Case"} <= set(listed)
    limits = {x["name"]: x for x in limits_list}
    truth_limits = api.get("/limits").json()
    assert limits["DailyApiRequests"]["max"] == ff.settings.daily_api_limit == truth_limits["DailyApiRequests"]["Max"]
    assert 0 < limits["DailyApiRequests"]["remaining"] < limits["DailyApiRequests"]["max"]
    assert set(limits) == set(truth_limits)
