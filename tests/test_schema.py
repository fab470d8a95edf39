import json

import pytest

from fakeforce.schema import load_schema
from fakeforce.schema.loader import SchemaFileError

STANDARD = ["User", "Account", "Contact", "Lead", "Case", "CaseComment", "Task", "TaskRelation", "Event",
            "SocialPost", "SocialPersona", "RecordType", "Attachment", "ContentVersion", "ContentDocument",
            "ContentDocumentLink", "Note", "Group"]


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def test_standard_objects_ship(schema):
    for name in STANDARD:
        obj = schema.get(name)
        assert obj is not None, name
        assert obj.key_prefix and len(obj.key_prefix) == 3
        assert obj.fields[0].name == "Id"


def test_lookups_are_case_insensitive(schema):
    assert schema.get("contact") is schema.get("CONTACT")
    assert schema.get("Contact").field("lastname").name == "LastName"


def test_real_field_metadata(schema):
    case = schema.get("Case")
    number = case.field("CaseNumber")
    assert number.autoNumber and not number.createable and not number.updateable
    status = case.field("Status")
    assert status.type == "picklist" and status.default_picklist_value == "New"
    owner = case.field("OwnerId")
    assert owner.polymorphicForeignKey and set(owner.referenceTo) == {"Group", "User"}
    assert schema.get("Contact").field("LastName").required_on_create
    assert not schema.get("Case").field("Subject").required_on_create
    assert schema.get("Task").field("WhoId").relationshipName == "Who"


def test_child_relationships_are_derived(schema):
    account = schema.get("Account")
    contacts = account.child_relationship("Contacts")
    assert contacts == {**contacts, "childSObject": "Contact", "field": "AccountId"}
    assert schema.get("Case").child_relationship("CaseComments")["childSObject"] == "CaseComment"


def test_compact_custom_object(tmp_path):
    path = tmp_path / "care.json"
    path.write_text(json.dumps({
        "name": "Care_Message__c", "label": "Care Message",
        "fields": [
            {"name": "External_Id__c", "type": "string", "length": 64, "externalId": True, "unique": True},
            {"name": "Case__c", "type": "reference", "referenceTo": ["Case"], "childRelationshipName": "Messages__r"},
            {"name": "Direction__c", "type": "picklist", "picklistValues": ["inbound", "outbound"],
             "restrictedPicklist": True},
        ]}))
    schema = load_schema([path])
    obj = schema.get("care_message__c")
    assert obj.custom and obj.key_prefix.startswith("a")
    assert [f.name for f in obj.fields][:3] == ["Id", "OwnerId", "Name"]
    assert obj.field("Case__c").relationshipName == "Case__r"
    assert schema.get("Case").child_relationship("Messages__r")["childSObject"] == "Care_Message__c"
    assert obj.field("External_Id__c").idLookup


def test_custom_fields_extend_a_standard_object(tmp_path):
    path = tmp_path / "contact.json"
    path.write_text(json.dumps({"name": "Contact", "fields": [{"name": "Care_Id__c", "type": "string",
                                                                "externalId": True}]}))
    schema = load_schema([path])
    contact = schema.get("Contact")
    assert contact.field("Care_Id__c").externalId
    assert contact.field("LastName").required_on_create
    assert sum(1 for f in contact.fields if f.name == "Id") == 1


def test_real_describe_loads_as_it_is(tmp_path):
    base = load_schema().get("Case").describe("62.0")
    base["fields"].append({**base["fields"][-1], "name": "Region__c", "label": "Region", "custom": True})
    path = tmp_path / "case-describe.json"
    path.write_text(json.dumps(base))
    schema = load_schema([path])
    again = schema.get("Case").describe("62.0")
    assert [f["name"] for f in again["fields"]] == [f["name"] for f in base["fields"]]
    assert again["fields"][-1]["label"] == "Region"


def test_bad_schema_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"fields": []}')
    with pytest.raises(SchemaFileError, match="name"):
        load_schema([path])
    path.write_text("{not json")
    with pytest.raises(SchemaFileError, match="bad.json"):
        load_schema([path])
