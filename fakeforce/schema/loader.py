"""Read schema files (the shipped standard objects, compact files, real describe JSON) into a Schema."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from .layouts import LayoutFileError, take_layouts
from .describe import OBJECT_FLAGS, expand_field, system_field_specs, words
from .model import Field, Schema, SObject

_CHILD_KEYS = ("cascadeDelete", "childSObject", "deprecatedAndHidden", "field", "junctionIdListNames",
               "junctionReferenceTo", "relationshipName", "restrictedDelete")


class SchemaFileError(ValueError):
    """A schema file that cannot be used, with the file and the reason."""


def _is_real_describe(doc: dict) -> bool:
    fields = doc.get("fields") or []
    return "urls" in doc or "childRelationships" in doc or any("soapType" in f for f in fields[:3])


def _from_real_describe(doc: dict) -> SObject:
    fields = [Field(dict(f)) for f in doc["fields"]]
    props = {k: v for k, v in doc.items() if k not in ("fields", "childRelationships", "recordTypeInfos", "urls")}
    record_types = [
        {"developerName": rt.get("developerName") or rt.get("name"), "name": rt.get("name"), "id": rt["recordTypeId"],
         "master": rt.get("master", False), "default": rt.get("defaultRecordTypeMapping", False),
         "active": rt.get("active", True)}
        for rt in doc.get("recordTypeInfos") or []
        if rt.get("recordTypeId")
    ]
    extra = {k: props.pop(k) for k in list(props) if k not in OBJECT_FLAGS and k not in ("label", "labelPlural")}
    extra.pop("name", None)
    extra.pop("keyPrefix", None)
    return SObject(
        name=doc["name"], key_prefix=doc.get("keyPrefix"), properties=props, fields=fields,
        child_relationships=[dict(r) for r in doc.get("childRelationships") or []],
        record_types=record_types, extra_describe=extra,
    )


def _from_compact(doc: dict) -> SObject:
    name = doc["name"]
    custom = doc.get("custom", name.endswith("__c"))
    specs = list(doc.get("fields", []))
    if doc.get("system", True):
        head, tail = system_field_specs(name, {s["name"] for s in specs}, custom)
        specs = head + specs + tail
    fields = []
    for spec in specs:
        if "name" not in spec:
            raise SchemaFileError(f"{name}: a field has no name")
        describe, extras = expand_field(spec)
        child = extras.get("childRelationshipName", _default_child_name(name, spec) if custom else None)
        fields.append(Field(describe, child_relationship_name=child, display_format=extras.get("displayFormat")))
    props = {**OBJECT_FLAGS, "custom": custom, "label": doc.get("label", words(name)),
             "labelPlural": doc.get("labelPlural", words(name) + "s")}
    props.update({k: v for k, v in doc.items() if k in OBJECT_FLAGS})
    record_types = [
        {"developerName": rt["developerName"], "name": rt.get("name", rt["developerName"]), "id": rt.get("id"),
         "default": rt.get("default", False), "active": rt.get("active", True), "master": False}
        for rt in doc.get("recordTypes", [])
    ]
    return SObject(name=name, key_prefix=doc.get("keyPrefix"), properties=props, fields=fields,
                   record_types=record_types)


def _default_child_name(object_name: str, spec: dict) -> str | None:
    if spec.get("type") != "reference" or not spec["name"].endswith("__c"):
        return None
    return object_name.removesuffix("__c") + "s__r"


def _documents(raw: Any) -> list[dict]:
    if isinstance(raw, list):
        return raw
    if isinstance(raw, dict) and "objects" in raw:
        return list(raw["objects"])
    if isinstance(raw, dict) and "duplicateRules" in raw and "name" not in raw:
        return []  # a file of duplicate rules only
    if isinstance(raw, dict) and "sobjects" in raw and "fields" not in raw:
        raise SchemaFileError("this is a describeGlobal answer; save each object's describe instead")
    return [raw]


def parse_object(doc: dict) -> SObject:
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not isinstance(doc.get("fields", []), list):
        raise SchemaFileError("each object needs a string 'name' and a list 'fields'")
    return _from_real_describe(doc) if _is_real_describe(doc) else _from_compact(doc)


def _merge(existing: SObject, addition: SObject, replace: bool) -> SObject:
    """A file naming an existing object replaces it when it is a full describe, else adds or overrides fields."""
    if replace:
        return addition
    fields = {f.name.lower(): f for f in existing.fields}
    order = [f.name.lower() for f in existing.fields]
    system_names = {"id", "isdeleted", "createddate", "createdbyid", "lastmodifieddate", "lastmodifiedbyid",
                    "systemmodstamp", "ownerid", "name"}
    for f in addition.fields:
        key = f.name.lower()
        if key in system_names and key in fields:
            continue  # auto-added system fields of the partial file never override the shipped ones
        if key not in fields:
            order.append(key)
        fields[key] = f
    existing.fields = [fields[k] for k in order]
    existing.record_types = addition.record_types or existing.record_types
    existing.reindex()
    return existing


def _assign_custom_prefixes(objects: dict[str, SObject]) -> None:
    used = {o.key_prefix for o in objects.values() if o.key_prefix}
    counter = 0
    for obj in objects.values():
        if obj.key_prefix:
            continue
        while True:
            candidate = "a" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[counter // 62] \
                + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[counter % 62]
            counter += 1
            if candidate not in used:
                break
        obj.key_prefix = candidate
        used.add(candidate)


def _derive_child_relationships(objects: dict[str, SObject]) -> None:
    for parent in objects.values():
        seen = {(r.get("childSObject"), r.get("field")) for r in parent.child_relationships}
        for child in objects.values():
            for f in child.fields:
                if f.type != "reference" or parent.name not in (f.describe.get("referenceTo") or []):
                    continue
                if (child.name, f.name) in seen:
                    continue
                parent.child_relationships.append({
                    "cascadeDelete": bool(f.describe.get("cascadeDelete")), "childSObject": child.name,
                    "deprecatedAndHidden": False, "field": f.name, "junctionIdListNames": [],
                    "junctionReferenceTo": [], "relationshipName": f.child_relationship_name,
                    "restrictedDelete": bool(f.describe.get("restrictedDelete")),
                })
                seen.add((child.name, f.name))
        parent.child_relationships.sort(key=lambda r: (r["childSObject"], r["field"]))


def standard_documents() -> list[dict]:
    folder = resources.files("fakeforce.schema") / "standard"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".json")]


def load_schema(files: Iterable[str | Path] = (), documents: Iterable[dict] = (), *, standard: bool = True) -> Schema:
    """Standard objects, then each file and document in order; later definitions extend earlier ones."""
    objects: dict[str, SObject] = {}
    rule_specs: list[tuple[Any, str]] = []  # (duplicate rule, where it came from), checked once all objects are in
    layouts: dict[str, dict] = {}

    def add(doc: dict, origin: str) -> None:
        try:
            doc, layout = take_layouts(doc, origin)  # a real org's page layouts, kept beside the describe
            obj = parse_object(doc)
        except LayoutFileError as exc:
            raise SchemaFileError(str(exc)) from None
        except SchemaFileError as exc:
            raise SchemaFileError(f"{origin}: {exc}") from None
        except (KeyError, TypeError, AttributeError) as exc:
            raise SchemaFileError(f"{origin}: malformed object {doc.get('name', '?')!r}: {exc!r}") from None
        key = obj.name.lower()
        if layout is not None:
            layouts[key] = layout
        objects[key] = _merge(objects[key], obj, _is_real_describe(doc)) if key in objects else obj

    if standard:
        for doc in standard_documents():
            add(doc, f"standard {doc.get('name')}")
    for path in files:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SchemaFileError(f"{path}: {exc}") from None
        rule_specs.extend(_rule_specs(raw, str(path)))
        for doc in _documents(raw):
            add(doc, str(path))
    for doc in documents:
        rule_specs.extend(_rule_specs(doc, "document"))
        for item in _documents(doc):
            add(item, "document")
    _assign_custom_prefixes(objects)
    _derive_child_relationships(objects)
    schema = Schema(objects.values())
    schema.layouts.update(layouts)
    from ..duplicates import DuplicateRuleError, parse_rules  # here: fakeforce.duplicates imports the schema

    for spec, origin in rule_specs:
        try:
            schema.duplicate_rules.extend(parse_rules([spec], schema))
        except DuplicateRuleError as exc:
            raise SchemaFileError(f"{origin}: {exc}") from None
    return schema


def _rule_specs(raw: Any, origin: str) -> list[tuple[Any, str]]:
    """The file's top-level ``duplicateRules`` (see docs/schema-files.md)."""
    if not isinstance(raw, dict) or "duplicateRules" not in raw or "name" in raw:
        return []
    specs = raw["duplicateRules"]
    if not isinstance(specs, list):
        raise SchemaFileError(f"{origin}: 'duplicateRules' must be a list of rules")
    return [(spec, origin) for spec in specs]

