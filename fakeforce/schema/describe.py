"""Expand the compact schema format into full describe metadata, as an org's describe shows it.

Only this module knows the defaults of docs/schema-files.md; everything else reads full describe dicts.
"""

from __future__ import annotations

import re
from typing import Any

SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "currency": "xsd:double",
    "double": "xsd:double", "percent": "xsd:double", "int": "xsd:int", "long": "xsd:long",
    "date": "xsd:date", "datetime": "xsd:dateTime", "time": "xsd:time", "address": "urn:address",
    "location": "urn:location", "base64": "xsd:base64Binary", "anyType": "xsd:anyType",
}
TEXT_TYPES = {"string", "picklist", "multipicklist", "combobox", "textarea", "email", "phone", "url", "encryptedstring"}
DEFAULT_LENGTHS = {
    "string": 255, "textarea": 32000, "email": 80, "phone": 40, "url": 255, "picklist": 255,
    "multipicklist": 4099, "combobox": 255, "reference": 18, "id": 18, "encryptedstring": 175,
}
NUMBER_TYPES = {"currency", "double", "percent", "int", "long"}
FIELD_KEYS = (
    "aggregatable", "aiPredictionField", "autoNumber", "byteLength", "calculated", "calculatedFormula",
    "cascadeDelete", "caseSensitive", "compoundFieldName", "controllerName", "createable", "custom",
    "defaultValue", "defaultValueFormula", "defaultedOnCreate", "dependentPicklist", "deprecatedAndHidden",
    "digits", "displayLocationInDecimal", "encrypted", "externalId", "extraTypeInfo", "filterable",
    "filteredLookupInfo", "formulaTreatNullNumberAsZero", "groupable", "highScaleNumber", "htmlFormatted",
    "idLookup", "inlineHelpText", "label", "length", "mask", "maskType", "name", "nameField", "namePointing",
    "nillable", "permissionable", "picklistValues", "polymorphicForeignKey", "precision", "queryByDistance",
    "referenceTargetField", "referenceTo", "relationshipName", "relationshipOrder", "restrictedDelete",
    "restrictedPicklist", "scale", "searchPrefilterable", "soapType", "sortable", "type", "unique",
    "updateable", "writeRequiresMasterRead",
)
# Keys of the compact format that are not describe keys; kept aside on the Field.
COMPACT_ONLY = ("childRelationshipName", "defaultPicklistValue", "displayFormat")


def words(name: str) -> str:
    """A label from an API name: ``Supplied_Email__c`` -> ``Supplied Email``, ``AccountId`` -> ``Account ID``."""
    base = re.sub(r"__(c|r)$", "", name).replace("_", " ")
    base = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", base)
    base = re.sub(r"\bId$", "ID", base)
    return re.sub(r"\s+", " ", base).strip()


def default_relationship_name(field_name: str) -> str | None:
    if field_name.endswith("__c"):
        return field_name[:-3] + "__r"
    if field_name.endswith("Id") and len(field_name) > 2:
        return field_name[:-2]
    return None


def picklist_entries(values: list[Any], default: str | None) -> list[dict]:
    entries = []
    for value in values:
        if isinstance(value, str):
            entry = {"active": True, "defaultValue": False, "label": value, "validFor": None, "value": value}
        else:
            entry = {"active": True, "defaultValue": False, "label": value.get("value"), "validFor": None, **value}
        if default is not None:
            entry["defaultValue"] = entry["value"] == default
        entries.append(entry)
    return entries


