"""Page layouts as ``GET /sobjects/{Type}/describe/layouts`` answers them (the describeLayout result).

An object's layout comes from its schema file when the file carries one (a ``layouts`` key holding what a
real org answered, see docs/fakeforce.md "Forms"), else a default layout is built from the describe: one
two-column section holding the editable fields in describe order, filled top to bottom as an org's
"TopToBottom" tab order reads. Pure: the REST module only picks the object and the record type.
"""

from __future__ import annotations

import copy
import hashlib

from ..ids import MASTER_RECORD_TYPE_ID, make_id
from .model import Field, SObject

LAYOUT_PREFIX = "00h"  # Layout
SECTION_PREFIX = "01B"  # DescribeLayoutSection ids in real answers
HIDDEN = {"id", "isdeleted", "masterrecordid", "systemmodstamp"}
"""Fields an org never places on a page layout."""


class LayoutFileError(ValueError):
    """A ``layouts`` value in a schema file that is not a describe/layouts answer."""


def _number(*parts: str) -> int:
    """A stable record number from names, so a layout keeps its id across restarts."""
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:6], "big")


def layout_id(obj: SObject) -> str:
    return make_id(LAYOUT_PREFIX, "0T", _number("layout", obj.name))


def take_layouts(doc: dict, origin: str) -> tuple[dict, dict | None]:
    """(the object document without ``layouts``, the layouts answer normalised or None).

    Accepted: the whole describe/layouts answer ``{"layouts": [...], "recordTypeMappings": [...]}``, a
    list of layouts, or one layout (what ``describe/layouts/{recordTypeId}`` answers)."""
    if not isinstance(doc, dict) or "layouts" not in doc:
        return doc, None
    raw = doc["layouts"]
    rest = {k: v for k, v in doc.items() if k != "layouts"}
    if isinstance(raw, list):
        raw = {"layouts": raw}
    elif isinstance(raw, dict) and "layouts" not in raw and "editLayoutSections" in raw:
        raw = {"layouts": [raw]}
    if not isinstance(raw, dict) or not isinstance(raw.get("layouts"), list) or not raw["layouts"]:
        raise LayoutFileError(f"{origin}: 'layouts' of {doc.get('name')!r} must be a describe/layouts answer "
                              "(an object with a non-empty 'layouts' list), a list of layouts or one layout")
    for index, layout in enumerate(raw["layouts"]):
        sections = layout.get("editLayoutSections") if isinstance(layout, dict) else None
        if not isinstance(sections, list):
            raise LayoutFileError(f"{origin}: layout {index} of {doc.get('name')!r} has no 'editLayoutSections' list")
        for section in sections:
            rows = section.get("layoutRows") if isinstance(section, dict) else None
            if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("layoutItems"), list)
                                                     for r in rows):
                raise LayoutFileError(f"{origin}: a section of {doc.get('name')!r} needs 'layoutRows' with "
                                      "'layoutItems' lists")
    return rest, copy.deepcopy(raw)


# -- the default layout ---------------------------------------------------------------------------------
def _component(f: Field, tab: int) -> dict:
    lines = 3 if f.type == "textarea" else 1
    return {"details": f.describe, "displayLines": lines, "tabOrder": tab, "type": "Field", "value": f.name}


def _item(f: Field, tab: int, *, edit: bool) -> dict:
    d = f.describe
    required = edit and bool(d.get("createable") or d.get("updateable")) and not d.get("nillable", True) \
        and not d.get("defaultedOnCreate", False)
    return {"editableForNew": bool(edit and d.get("createable")),
            "editableForUpdate": bool(edit and d.get("updateable")), "label": f.label,
            "layoutComponents": [_component(f, tab)], "placeholder": False, "required": required}


PLACEHOLDER = {"editableForNew": False, "editableForUpdate": False, "label": "", "layoutComponents": [],
               "placeholder": True, "required": False}


def _section(obj: SObject, heading: str, fields: list[Field], *, edit: bool, parent: str) -> dict:
    """Two columns filled top to bottom: the left column holds the first half, the right the rest."""
    rows = (len(fields) + 1) // 2
    left, right = fields[:rows], fields[rows:]
    layout_rows = []
    for i in range(rows):
        items = [_item(left[i], i + 1, edit=edit)]
        items.append(_item(right[i], rows + i + 1, edit=edit) if i < len(right) else dict(PLACEHOLDER))
        layout_rows.append({"layoutItems": items, "numItems": len(items)})
    section_id = make_id(SECTION_PREFIX, "0T", _number("section", obj.name, heading, str(edit)))
    return {"collapsed": False, "columns": 2, "heading": heading, "layoutRows": layout_rows,
            "layoutSectionId": section_id, "parentLayoutId": parent, "rows": rows, "tabOrder": "TopToBottom",
            "useCollapsibleSection": False, "useHeading": True}


