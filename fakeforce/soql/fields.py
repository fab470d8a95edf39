"""Binding field paths to the schema: ``Account.Owner.Name`` becomes lookups to follow and a field to read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..records import COMPOUND_TYPES, compound_value
from ..schema import Field, Schema, SObject
from .errors import located

MAX_RELATIONSHIP_DEPTH = 5
# What a polymorphic relationship (Who, What, Owner) exposes without TYPEOF: the "Name" object's fields.
NAME_OBJECT_FIELDS = {
    "Id": "id", "Name": "string", "Type": "string", "Alias": "string", "FirstName": "string", "LastName": "string",
    "Email": "email", "IsActive": "boolean", "Phone": "phone", "Title": "string", "Username": "string",
    "UserRoleId": "reference", "ProfileId": "reference", "RecordTypeId": "reference",
    "LastReferencedDate": "datetime", "LastViewedDate": "datetime",
}
TEXT_TYPES = {"string", "picklist", "combobox", "textarea", "email", "phone", "url", "encryptedstring", "time"}
NUMBER_TYPES = {"int", "long", "double", "currency", "percent"}


def kind_of(field_type: str) -> str:
    """The comparison family of a field type: text, id, number, boolean, date, datetime, multipicklist, other."""
    if field_type in TEXT_TYPES:
        return "text"
    if field_type in ("id", "reference"):
        return "id"
    if field_type in NUMBER_TYPES:
        return "number"
    if field_type in ("boolean", "date", "datetime", "multipicklist"):
        return field_type
    return "other"


@dataclass(frozen=True)
class Step:
    """One lookup to follow: the reference field on the current record and the objects it may point to."""

    field_name: str
    relationship: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Bound:
    """A resolved path: the steps, the final field's name, type and metadata, and the keys to render under."""

    steps: tuple[Step, ...]
    name: str
    type: str
    field: Field | None  # None for a field of the polymorphic Name object
    keys: tuple[str, ...]  # relationship names then field name, as the output nests them
    compound_of: SObject | None = None  # the object of an address/location compound, read from its components

    @property
    def kind(self) -> str:
        return kind_of(self.type)

    @property
    def label(self) -> str:
        return self.name

    def describe(self, key: str, default: Any = None) -> Any:
        return self.field.describe.get(key, default) if self.field is not None else default


Lookup = Callable[[str], "tuple[SObject, dict] | None"]


def read(bound: Bound, record: dict, lookup: Lookup) -> Any:
    """The value of a bound path on a record, following lookups; a missing parent gives None."""
    current = record
    current_type = None
    for step in bound.steps:
        ref = current.get(step.field_name)
        if ref is None:
            return None
        found = lookup(ref)
        if found is None or found[1].get("IsDeleted"):
            return None
        current_type, current = found
        if current_type.name not in step.targets:
            return None
    if bound.field is None and current_type is not None:
        return name_object_value(current_type, current, bound.name)
    if bound.compound_of is not None and bound.field is not None:
        return compound_value(bound.compound_of, current, bound.field)
    return current.get(bound.name)


def name_object_value(obj: SObject, record: dict, name: str) -> Any:
    """A field of the polymorphic Name object read from the real record: Type is the object, Name its name field."""
    if name == "Type":
        return obj.name
    if name == "Name":
        name_field = obj.name_field()
        return record.get(name_field.name if name_field is not None else "Name")
    return record.get(name)


class PathResolver:
    """Binds paths of one query level (its object and alias) against the schema, with Salesforce's errors."""

    def __init__(self, schema: Schema, obj: SObject, alias: str | None, soql: str) -> None:
        self.schema = schema
        self.obj = obj
        self.alias = alias
        self.soql = soql
        self.rel_aliases: dict[str, tuple[str, ...]] = {}  # a -> ("Account",) for FROM Contact c, c.Account a

    def strip_prefix(self, parts: tuple[str, ...]) -> tuple[str, ...]:
        if len(parts) > 1:
            head = parts[0].lower()
            if head in self.rel_aliases:
                return (*self.rel_aliases[head], *parts[1:])
            if (self.alias and head == self.alias.lower()) or (
                    head == self.obj.name.lower() and self.obj.relationship(parts[0]) is None):
                return parts[1:]
        return parts

    def bind(self, parts: tuple[str, ...], pos: int) -> Bound:
        parts = self.strip_prefix(parts)
        if len(parts) - 1 > MAX_RELATIONSHIP_DEPTH:
            raise located("MALFORMED_QUERY", "SOQL statements cannot query relationships that are more than "
                          f"{MAX_RELATIONSHIP_DEPTH} levels away from the root entity object.", self.soql, pos)
        obj: SObject | None = self.obj
        steps: list[Step] = []
        keys: list[str] = []
        for part in parts[:-1]:
            ref = obj.relationship(part) if obj is not None else None
            if ref is None:
                raise self.unknown_relationship(part, pos)
            targets = tuple(ref.describe.get("referenceTo") or [])
            steps.append(Step(ref.name, ref.describe["relationshipName"], targets))
            keys.append(ref.describe["relationshipName"])
            polymorphic = len(targets) != 1
            obj = None if polymorphic else self.schema.get(targets[0])
        last = parts[-1]
        if obj is None and steps:
            name = next((n for n in NAME_OBJECT_FIELDS if n.lower() == last.lower()), None)
            if name is None:
                raise self.no_such_column(last, "Name", pos)
            return Bound(tuple(steps), name, NAME_OBJECT_FIELDS[name], None, tuple(keys + [name]))
        assert obj is not None
        field = obj.field(last)
        if field is None:
            raise self.no_such_column(last, obj.name, pos)
        return Bound(tuple(steps), field.name, field.type, field, tuple(keys + [field.name]),
                     obj if field.type in COMPOUND_TYPES else None)

    def unknown_relationship(self, name: str, pos: int):
        return located("INVALID_FIELD", f"Didn't understand relationship '{name}' in field path. If you are "
                       "attempting to use a custom relationship, be sure to append the '__r' after the custom "
                       "relationship name. Please reference your WSDL or the describe call for the appropriate "
                       "names.", self.soql, pos)

    def no_such_column(self, name: str, entity: str, pos: int):
        return located("INVALID_FIELD", f"No such column '{name}' on entity '{entity}'. If you are attempting to use "
                       "a custom field, be sure to append the '__c' after the custom field name. Please reference "
                       "your WSDL or the describe call for the appropriate names.", self.soql, pos)

    def relationship(self, parts: tuple[str, ...], pos: int) -> tuple[Step, SObject | None]:
        """The polymorphic (or plain) relationship named by a TYPEOF field."""
        parts = self.strip_prefix(parts)
        ref = self.obj.relationship(parts[0]) if len(parts) == 1 else None
        if ref is None:
            raise self.unknown_relationship(".".join(parts), pos)
        targets = tuple(ref.describe.get("referenceTo") or [])
        return Step(ref.name, ref.describe["relationshipName"], targets), None
