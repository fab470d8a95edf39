"""T5: the form an agent fills to create a Lead, Contact, Case or Task by hand, built from the org's
describe and page layout and pre-filled from the chat's field mapping (F1, F2). Pure: the Salesforce
answers, the mapping and the chat's context come in, the form goes out (``forms_api.py`` fetches and
caches).

Which fields: those the integration user may create (``createable`` in its describe), standard and custom;
never the Id, compound address/location fields or deprecated ones. Order: the fields of the page layout
of the object's default record type, section by section, each section read in its own ``tabOrder``
(``TopToBottom``: the left column, then the right; ``LeftToRight``: row by row), the parts of a compound
item (Name: Salutation, FirstName, LastName) in their order; then the other createable fields in
describe order, marked ``onLayout: false`` (``[forms] include_fields_off_layout = false`` leaves them out,
except those Salesforce requires). Without a layout, describe order. syncd's own key fields
(``[chat] contact_key_field``, ``conversation_key_field``) are never offered: syncd fills them.

Required: Salesforce requires it (not nillable, not defaulted on create) or the layout marks the item
required (for a compound item only the parts Salesforce itself requires, as the Name item is required
for its LastName).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from .. import mapping as field_mapping

FORM_OBJECTS = ("Lead", "Contact", "Case", "Task")
NOT_OFFERED_TYPES = {"id", "address", "location"}
TEXT_TYPES = {"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox",
              "encryptedstring"}
NUMBER_TYPES = {"currency", "double", "percent", "int", "long"}


class FormsOptions(BaseModel):
    """``[forms]`` in syncd.toml: how long a form's Salesforce metadata is reused, and what it offers."""

    model_config = ConfigDict(extra="forbid")
    cache_seconds: int = Field(600, ge=0, le=86400)
    """How long an object's describe and page layout (one composite request) serve forms without asking
    Salesforce again; a field or layout changed in the org shows at most this long after. 0 asks every time."""
    include_fields_off_layout: bool = True
    """Offer the createable fields the page layout does not place, after the layout's (``onLayout: false``);
    false offers only the layout's fields and those Salesforce requires."""


def form_object(name: str) -> str | None:
    """The canonical object name of a form (case-insensitive), or None when there is no such form."""
    return next((o for o in FORM_OBJECTS if o.lower() == name.lower()), None)


# -- the layout's order ---------------------------------------------------------------------------------
def chosen_layout(answer: Mapping[str, Any] | None) -> dict | None:
    """The layout of the default record type mapping (else the first), from a describe/layouts answer."""
    if not isinstance(answer, Mapping):
        return None
    layouts = [lay for lay in answer.get("layouts") or [] if isinstance(lay, dict)]
    if not layouts:
        return None
    mappings = [m for m in answer.get("recordTypeMappings") or [] if isinstance(m, dict)]
    for mapping in sorted(mappings, key=lambda m: not m.get("defaultRecordTypeMapping")):
        if mapping.get("available", True) is False:
            continue
        found = next((lay for lay in layouts if lay.get("id") and lay.get("id") == mapping.get("layoutId")), None)
        if found is not None:
            return found
    return layouts[0]


def _reading_order(section: Mapping[str, Any]) -> list[dict]:
    rows = [r.get("layoutItems") or [] for r in section.get("layoutRows") or [] if isinstance(r, dict)]
    if section.get("tabOrder") == "TopToBottom":
        width = max((len(r) for r in rows), default=0)
        return [row[col] for col in range(width) for row in rows if col < len(row)]
    return [item for row in rows for item in row]


def _component_fields(component: Mapping[str, Any]) -> tuple[list[str], bool]:
    """(the field names of a component, whether it is a compound of parts)."""
    parts = component.get("components")
    if isinstance(parts, list) and parts:
        names = [n for part in parts if isinstance(part, dict) for n in _component_fields(part)[0]]
        return names, True
    if component.get("type") == "Field" and isinstance(component.get("value"), str):
        return [component["value"]], False
    return [], False


def layout_fields(layout: Mapping[str, Any] | None) -> list[dict]:
    """The layout's fields in reading order: ``{name, section, layoutRequired}``, each field once."""
    out: list[dict] = []
    seen: set[str] = set()
    for section in (layout or {}).get("editLayoutSections") or []:
        if not isinstance(section, dict):
            continue
        heading = section.get("heading") or None
        for item in _reading_order(section):
            if not isinstance(item, dict) or item.get("placeholder"):
                continue
            for component in item.get("layoutComponents") or []:
                if not isinstance(component, dict):
                    continue
                names, compound = _component_fields(component)
                for name in names:
                    if name.lower() in seen:
                        continue
                    seen.add(name.lower())
                    out.append({"name": name, "section": heading,
                                "layoutRequired": bool(item.get("required")) and not compound})
    return out


# -- one field ------------------------------------------------------------------------------------------
def offered(field: Mapping[str, Any]) -> bool:
    return bool(field.get("createable")) and field.get("type") not in NOT_OFFERED_TYPES \
        and not field.get("deprecatedAndHidden")


