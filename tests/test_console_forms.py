"""T5's pure core (daemon/console/forms.py): which fields a form offers, in what order, required or not,
with which options and pre-filled values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.chat.options import ChatOptions
from daemon.config import ConfigError, parse_config
from daemon.console import forms
from fakeforce.org import Org
from fakeforce.schema.layouts import describe_layouts

ROOT = Path(__file__).resolve().parents[1]


def field(name: str, ftype: str = "string", **extra) -> dict:
    return {"name": name, "label": name, "type": ftype, "createable": True, "nillable": True,
            "defaultedOnCreate": False, "custom": name.endswith("__c"), "length": 80, **extra}


def item(*names: str, required: bool = False, compound: str | None = None) -> dict:
    comps = [{"type": "Field", "value": n} for n in names]
    if compound:
        comps = [{"type": "Field", "value": compound, "components": comps}]
    return {"layoutComponents": comps, "required": required, "placeholder": False}


def section(rows: list[list[dict]], tab: str = "LeftToRight", heading: str = "Info") -> dict:
    return {"heading": heading, "tabOrder": tab, "columns": 2,
            "layoutRows": [{"layoutItems": r, "numItems": len(r)} for r in rows]}


def layouts(*sections: dict, lid: str = "00hA") -> dict:
    return {"layouts": [{"id": lid, "editLayoutSections": list(sections)}], "recordTypeMappings": []}


DESCRIBE = {"label": "Lead", "fields": [
    field("Id", "id", createable=False, nillable=False), field("LastName", nillable=False), field("FirstName"),
    field("Salutation", "picklist", picklistValues=[
        {"value": "Mr.", "label": "Mr.", "active": True, "defaultValue": False},
        {"value": "Mrs.", "label": "Mrs.", "active": False, "defaultValue": False},
        {"value": "Ms.", "label": "Ms.", "active": True, "defaultValue": True}]),
    field("Phone", "phone"), field("Name", createable=False, nillable=False), field("Tier__c", nillable=False),
    field("Address", "address", createable=False), field("Score__c", "double", precision=5, scale=1),
    field("IsHot", "boolean", nillable=False, defaultedOnCreate=True, defaultValue=False),
    field("Status", "picklist", nillable=False, defaultedOnCreate=True, picklistValues=[
        {"value": "Open", "label": "Open", "active": True, "defaultValue": True}]),
    field("Key__c"),
]}


def names(form: dict) -> list[str]:
    return [f["name"] for f in form["fields"]]


def build(lay=None, mapping=None, context=None, **kw) -> dict:
    return forms.build_form("Lead", DESCRIBE, lay, mapping or {}, context or {}, **kw)


def test_without_a_layout_createable_fields_in_describe_order():
    form = build()
    assert form["order"] == "describe" and form["layout"] is None
    assert names(form) == ["LastName", "FirstName", "Salutation", "Phone", "Tier__c", "Score__c", "IsHot", "Status",
                           "Key__c"]
    assert all(f["onLayout"] is False for f in form["fields"])


def test_left_to_right_rows_compound_parts_then_the_rest():
    lay = layouts(section([[item("Phone"), item("FirstName")],
                           [item("Salutation", "FirstName", "LastName", compound="Name", required=True),
                            {"placeholder": True, "layoutComponents": []}]]))
    form = build(lay)
    assert form["order"] == "layout" and form["layout"] == {"id": "00hA", "sections": ["Info"]}
    assert names(form)[:4] == ["Phone", "FirstName", "Salutation", "LastName"]  # FirstName once
    assert names(form)[4:] == ["Tier__c", "Score__c", "IsHot", "Status", "Key__c"]
    by = {f["name"]: f for f in form["fields"]}
    assert by["Salutation"]["required"] is False  # a compound item's flag: only the parts Salesforce requires
    assert by["LastName"]["requiredBy"] == ["salesforce"]
    assert by["Tier__c"] == {**by["Tier__c"], "onLayout": False, "section": None, "required": True}


def test_top_to_bottom_reads_the_left_column_first():
    lay = layouts(section([[item("LastName"), item("Phone")], [item("FirstName"), item("Salutation")]],
                          tab="TopToBottom"))
    assert names(build(lay))[:4] == ["LastName", "FirstName", "Phone", "Salutation"]


def test_layout_required_and_off_layout_option():
    lay = layouts(section([[item("Phone", required=True)]]))
    form = build(lay, include_off_layout=False)
    assert names(form) == ["Phone", "LastName", "Tier__c"]  # Salesforce's required fields stay offered
    assert form["fields"][0]["requiredBy"] == ["layout"]
    assert form["required"] == ["Phone", "LastName", "Tier__c"]


def test_the_default_record_type_mappings_layout_wins():
    first = {"id": "00h1", "editLayoutSections": [section([[item("Phone")]])]}
    second = {"id": "00h2", "editLayoutSections": [section([[item("FirstName")]])]}
    answer = {"layouts": [first, second], "recordTypeMappings": [
        {"layoutId": "00h1", "defaultRecordTypeMapping": False, "available": True},
        {"layoutId": "00h2", "defaultRecordTypeMapping": True, "available": True}]}
    assert names(build(answer))[0] == "FirstName"


def test_picklists_defaults_numbers_and_types():
    by = {f["name"]: f for f in build()["fields"]}
    assert by["Salutation"]["picklist"] == {"restricted": False, "multiple": False, "values": [
        {"value": "Mr.", "label": "Mr.", "default": False}, {"value": "Ms.", "label": "Ms.", "default": True}]}
    assert by["Salutation"]["value"] == "Ms." and by["Salutation"]["valueFrom"] == "default"
    assert by["Status"]["required"] is False and by["Status"]["default"] == "Open"
    assert by["IsHot"]["value"] is False and by["IsHot"]["required"] is False
    assert by["Score__c"]["number"] == {"precision": 5, "scale": 1} and by["Score__c"]["length"] is None
    assert by["LastName"]["length"] == 80 and by["Tier__c"]["custom"] is True


def test_prefill_from_the_mapping_and_ignored_mappings():
    mapping = {"LastName": "visitor.name|=Chat visitor", "Phone": "prechat.phone", "Salutation": "=Mr.",
               "Name": "visitor.name", "Nope__c": "visitor.email", "Key__c": "visitor.id"}
    form = build(None, mapping, {"visitor": {"name": "Ann", "id": "v1"}, "prechat": {}}, hidden=("key__c",))
    by = {f["name"]: f for f in form["fields"]}
    assert (by["LastName"]["value"], by["LastName"]["valueFrom"], by["LastName"]["mappedFrom"]) == \
        ("Ann", "mapping", "visitor.name|=Chat visitor")
    assert by["Phone"]["value"] is None and by["Phone"]["valueFrom"] is None
    assert by["Salutation"]["value"] == "Mr."
    assert "Key__c" not in by  # syncd's own key field
    assert form["ignoredMappings"] == [
        {"field": "Name", "source": "visitor.name", "reason": "the integration user may not set it on create"},
        {"field": "Nope__c", "source": "visitor.email", "reason": "the object has no such field"}]
    assert build(None, mapping, {})["fields"][0]["value"] == "Chat visitor"  # no chat: the constant fallback


def test_form_objects_and_options():
    assert forms.form_object("lead") == "Lead" and forms.form_object("CONTACT") == "Contact"
    assert forms.form_object("Opportunity") is None
    base = {"service": {"api_tokens": ["t" * 20]}, "salesforce": {
        "login_url": "https://x.example", "client_id": "a", "client_secret": "b", "username": "u", "password": "p"}}
    assert parse_config(base).forms.cache_seconds == 600
    config = parse_config({**base, "forms": {"cache_seconds": 30, "include_fields_off_layout": False}})
    assert config.forms.cache_seconds == 30 and config.forms.include_fields_off_layout is False
    with pytest.raises(ConfigError) as refused:
        parse_config({**base, "forms": {"cache_seconds": -1, "order": "x"}})
    assert any(p.startswith("forms.cache_seconds") for p in refused.value.problems)
    assert "forms.order: unknown key" in refused.value.problems


def test_the_example_lead_layout_puts_salutation_third():
    org = Org(schema_files=[ROOT / "examples" / "lead-layout-schema.json"])
    lead = org.sobject("Lead")
    describe = json.loads(json.dumps(lead.describe("62.0")))
    answer = json.loads(json.dumps(describe_layouts(lead, org.schema.layouts["lead"], "62.0")))
    form = forms.build_form("Lead", describe, answer, ChatOptions().mapping("Lead"), {})
    assert names(form)[:5] == ["OwnerId", "Phone", "Salutation", "FirstName", "LastName"]
    assert [v["value"] for v in form["fields"][2]["picklist"]["values"]] == ["Mr.", "Miss.", "Ms."]
    assert form["required"] == ["LastName", "Company", "LeadSource", "Status"]
