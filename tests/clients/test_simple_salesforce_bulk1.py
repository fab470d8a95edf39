"""simple-salesforce's Bulk API 1.0 interface (``sf.bulk.<Object>``) against fakeforce, unchanged: insert,
update, upsert by external id, delete, hard delete, query and queryAll, each checked against the org's data.

simple-salesforce creates JSON jobs (``concurrencyMode`` 0), sends a query batch as raw SOQL under
``application/json``, polls each batch and sleeps ``wait`` seconds only while a batch is not finished: fakeforce
processes a batch when it is added, so no test waits.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError

from fakeforce.pytest_plugin import CONTROL_TOKEN, FakeforceHandle
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

EXT_FIELD = "Fakeforce_Key__c"  # the unique external-id field of conftest.ext_server

pytestmark = pytest.mark.clients


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeforceServer]:
    """HTTPS (simple-salesforce always speaks https to ``instance_url``), Contact with a unique external id."""
    schema = tmp_path_factory.mktemp("ss-bulk1-schema") / "ext.json"
    field = {"name": EXT_FIELD, "type": "string", "length": 40, "externalId": True, "unique": True,
             "label": "Fakeforce Key"}
    schema.write_text(json.dumps([{"name": "Contact", "fields": [field]}]))
    settings = OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN)
    with FakeforceServer(settings=settings, tls=True, cert_dir=tmp_path_factory.mktemp("ss-bulk1-tls"),
                         schema_files=[schema]) as server:
        yield server


@pytest.fixture
def ff(tls_server: FakeforceServer) -> FakeforceHandle:
    tls_server.fakeforce.reset()
    return FakeforceHandle(tls_server)


@pytest.fixture
def sf(ff: FakeforceHandle) -> Iterator[Salesforce]:
    session = requests.Session()
    session.verify = ff.ca_bundle
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would win over Session.verify
    client = Salesforce(instance_url=ff.url, session_id=ff.token(), version="59.0", session=session)
    yield client
    client.session.close()


def live(ff: FakeforceHandle, sobject: str) -> dict[str, dict]:
    return {r["Id"]: r for r in ff.org.store.records(sobject) if not r.get("IsDeleted")}


def test_insert_update_upsert_delete(ff, sf):
    results = sf.bulk.Contact.insert([{"LastName": "Ames", "Email": "ames@example.com", EXT_FIELD: "k-1"},
                                      {"LastName": "Brook", EXT_FIELD: "k-2"}, {"FirstName": "No last name"}])
    assert [(r["success"], r["created"]) for r in results] == [(True, True), (True, True), (False, False)]
    assert results[2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    ames, brook = results[0]["id"], results[1]["id"]
    stored = live(ff, "Contact")
    assert set(stored) == {ames, brook} and stored[ames]["Email"] == "ames@example.com"

    results = sf.bulk.Contact.update([{"Id": ames, "FirstName": "Ann"}, {"Id": "003000000000000AAA",
                                                                        "FirstName": "Ghost"}])
    assert results[0]["success"] and not results[1]["success"]
    assert live(ff, "Contact")[ames]["FirstName"] == "Ann"

    results = sf.bulk.Contact.upsert([{EXT_FIELD: "k-2", "Title": "Chief"}, {EXT_FIELD: "k-3", "LastName": "Cole"}],
                                     EXT_FIELD)
    assert [(r["success"], r["created"]) for r in results] == [(True, False), (True, True)]
    stored = live(ff, "Contact")
    assert stored[brook]["Title"] == "Chief" and stored[results[1]["id"]]["LastName"] == "Cole"

    results = sf.bulk.Contact.delete([{"Id": brook}])
    assert results[0]["success"] and brook not in live(ff, "Contact")
    results = sf.bulk.Contact.hard_delete([{"Id": ames}])
    assert results[0]["success"] and ames not in live(ff, "Contact")


def test_query_and_query_all(ff, sf):
    account = ff.org.create("Account", {"Name": "Acme"})
    kept = ff.org.create("Contact", {"LastName": "Kept", "AccountId": account, "Birthdate": "1990-05-17"})
    gone = ff.org.create("Contact", {"LastName": "Gone"})
    ff.org.delete("Contact", gone)
    records = sf.bulk.Contact.query("SELECT Id, LastName, Birthdate, Account.Name FROM Contact")
    assert [(r["Id"], r["LastName"], r["Account"]["Name"]) for r in records] == [(kept, "Kept", "Acme")]
    assert records[0]["Birthdate"] == int(datetime(1990, 5, 17, tzinfo=timezone.utc).timestamp() * 1000)
    every = sf.bulk.Contact.query_all("SELECT Id, IsDeleted FROM Contact")
    assert {r["Id"]: r["IsDeleted"] for r in every} == {kept: False, gone: True}
    lazy = sf.bulk.Contact.query("SELECT Id FROM Contact WHERE LastName = 'Nobody'", lazy_operation=True)
    assert [r for chunk in lazy for r in chunk] == []


def test_failed_query_raises(sf):
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.bulk.Contact.query("SELECT Nope FROM Contact")
    assert "Failed to process query" in str(caught.value)
