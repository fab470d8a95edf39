"""Versions, the resource map, describeGlobal, basic info and describe."""

import pytest


@pytest.fixture
def api(fakeforce):
    with fakeforce.client(version="62.0") as client:
        yield client


def test_versions(fakeforce):
    with fakeforce.http() as http:
        versions = http.get("/services/data/").json()
    assert versions[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    labels = {v["version"]: v["label"] for v in versions}
    assert labels["62.0"] == "Winter '25" and labels["59.0"] == "Winter '24" and "67.0" in labels
    assert [float(v["version"]) for v in versions] == sorted(float(v["version"]) for v in versions)


def test_resource_map_and_unknown_version(api, fakeforce):
    body = api.get("/").json()
    assert body["sobjects"] == "/services/data/v62.0/sobjects"
    assert body["query"] == "/services/data/v62.0/query"
    assert body["identity"].endswith(f"/id/{fakeforce.org.org_id}/{fakeforce.org.admin_user_id}")
    with fakeforce.client(version="99.0") as bad:
        r = bad.get("/sobjects")
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"


def test_describe_global(api):
    body = api.get("/sobjects").json()
    assert body["encoding"] == "UTF-8" and body["maxBatchSize"] == 200
    names = {o["name"]: o for o in body["sobjects"]}
    assert {"Account", "Contact", "Lead", "Case", "Task", "SocialPost", "User"} <= set(names)
    assert names["Case"]["keyPrefix"] == "500"
    assert names["Contact"]["urls"]["describe"] == "/services/data/v62.0/sobjects/Contact/describe"


def test_basic_info_lists_recent_items(api):
    api.post("/sobjects/Account", json={"Name": "Acme"})
    body = api.get("/sobjects/Account/").json()
    assert body["objectDescribe"]["name"] == "Account"
    assert body["recentItems"][0]["Name"] == "Acme"
    assert body["recentItems"][0]["attributes"]["type"] == "Account"


def test_describe_has_real_field_metadata(api):
    doc = api.get("/sobjects/Case/describe/").json()
    assert doc["name"] == "Case" and doc["keyPrefix"] == "500"
    assert list(doc) == sorted(doc)
    fields = {f["name"]: f for f in doc["fields"]}
    assert doc["fields"][0]["name"] == "Id"
    required_keys = {"name", "label", "type", "length", "precision", "scale", "nillable", "createable", "updateable",
                     "filterable", "sortable", "unique", "externalId", "autoNumber", "calculated",
                     "defaultedOnCreate", "defaultValue", "picklistValues", "restrictedPicklist", "referenceTo",
                     "relationshipName", "polymorphicForeignKey", "soapType"}
    for field in doc["fields"]:
        assert required_keys <= set(field), field["name"]
    assert fields["CaseNumber"]["autoNumber"] is True and fields["CaseNumber"]["createable"] is False
    status = fields["Status"]
    assert status["type"] == "picklist"
    assert {"active": True, "defaultValue": True, "label": "New", "validFor": None, "value": "New"} in \
        status["picklistValues"]
    assert fields["ContactId"]["referenceTo"] == ["Contact"] and fields["ContactId"]["relationshipName"] == "Contact"
    assert fields["OwnerId"]["polymorphicForeignKey"] is True
    children = {(c["childSObject"], c["field"]): c for c in doc["childRelationships"]}
    assert children[("CaseComment", "ParentId")]["relationshipName"] == "CaseComments"
    assert doc["recordTypeInfos"][0]["recordTypeId"] == "012000000000000AAA"
    assert doc["recordTypeInfos"][0]["master"] is True


def test_describe_works_for_every_object(api):
    for entry in api.get("/sobjects").json()["sobjects"]:
        r = api.get(f"/sobjects/{entry['name']}/describe")
        assert r.status_code == 200, entry["name"]
        assert r.json()["name"] == entry["name"]


def test_object_names_are_case_insensitive(api):
    assert api.get("/sobjects/contact/describe").json()["name"] == "Contact"
    created = api.post("/sobjects/CONTACT", json={"lastname": "Lower"})
    assert created.status_code == 201
    assert api.get(f"/sobjects/Contact/{created.json()['id']}").json()["LastName"] == "Lower"


def test_limit_info_header_counts_usage(api):
    first = api.get("/sobjects").headers["Sforce-Limit-Info"]
    second = api.get("/sobjects").headers["Sforce-Limit-Info"]
    used_1, limit = map(int, first.removeprefix("api-usage=").split("/"))
    used_2, _ = map(int, second.removeprefix("api-usage=").split("/"))
    assert used_2 == used_1 + 1 and limit == 15000