def _placed(obj: SObject) -> list[Field]:
    return [f for f in obj.fields if f.name.lower() not in HIDDEN and not f.describe.get("deprecatedAndHidden")]


def default_layout(obj: SObject) -> dict:
    """The layout an org would build for an object nobody arranged: every field in describe order."""
    lid = layout_id(obj)
    heading = f"{obj.label} Information"
    placed = _placed(obj)
    editable = [f for f in placed if f.describe.get("createable") or f.describe.get("updateable")]
    return {
        "buttonLayoutSection": {"detailButtons": []},
        "detailLayoutSections": [_section(obj, heading, placed, edit=False, parent=lid)],
        "editLayoutSections": [_section(obj, heading, editable, edit=True, parent=lid)],
        "feedView": None, "highlightsPanelLayoutSection": None, "id": lid, "multirowEditLayoutSections": [],
        "offlineLinks": [], "quickActionList": {"quickActionListItems": []}, "relatedContent": None,
        "relatedLists": [], "saveOptions": [],
    }


def _mappings(obj: SObject, version: str, layout: str) -> list[dict]:
    picklists = [{"picklistName": f.name, "picklistValues": f.describe.get("picklistValues") or []}
                 for f in obj.fields if f.type in ("picklist", "multipicklist")]
    out = []
    for info in obj.record_type_infos(version):
        out.append({"available": info["available"], "defaultRecordTypeMapping": info["defaultRecordTypeMapping"],
                    "developerName": info["developerName"], "layoutId": layout, "master": info["master"],
                    "name": info["name"], "picklistsForRecordType": picklists, "recordTypeId": info["recordTypeId"],
                    "urls": info["urls"]})
    return out


def _with_details(obj: SObject, layout: dict) -> dict:
    """A stored layout's components get the current field describe where the file left it out."""
    for key in ("detailLayoutSections", "editLayoutSections"):
        for section in layout.get(key) or []:
            for row in section.get("layoutRows") or []:
                for item in row.get("layoutItems") or []:
                    for comp in item.get("layoutComponents") or []:
                        _fill(obj, comp)
    return layout


def _fill(obj: SObject, comp: dict) -> None:
    if comp.get("type") == "Field" and "details" not in comp and isinstance(comp.get("value"), str):
        f = obj.field(comp["value"])
        comp["details"] = f.describe if f is not None else None
    for inner in comp.get("components") or []:
        if isinstance(inner, dict):
            _fill(obj, inner)


def describe_layouts(obj: SObject, stored: dict | None, version: str) -> dict:
    """The body of ``/sobjects/{Type}/describe/layouts``: layouts, record type mappings, selector flag."""
    if stored is None:
        layout = default_layout(obj)
        selector = sum(1 for rt in obj.record_types if rt.get("active", True) and not rt.get("master")) > 1
        return {"layouts": [layout], "recordTypeMappings": _mappings(obj, version, layout["id"]),
                "recordTypeSelectorRequired": [selector]}
    answer = copy.deepcopy(stored)
    answer["layouts"] = [_with_details(obj, layout) for layout in answer["layouts"]]
    if not answer.get("recordTypeMappings"):
        answer["recordTypeMappings"] = _mappings(obj, version, answer["layouts"][0].get("id"))
    answer.setdefault("recordTypeSelectorRequired", [False])
    return answer


def for_record_type(answer: dict, record_type_id: str) -> dict | None:
    """The one layout of ``/describe/layouts/{recordTypeId}``, or None for a record type the object lacks."""
    wanted = record_type_id[:15]
    for mapping in answer.get("recordTypeMappings") or []:
        if str(mapping.get("recordTypeId") or "")[:15] != wanted:
            continue
        for layout in answer["layouts"]:
            if layout.get("id") == mapping.get("layoutId"):
                return layout
        return answer["layouts"][0]
    if wanted == MASTER_RECORD_TYPE_ID[:15] and not answer.get("recordTypeMappings"):
        return answer["layouts"][0]
    return None
