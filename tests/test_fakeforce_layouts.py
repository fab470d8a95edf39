"""fakeforce's page layouts (``/sobjects/{Type}/describe/layouts``): the default layout in describe order, a
schema file's real-org layout, record types, and the errors an org answers."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from fakeforce.org import Org
from fakeforce.schema import load_schema
from fakeforce.schema.loader import SchemaFileError
from fakeforce.schema.layouts import describe_layouts
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "lead-layout-schema.json"
BASE = "/services/data/v62.0/sobjects"


@pytest.fixture(scope="module")
def api():
    server = FakeforceServer(settings=OrgSettings(), schema_files=[EXAMPLE]).start()
    try:
        token = server.fakeforce.sessions.issue(server.org.admin_user_id, "fakeforce").token
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            yield client
    finally:
        server.stop()


def reading(section: dict) -> list[str]:
    """Field names of a TopToBottom section: the left column, then the right."""
    rows = [r["layoutItems"] for r in section["layoutRows"]]
    items = [row[col] for col in range(section["columns"]) for row in rows if col < len(row)]
    return [c["value"] for item in items for c in item["layoutComponents"]]


def test_default_layout_holds_the_editable_fields_in_describe_order(api):
    answer = api.get(f"{BASE}/Contact/describe/layouts")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"layouts", "recordTypeMappings", "recordTypeSelectorRequired"}
    layout = body["layouts"][0]
    assert layout["id"].startswith("00h") and len(layout["id"]) == 18
    section = layout["editLayoutSections"][0]
    assert section["heading"] == "Contact Information" and section["tabOrder"] == "TopToBottom"
    assert section["parentLayoutId"] == layout["id"] and section["rows"] == len(section["layoutRows"])
    fields = api.get(f"{BASE}/Contact/describe").json()["fields"]
    editable = [f["name"] for f in fields if (f["createable"] or f["updateable"])
                and f["name"] not in ("Id", "MasterRecordId")]
    assert reading(section) == editable
    items = {c["value"]: item for row in section["layoutRows"] for item in row["layoutItems"]
             for c in item["layoutComponents"]}
    assert items["LastName"]["required"] is True and items["FirstName"]["required"] is False
    assert items["LastName"]["editableForNew"] is True
    assert items["LastName"]["layoutComponents"][0]["details"]["name"] == "LastName"
    mapping = body["recordTypeMappings"][0]
    assert mapping["layoutId"] == layout["id"] and mapping["recordTypeId"] == "012000000000000AAA"
    assert mapping["master"] is True and mapping["defaultRecordTypeMapping"] is True
    assert body["recordTypeSelectorRequired"] == [False]
    assert api.get(f"{BASE}/Contact/describe/layouts").json()["layouts"][0]["id"] == layout["id"]  # stable


def test_one_record_type_layout_and_unknown_record_type(api):
    whole = api.get(f"{BASE}/Case/describe/layouts").json()
    one = api.get(f"{BASE}/Case/describe/layouts/012000000000000AAA")
    assert one.status_code == 200 and one.json() == whole["layouts"][0]
    missing = api.get(f"{BASE}/Case/describe/layouts/012000000000001AAA")
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"


def test_unknown_and_non_layoutable_objects(api):
    unknown = api.get(f"{BASE}/Nope__c/describe/layouts")
    assert unknown.status_code == 404 and unknown.json()[0]["errorCode"] == "NOT_FOUND"
    flat = api.get(f"{BASE}/TaskRelation/describe/layouts")
    assert flat.status_code == 400
    assert flat.json() == [{"errorCode": "INVALID_ARGUMENT_TYPE",
                            "message": "Cannot get layout for non-layoutable entity"}]


def test_a_schema_files_real_org_layout_is_served_with_details(api):
    layout = api.get(f"{BASE}/Lead/describe/layouts").json()["layouts"][0]
    assert layout["id"] == "00h5g00000A1LeaAAF"
    first = layout["editLayoutSections"][0]
    assert first["tabOrder"] == "LeftToRight"
    name = first["layoutRows"][1]["layoutItems"][0]["layoutComponents"][0]
    assert name["value"] == "Name"
    assert [c["value"] for c in name["components"]] == ["Salutation", "FirstName", "LastName"]
    salutation = name["components"][0]["details"]
    assert [(p["value"], p["active"]) for p in salutation["picklistValues"]] == [
        ("Mr.", True), ("Miss.", True), ("Ms.", True), ("Mrs.", False)]
    describe = api.get(f"{BASE}/Lead/describe").json()
    assert "layouts" not in describe  # the layout is kept beside the describe, not in it
    assert describe["urls"]["layouts"] == "/services/data/v62.0/sobjects/Lead/describe/layouts"


def test_layouts_through_composite(api):
    answer = api.post("/services/data/v62.0/composite", json={"compositeRequest": [
        {"method": "GET", "referenceId": "l", "url": f"{BASE}/Lead/describe/layouts"}]}).json()
    assert answer["compositeResponse"][0]["httpStatusCode"] == 200
    assert answer["compositeResponse"][0]["body"]["layouts"][0]["id"] == "00h5g00000A1LeaAAF"


def test_a_real_describe_with_its_layouts_key(tmp_path):
    org = Org()
    describe = org.sobject("Case").describe("62.0")
    layout = describe_layouts(org.sobject("Case"), None, "62.0")["layouts"][0]
    layout["id"] = "00h000000000001AAA"
    path = tmp_path / "case.json"
    path.write_text(json.dumps({**describe, "layouts": layout}))  # one layout, as /layouts/{rtId} answers
    schema = load_schema([path])
    stored = schema.layouts["case"]
    assert stored["layouts"][0]["id"] == "00h000000000001AAA"
    served = describe_layouts(schema.get("Case"), stored, "62.0")
    assert served["recordTypeMappings"][0]["layoutId"] == "00h000000000001AAA"
    assert "layouts" not in schema.get("Case").describe("62.0")


@pytest.mark.parametrize("bad", [[], {"layouts": "x"}, [{"detailLayoutSections": []}],
                                 [{"editLayoutSections": [{"layoutRows": [{"items": []}]}]}]])
def test_a_malformed_layouts_value_names_the_file(tmp_path, bad):
    path = tmp_path / "lead.json"
    path.write_text(json.dumps({"name": "Lead", "fields": [], "layouts": bad}))
    with pytest.raises(SchemaFileError, match="lead.json"):
        load_schema([path])