def salesforce_requires(field: Mapping[str, Any]) -> bool:
    return not field.get("nillable", True) and not field.get("defaultedOnCreate", False)


def picklist(field: Mapping[str, Any]) -> dict | None:
    if field.get("type") not in ("picklist", "multipicklist", "combobox"):
        return None
    values = [{"value": p.get("value"), "label": p.get("label") or p.get("value"),
               "default": bool(p.get("defaultValue"))}
              for p in field.get("picklistValues") or [] if isinstance(p, dict) and p.get("active", True)]
    return {"values": values, "restricted": bool(field.get("restrictedPicklist")),
            "multiple": field.get("type") == "multipicklist"}


def default_value(field: Mapping[str, Any]) -> Any:
    """What Salesforce puts in the field on create when nothing is sent: the default picklist value, else
    the describe's ``defaultValue`` (booleans: false)."""
    options = picklist(field)
    if options is not None:
        chosen = [v["value"] for v in options["values"] if v["default"]]
        if chosen:
            return ";".join(chosen) if options["multiple"] else chosen[0]
    return field.get("defaultValue")


def _entry(field: Mapping[str, Any], placed: Mapping[str, Any] | None, mapped: Mapping[str, tuple[Any, str]]) -> dict:
    ftype = field.get("type")
    by_salesforce, by_layout = salesforce_requires(field), bool(placed and placed["layoutRequired"])
    default = default_value(field)
    value, source, origin = None, None, None
    if field["name"].lower() in mapped:
        value, source = mapped[field["name"].lower()]
        origin = "mapping"
    elif default is not None:
        value, origin = default, "default"
    entry: dict[str, Any] = {
        "name": field["name"], "label": field.get("label") or field["name"], "type": ftype,
        "custom": bool(field.get("custom")), "required": by_salesforce or by_layout,
        "requiredBy": [who for who, yes in (("salesforce", by_salesforce), ("layout", by_layout)) if yes],
        "onLayout": placed is not None, "section": placed["section"] if placed else None,
        "length": field.get("length") if ftype in TEXT_TYPES else None,
        "default": default, "value": value, "valueFrom": origin, "mappedFrom": source,
        "picklist": picklist(field), "helpText": field.get("inlineHelpText"),
    }
    if ftype in NUMBER_TYPES:
        entry["number"] = {"precision": field.get("precision") or field.get("digits"), "scale": field.get("scale")}
    if ftype == "reference":
        entry["referenceTo"] = list(field.get("referenceTo") or [])
    return entry


# -- the form -------------------------------------------------------------------------------------------
def prefill(mapping: Mapping[str, str], context: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """Lower-case field name -> (value, the mapping's source) for every mapped field with a value."""
    out = {}
    for name, source in mapping.items():
        value = field_mapping.resolve(source, dict(context))
        if value is not None:
            out[name.lower()] = (value, source)
    return out


def ignored_mappings(mapping: Mapping[str, str], fields: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Mapped fields the form cannot offer, with why: the check-config call (F3) reports them as errors."""
    known = {f["name"].lower(): f for f in fields}
    out = []
    for name, source in mapping.items():
        field = known.get(name.lower())
        if field is None:
            out.append({"field": name, "source": source, "reason": "the object has no such field"})
        elif not offered(field):
            out.append({"field": name, "source": source, "reason": "the integration user may not set it on create"})
    return out


def build_form(sobject: str, describe: Mapping[str, Any], layouts: Mapping[str, Any] | None,
               mapping: Mapping[str, str], context: Mapping[str, Any], *, include_off_layout: bool = True,
               hidden: Iterable[str] = ()) -> dict:
    """The form of ``sobject``: its offered fields in the layout's (else describe) order, pre-filled.
    ``hidden``: fields syncd fills itself (the chat's key fields), never offered."""
    fields = [f for f in describe.get("fields") or [] if isinstance(f, dict) and isinstance(f.get("name"), str)]
    skip = {name.lower() for name in hidden}
    by_name = {f["name"].lower(): f for f in fields if offered(f) and f["name"].lower() not in skip}
    layout = chosen_layout(layouts)
    placed = [p for p in layout_fields(layout) if p["name"].lower() in by_name]
    mapped = prefill(mapping, context)
    entries, done = [], set()
    for spot in placed:
        entries.append(_entry(by_name[spot["name"].lower()], spot, mapped))
        done.add(spot["name"].lower())
    for field in fields:
        key = field["name"].lower()
        if key in done or key not in by_name:
            continue
        if include_off_layout or salesforce_requires(field):
            entries.append(_entry(field, None, mapped))
            done.add(key)
    return {
        "object": sobject, "label": describe.get("label") or sobject,
        "order": "layout" if placed else "describe",
        "layout": {"id": layout.get("id"), "sections": [s.get("heading") for s in layout.get("editLayoutSections") or []
                                                         if isinstance(s, dict)]} if placed and layout else None,
        "fields": entries,
        "required": [e["name"] for e in entries if e["required"]],
        "ignoredMappings": ignored_mappings({k: v for k, v in mapping.items() if k.lower() not in skip}, fields),
    }
