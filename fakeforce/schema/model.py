"""Objects and fields of the org, with case-insensitive lookups, and the describe documents built from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..ids import MASTER_RECORD_TYPE_ID


@dataclass
class Field:
    """One field: its full describe dict plus the few compact-format extras (child relationship name, format)."""

    describe: dict[str, Any]
    child_relationship_name: str | None = None
    display_format: str | None = None

    @property
    def name(self) -> str:
        return self.describe["name"]

    @property
    def type(self) -> str:
        return self.describe["type"]

    @property
    def label(self) -> str:
        return self.describe.get("label") or self.name

    def __getattr__(self, key: str) -> Any:
        # Describe keys read as attributes: field.nillable, field.referenceTo, ...
        try:
            return self.__dict__["describe"][key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def required_on_create(self) -> bool:
        d = self.describe
        return not d.get("nillable", True) and d.get("createable", False) and not d.get("defaultedOnCreate", False)

    @property
    def picklist_values(self) -> list[str]:
        return [p["value"] for p in self.describe.get("picklistValues") or [] if p.get("active", True)]

    @property
    def default_picklist_value(self) -> str | None:
        for p in self.describe.get("picklistValues") or []:
            if p.get("defaultValue"):
                return p["value"]
        return None


@dataclass
class SObject:
    """One object: its describe properties, fields in the org's order, child relationships, record types."""

    name: str
    key_prefix: str | None
    properties: dict[str, Any]
    fields: list[Field]
    child_relationships: list[dict] = field(default_factory=list)
    record_types: list[dict] = field(default_factory=list)
    extra_describe: dict[str, Any] = field(default_factory=dict)
    _by_lower: dict[str, Field] = field(default_factory=dict, repr=False)
    _by_relationship: dict[str, Field] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self._by_lower = {f.name.lower(): f for f in self.fields}
        self._by_relationship = {
            f.describe["relationshipName"].lower(): f for f in self.fields if f.describe.get("relationshipName")
        }

    def field(self, name: str) -> Field | None:
        return self._by_lower.get(name.lower())

    def relationship(self, name: str) -> Field | None:
        """The reference field behind a parent relationship name (``Account`` -> ``AccountId``)."""
        return self._by_relationship.get(name.lower())

    def child_relationship(self, name: str) -> dict | None:
        lname = name.lower()
        for rel in self.child_relationships:
            if (rel.get("relationshipName") or "").lower() == lname:
                return rel
        return None

    @property
    def label(self) -> str:
        return self.properties.get("label", self.name)

    @property
    def custom(self) -> bool:
        return bool(self.properties.get("custom"))

    def flag(self, name: str) -> bool:
        return bool(self.properties.get(name, False))

    def name_field(self) -> Field | None:
        for f in self.fields:
            if f.describe.get("nameField"):
                return f
        return None

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "compactLayouts": f"{base}/describe/compactLayouts",
            "rowTemplate": f"{base}/{{ID}}",
            "approvalLayouts": f"{base}/describe/approvalLayouts",
            "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
            "listviews": f"{base}/listviews",
            "describe": f"{base}/describe",
            "quickActions": f"{base}/quickActions",
            "layouts": f"{base}/describe/layouts",
            "sobject": base,
        }

    def global_entry(self, version: str) -> dict[str, Any]:
        """This object's entry in describeGlobal (and objectDescribe of the basic-info resource)."""
        keys = ("activateable", "associateEntityType", "associateParentEntity", "createable", "custom",
                "customSetting", "deepCloneable", "deletable", "deprecatedAndHidden", "feedEnabled", "hasSubtypes",
                "isInterface", "isSubtype", "keyPrefix", "label", "labelPlural", "layoutable", "mergeable",
                "mruEnabled", "name", "queryable", "replicateable", "retrieveable", "searchable", "triggerable",
                "undeletable", "updateable")
        props = {**self.properties, "name": self.name, "keyPrefix": self.key_prefix}
        entry = {k: props.get(k) for k in keys}
        entry["urls"] = {k: v for k, v in self.urls(version).items()
                         if k in ("compactLayouts", "rowTemplate", "approvalLayouts", "defaultValues",
                                  "listviews", "describe", "quickActions", "layouts", "sobject")}
        return entry

    def record_type_infos(self, version: str) -> list[dict]:
        infos = []
        types = self.record_types or [{"developerName": "Master", "name": "Master", "id": MASTER_RECORD_TYPE_ID,
                                       "master": True, "default": True, "active": True}]
        for rt in types:
            infos.append({
                "active": rt.get("active", True),
                "available": True,
                "defaultRecordTypeMapping": bool(rt.get("default")),
                "developerName": rt["developerName"],
                "master": bool(rt.get("master")),
                "name": rt.get("name", rt["developerName"]),
                "recordTypeId": rt["id"],
                "urls": {"layout": f"/services/data/v{version}/sobjects/{self.name}/describe/layouts/{rt['id']}"},
            })
        if self.record_types and not any(rt.get("master") for rt in self.record_types):
            infos.append({"active": True, "available": True, "defaultRecordTypeMapping": False,
                          "developerName": "Master", "master": True, "name": "Master",
                          "recordTypeId": MASTER_RECORD_TYPE_ID,
                          "urls": {"layout": f"/services/data/v{version}/sobjects/{self.name}/describe/layouts/"
                                             f"{MASTER_RECORD_TYPE_ID}"}})
        return infos

    def describe(self, version: str) -> dict[str, Any]:
        """The body of ``/sobjects/{Type}/describe``, keys in Salesforce's (alphabetical) order."""
        doc: dict[str, Any] = {
            "actionOverrides": [], "associateEntityType": None, "associateParentEntity": None,
            "compactLayoutable": True, "defaultImplementation": None, "extendedBy": None, "extendsInterfaces": None,
            "implementedBy": None, "implementsInterfaces": None, "listviewable": None, "lookupLayoutable": None,
            "namedLayoutInfos": [], "networkScopeFieldName": None, "searchLayoutable": True,
            "sobjectDescribeOption": "FULL", "supportedScopes": [
                {"label": "All " + self.properties.get("labelPlural", self.name).lower(), "name": "everything"},
                {"label": "My " + self.properties.get("labelPlural", self.name).lower(), "name": "mine"}],
            **self.extra_describe,
            **self.global_entry(version),
            "childRelationships": self.child_relationships,
            "fields": [f.describe for f in self.fields],
            "recordTypeInfos": self.record_type_infos(version),
        }
        doc["urls"] = self.urls(version)
        return {k: doc[k] for k in sorted(doc)}


class Schema:
    """All objects of the org, looked up case-insensitively by name or by id key prefix."""

    def __init__(self, objects: Iterable[SObject]) -> None:
        self._objects: dict[str, SObject] = {}
        self._by_prefix: dict[str, SObject] = {}
        self.duplicate_rules: list = []
        """The schema files' duplicate rules (:class:`fakeforce.duplicates.DuplicateRule`), off when empty."""
        self.layouts: dict[str, dict] = {}
        """Page layouts from schema files (describe/layouts answers) by lower-case object name."""
        for obj in objects:
            self.add(obj)

    def add(self, obj: SObject) -> None:
        self._objects[obj.name.lower()] = obj
        if obj.key_prefix:
            self._by_prefix[obj.key_prefix] = obj

    def get(self, name: str) -> SObject | None:
        """The object, or None (also for a name that is not text: request bodies can hold anything)."""
        return self._objects.get(name.lower()) if isinstance(name, str) else None

    def by_prefix(self, key_prefix: str) -> SObject | None:
        return self._by_prefix.get(key_prefix)

    def __iter__(self):
        return iter(sorted(self._objects.values(), key=lambda o: o.name))

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._objects

    def names(self) -> list[str]:
        return [o.name for o in self]
