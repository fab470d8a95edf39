"""Each shipped standard object against the reference data taken from real-org describes and the Object Reference.

The reference files (tests/data/object-reference/, provenance in its README) hold, per field, only the
attributes some source states; an attribute no source gives is not checked. A field of the reference that
the shipped object lacks, or one whose type, length, nillable, defaulted-on-create, createable, updateable,
picklist values, referenceTo or relationship name differ, fails the object's test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fakeforce.schema import load_schema

REFERENCE = Path(__file__).parent / "data" / "object-reference"
OBJECTS = sorted(p.stem for p in REFERENCE.glob("*.json"))
# Values that name the org's objects: fakeforce answers the reference's values among the objects it ships.
OBJECT_NAMED = {("RecordType", "SobjectType")}
# Deliberate departures, each with its reason; the attribute named is not compared for that field.
DEVIATIONS = {
    ("Account", "JigsawCompanyId", "relationshipName"): "a text field: SOQL must not traverse it",
    ("Contact", "JigsawContactId", "relationshipName"): "a text field: SOQL must not traverse it",
    ("Lead", "JigsawContactId", "relationshipName"): "a text field: SOQL must not traverse it",
    ("Group", "Type", "picklistValues"): "inserts without Type create a public (Regular) group",
}
SCALARS = ("type", "length", "nillable", "defaultedOnCreate", "createable", "updateable", "relationshipName")


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def reference(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / f"{name}.json").read_text(encoding="utf-8"))


def picklist(entries: list[dict]) -> tuple[list[str], str | None]:
    """Active values in order, and the default one: what a client sees of a picklist."""
    active = [p["value"] for p in entries if p.get("active", True)]
    default = next((p["value"] for p in entries if p.get("defaultValue")), None)
    return active, default


def org_scoped(expected: dict[str, Any], shipped: set[str], object_named: bool) -> dict[str, Any]:
    """The reference facts as they apply to fakeforce's set of objects.

    A polymorphic lookup of a real org points at every object of that org that can be its target; fakeforce
    points only at those it ships (a single-target lookup keeps its target, shipped or not).
    """
    expected = dict(expected)
    targets = expected.get("referenceTo") or []
    if len(targets) > 1:
        expected["referenceTo"] = [t for t in targets if t in shipped] or targets
    if object_named:
        expected["picklistValues"] = [p for p in expected["picklistValues"] if p["value"] in shipped]
    return expected


def field_differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Why a shipped describe field differs from its reference facts (empty when it matches)."""
    problems = []
    for key in SCALARS:
        if key in expected and actual.get(key) != expected[key]:
            problems.append(f"{key} {actual.get(key)!r} != {expected[key]!r}")
    if "referenceTo" in expected and sorted(actual.get("referenceTo") or []) != sorted(expected["referenceTo"]):
        problems.append(f"referenceTo {actual.get('referenceTo')!r} != {expected['referenceTo']!r}")
    if "picklistValues" in expected:
        want, have = picklist(expected["picklistValues"]), picklist(actual.get("picklistValues") or [])
        if want != have:
            problems.append(f"picklist {have!r} != {want!r}")
    return problems


def object_differences(schema, name: str) -> list[str]:
    obj = schema.get(name)
    if obj is None:
        return [f"{name}: not shipped"]
    shipped = {f["name"]: f for f in obj.describe("67.0")["fields"]}
    objects = set(schema.names())
    problems = []
    for fname, facts in reference(name)["fields"].items():
        expected = org_scoped(facts, objects, (name, fname) in OBJECT_NAMED)
        actual = shipped.get(fname)
        if actual is None:
            problems.append(f"{name}.{fname}: missing ({expected['type']})")
            continue
        for key in [k for (o, f, k) in DEVIATIONS if (o, f) == (name, fname)]:
            expected.pop(key, None)
        problems.extend(f"{name}.{fname}: {p}" for p in field_differences(expected, actual))
    return problems


@pytest.mark.parametrize("name", OBJECTS)
def test_object_matches_reference(schema, name: str) -> None:
    problems = object_differences(schema, name)
    assert not problems, "\n".join(problems)


def test_every_shipped_standard_object_has_reference_data(schema) -> None:
    from fakeforce.schema.loader import standard_documents

    shipped = {doc["name"] for doc in standard_documents()}
    assert shipped <= set(OBJECTS), sorted(shipped - set(OBJECTS))


def test_comparison_catches_a_missing_and_a_mistyped_field(schema) -> None:
    """The check itself: a dropped field and a changed type are both reported."""
    contact = schema.get("Contact")
    kept = contact.fields
    try:
        contact.fields = [f for f in kept if f.name != "DoNotCall"]
        contact.reindex()
        assert "Contact.DoNotCall: missing (boolean)" in object_differences(schema, "Contact")
    finally:
        contact.fields = kept
        contact.reindex()
    assert field_differences({"type": "boolean", "length": 0}, {"type": "string", "length": 0}) \
        == ["type 'string' != 'boolean'"]
    assert field_differences({"picklistValues": [{"value": "A"}]}, {"picklistValues": []})


def test_contact_and_lead_carry_the_opt_out_fields(schema) -> None:
    for name in ("Contact", "Lead"):
        for fname in ("DoNotCall", "HasOptedOutOfEmail", "HasOptedOutOfFax"):
            f = schema.get(name).field(fname)
            assert f is not None and f.type == "boolean" and f.defaultedOnCreate and not f.required_on_create