def expand_field(spec: dict) -> tuple[dict, dict]:
    """Return (full describe dict, compact-only extras) for one compact field spec."""
    name, ftype = spec["name"], spec.get("type", "string")
    extras = {k: spec[k] for k in COMPACT_ONLY if k in spec}
    auto = bool(spec.get("autoNumber", False))
    calculated = bool(spec.get("calculated", False))
    is_address = ftype in ("address", "location")
    writable = not (ftype == "id" or auto or calculated or is_address)
    length = spec.get("length", DEFAULT_LENGTHS.get(ftype, 0))
    default_value = spec.get("defaultValue", False if ftype == "boolean" else None)
    picklist_default = spec.get("defaultPicklistValue")
    long_text = ftype == "textarea" and length > 255
    reference_to = list(spec.get("referenceTo", []))
    out: dict[str, Any] = {
        "aggregatable": not (long_text or is_address or ftype in ("boolean", "base64")),
        "aiPredictionField": False,
        "autoNumber": auto,
        "byteLength": 3 * length if ftype in TEXT_TYPES or ftype in ("id", "reference") else 0,
        "calculated": calculated,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": writable,
        "custom": name.endswith("__c"),
        "defaultValue": default_value,
        "defaultValueFormula": None,
        "defaultedOnCreate": ftype in ("id", "boolean") or auto or default_value not in (None, False)
        or picklist_default is not None,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 9 if ftype == "int" else (18 if ftype == "long" else 0),
        "displayLocationInDecimal": False,
        "encrypted": ftype == "encryptedstring",
        "externalId": False,
        "extraTypeInfo": ("plaintextarea" if ftype == "textarea" else None),
        "filterable": not (long_text or ftype == "base64"),
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": not (long_text or is_address or ftype in ("double", "currency", "percent", "base64")),
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": ftype == "id",
        "inlineHelpText": None,
        "label": words(name),
        "length": length,
        "mask": None,
        "maskType": None,
        "name": name,
        "nameField": False,
        "namePointing": len(reference_to) > 1,
        "nillable": ftype not in ("id", "boolean"),
        "permissionable": writable and ftype not in ("boolean",),
        "picklistValues": [],
        "polymorphicForeignKey": len(reference_to) > 1,
        "precision": 18 if ftype in ("currency", "double", "percent") else 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": reference_to,
        "relationshipName": default_relationship_name(name) if ftype == "reference" else None,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": False,
        "scale": 2 if ftype in ("currency", "double", "percent") else 0,
        "searchPrefilterable": False,
        "soapType": SOAP_TYPES.get(ftype, "xsd:string"),
        "sortable": not (long_text or is_address or ftype in ("base64", "multipicklist")),
        "type": ftype,
        "unique": False,
        "updateable": writable,
        "writeRequiresMasterRead": False,
    }
    for key, value in spec.items():
        if key in COMPACT_ONLY or key == "picklistValues":
            continue
        out[key] = value
    out["picklistValues"] = picklist_entries(spec.get("picklistValues", []), picklist_default)
    if "idLookup" not in spec:
        out["idLookup"] = bool(ftype == "id" or out["nameField"] or out["externalId"] or out["unique"] or auto)
    if "byteLength" not in spec and "length" in spec:
        out["byteLength"] = 3 * out["length"] if out["byteLength"] else 0
    return {k: out[k] for k in sorted(out)}, extras


def system_field_specs(object_name: str, listed: set[str], custom: bool) -> tuple[list[dict], list[dict]]:
    """The system fields an org adds to every object: (those that go first, those that go last)."""
    lower = {n.lower() for n in listed}
    head: list[dict] = []
    tail: list[dict] = []
    if "id" not in lower:
        head.append({"name": "Id", "type": "id", "label": f"{words(object_name)} ID"})
    if custom and "ownerid" not in lower:
        head.append({"name": "OwnerId", "type": "reference", "label": "Owner ID", "referenceTo": ["Group", "User"],
                     "relationshipName": "Owner", "nillable": False, "defaultedOnCreate": True,
                     "childRelationshipName": None})
    if custom and "name" not in lower:
        head.append({"name": "Name", "type": "string", "length": 80, "label": f"{words(object_name)} Name",
                     "nameField": True, "defaultedOnCreate": True})
    audit = [
        {"name": "IsDeleted", "type": "boolean", "label": "Deleted", "createable": False, "updateable": False},
        {"name": "CreatedDate", "type": "datetime", "label": "Created Date"},
        {"name": "CreatedById", "type": "reference", "label": "Created By ID", "referenceTo": ["User"],
         "relationshipName": "CreatedBy"},
        {"name": "LastModifiedDate", "type": "datetime", "label": "Last Modified Date"},
        {"name": "LastModifiedById", "type": "reference", "label": "Last Modified By ID", "referenceTo": ["User"],
         "relationshipName": "LastModifiedBy"},
        {"name": "SystemModstamp", "type": "datetime", "label": "System Modstamp"},
    ]
    for spec in audit:
        if spec["name"].lower() in lower:
            continue
        if spec["type"] != "boolean":
            spec.update({"createable": False, "updateable": False, "nillable": False, "defaultedOnCreate": True,
                         "childRelationshipName": None})
        tail.append(spec)
    return head, tail


OBJECT_FLAGS = {
    "activateable": False, "createable": True, "custom": False, "customSetting": False, "deepCloneable": False,
    "deletable": True, "deprecatedAndHidden": False, "feedEnabled": False, "hasSubtypes": False,
    "isInterface": False, "isSubtype": False, "layoutable": True, "mergeable": False, "mruEnabled": True,
    "queryable": True, "replicateable": True, "retrieveable": True, "searchable": True, "triggerable": True,
    "undeletable": True, "updateable": True,
}
