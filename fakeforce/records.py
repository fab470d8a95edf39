"""Record rules as pure functions: what a create or an update makes of a request body, and how a record reads.

No I/O: the org passes in the clock reading, the caller's user id and a ``lookup(id)`` for references.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .errors import SalesforceError
from .schema import Field, SObject
from .values import coerce

Lookup = Callable[[str], "tuple[SObject, dict] | None"]

SYSTEM_FIELDS = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp")
CLOSED_CASE_STATUSES = {"closed"}
CLOSED_TASK_STATUSES = {"completed"}
"""Closed Task statuses when the org has no TaskStatus rows (an org file from before they were seeded)."""
ACCOUNT_CHILDREN = {"Opportunity", "Contract"}
"""WhatId objects whose own AccountId a Task takes (with Account itself and custom children of Account)."""


@dataclass(frozen=True)
class WriteContext:
    now: str
    user_id: str
    lookup: Lookup
    owner_of: Callable[[str], SObject | None]
    closed_task_statuses: frozenset[str] | None = None
    """Lower-case Task statuses whose TaskStatus row has IsClosed (None: ``CLOSED_TASK_STATUSES``)."""


def invalid_field(obj: SObject, name: str) -> SalesforceError:
    return SalesforceError("INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}", 400)


def parse_body(obj: SObject, body: Any, *, creating: bool) -> dict[str, Any]:
    """Field name -> stored value for a create or update body; every misfit is Salesforce's error."""
    if not isinstance(body, dict):
        raise SalesforceError("JSON_PARSER_ERROR", "Cannot deserialize instance of "
                              f"{obj.name} from {'START_ARRAY' if isinstance(body, list) else 'VALUE_STRING'} value "
                              "or request may be missing a required field")
    values: dict[str, Any] = {}
    unwritable: list[str] = []
    for key, raw in body.items():
        if key == "attributes":
            continue
        field = obj.field(key)
        if field is None:
            raise invalid_field(obj, key)
        if field.name == "Id" and not creating:
            continue  # an Id in an update body is ignored when it names the record itself (checked by caller)
        writable = field.describe.get("createable") if creating else field.describe.get("updateable")
        if not writable:
            unwritable.append(field.name)
            continue
        values[field.name] = coerce(field, raw)
    if unwritable:
        verb = "create" if creating else "update"
        raise SalesforceError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to {verb}/update fields: {', '.join(unwritable)}. Please check the security settings of this "
            "field and verify that it is read/write for your profile or permission set.", 400, unwritable)
    return values


def check_references(obj: SObject, values: dict[str, Any], ctx: "WriteContext") -> None:
    """Each lookup must name a live record of one of the field's target objects."""
    for name, value in values.items():
        field = obj.field(name)
        if value is None or field is None or field.type != "reference":
            continue
        targets = {t.lower() for t in field.describe.get("referenceTo") or []}
        found = ctx.lookup(value)
        owner = found[0] if found else ctx.owner_of(value[:3])
        if owner is not None and owner.name.lower() not in targets:
            raise SalesforceError("FIELD_INTEGRITY_EXCEPTION",
                                  f"{field.label}: id value of incorrect type: {value}", 400, [field.name])
        if found is None:
            raise SalesforceError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", 400, [field.name])
        if found[1].get("IsDeleted"):
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", 400, [field.name])
        if name == "OwnerId" and found[0].name == "User" and found[1].get("IsActive") is False:
            # an org refuses a record given to a deactivated user (an explicit OwnerId: the default owner
            # is the caller, who is active since they are logged in)
            raise SalesforceError("INACTIVE_OWNER_OR_USER", f"operation performed with inactive user [{value}] "
                                  f"as owner of {obj.name.lower()}", 400, [])


def check_required(obj: SObject, record: dict[str, Any], fields: list[Field]) -> None:
    missing = [f.name for f in fields if record.get(f.name) is None]
    if missing:
        raise SalesforceError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", 400,
                              missing)


def derive(obj: SObject, record: dict[str, Any], ctx: WriteContext, before: dict[str, Any] | None) -> None:
    """Fields an org computes itself: compound names, IsClosed/ClosedDate, a Task's account."""
    name = obj.name
    if name in ("Contact", "Lead", "User") and obj.field("Name") is not None:
        parts = [record.get("FirstName"), record.get("LastName")]
        record["Name"] = " ".join(p for p in parts if p) or None
    if name == "Case":
        closed = (record.get("Status") or "").lower() in CLOSED_CASE_STATUSES
        record["IsClosed"] = closed
        if closed and not (before or {}).get("IsClosed"):
            record["ClosedDate"] = ctx.now
        elif not closed:
            record.pop("ClosedDate", None)
    if name == "Task":
        closed_set = ctx.closed_task_statuses or CLOSED_TASK_STATUSES
        closed = (record.get("Status") or "").lower() in closed_set
        record["IsClosed"] = closed  # only through Status: the status's TaskStatus.IsClosed
        if obj.field("CompletedDateTime") is not None:
            if not closed:
                record.pop("CompletedDateTime", None)
            elif before is None or before.get("Status") != record.get("Status"):
                record["CompletedDateTime"] = ctx.now  # saved with a new closed status
        if obj.field("AccountId") is not None:
            record["AccountId"] = _task_account(record, ctx.lookup)
    if name == "TaskRelation" and obj.field("AccountId") is not None:
        found = ctx.lookup(record["RelationId"]) if record.get("RelationId") else None
        if found:
            target, rel = found
            record["AccountId"] = rel["Id"] if target.name == "Account" else rel.get("AccountId")
            if obj.field("IsWhat") is not None:
                record["IsWhat"] = target.name not in ("Contact", "Lead")
    for key in [k for k, v in record.items() if v is None]:
        del record[key]


def _task_account(record: dict[str, Any], lookup: Lookup) -> str | None:
    """Salesforce's rule: a WhatId that is an Account gives it; an Opportunity, a Contract or a custom child
    of Account gives its account; any other WhatId (a Case...) or none: the WhoId contact's (the primary
    contact's) account; else none."""
    what = lookup(record["WhatId"]) if record.get("WhatId") else None
    if what is not None:
        target, rel = what
        if target.name == "Account":
            return rel["Id"]
        if target.name in ACCOUNT_CHILDREN:
            return rel.get("AccountId")
        parent = _account_parent_field(target)
        if parent is not None:
            return rel.get(parent)
    who = lookup(record["WhoId"]) if record.get("WhoId") else None
    if who is not None and who[0].name == "Contact":
        return who[1].get("AccountId")
    return None


def _account_parent_field(obj: SObject) -> str | None:
    """The master-detail field of a custom object whose master is Account, if it has one."""
    if not obj.custom:
        return None
    for field in obj.fields:
        if field.type == "reference" and (field.describe.get("referenceTo") or []) == ["Account"] \
                and field.describe.get("cascadeDelete"):
            return field.name
    return None


def build_new(obj: SObject, values: dict[str, Any], record_id: str, ctx: WriteContext,
              auto_numbers: dict[str, str]) -> dict[str, Any]:
    """A complete new record: defaults, owner, audit fields, auto-numbers, derived fields; required checked."""
    record: dict[str, Any] = {"Id": record_id}
    for field in obj.fields:
        d = field.describe
        if field.name in values or field.name == "Id":
            continue
        if field.type == "picklist" and field.default_picklist_value is not None:
            record[field.name] = field.default_picklist_value
        elif d.get("defaultValue") is not None and field.type not in ("id",):
            record[field.name] = d["defaultValue"]
        elif field.type == "boolean":
            record[field.name] = False
    record.update({k: v for k, v in values.items() if v is not None})
    record.update(auto_numbers)
    if obj.field("OwnerId") is not None and not record.get("OwnerId"):
        record["OwnerId"] = ctx.user_id
    for name in SYSTEM_FIELDS:
        if obj.field(name) is not None:
            record[name] = ctx.user_id if name.endswith("ById") else ctx.now
    if obj.field("IsDeleted") is not None:
        record["IsDeleted"] = False
    if obj.custom and obj.field("Name") is not None and not record.get("Name"):
        record["Name"] = record_id
    check_references(obj, values, ctx)
    check_required(obj, record, [f for f in obj.fields if f.required_on_create])
    derive(obj, record, ctx, None)
    return record


def apply_update(obj: SObject, before: dict[str, Any], values: dict[str, Any], ctx: WriteContext) -> dict[str, Any]:
    record = dict(before)
    for name, value in values.items():
        if value is None:
            field = obj.field(name)
            if field is not None and not field.describe.get("nillable", True):
                raise SalesforceError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", 400, [name])
            record.pop(name, None)
        else:
            record[name] = value
    check_references(obj, values, ctx)
    if obj.field("LastModifiedDate") is not None:
        record["LastModifiedDate"] = record["SystemModstamp"] = ctx.now
        record["LastModifiedById"] = ctx.user_id
    derive(obj, record, ctx, before)
    return record


def render(obj: SObject, record: dict[str, Any], version: str, fields: list[Field] | None = None) -> dict[str, Any]:
    """A record as the REST API returns it: attributes first, then fields in describe order, nulls included."""
    out: dict[str, Any] = {"attributes": {"type": obj.name,
                                          "url": f"/services/data/v{version}/sobjects/{obj.name}/{record['Id']}"}}
    for field in fields if fields is not None else obj.fields:
        if field.type in COMPOUND_TYPES:
            out[field.name] = compound_value(obj, record, field)
        elif field.type == "base64" and record.get(field.name) is not None:
            out[field.name] = f"{out['attributes']['url']}/{field.name}"  # blobs read as their URL
        else:
            out[field.name] = record.get(field.name)
    return out


COMPOUND_TYPES = frozenset({"address", "location"})


def compound_value(obj: SObject, record: dict[str, Any], field: Field) -> dict[str, Any] | None:
    """An address or geolocation compound as REST and SOQL render it, built from its component fields."""
    if field.type == "location":
        return _location(obj, record, field)
    return _address(obj, record, field)


def _location(obj: SObject, record: dict[str, Any], field: Field) -> dict[str, Any] | None:
    """``{"latitude", "longitude"}`` from ``X__Latitude__s``/``X__Longitude__s`` (or any components whose name
    ends in Latitude/Longitude); null while both are."""
    out: dict[str, Any] = {"latitude": None, "longitude": None}
    for part in obj.fields:
        if part.describe.get("compoundFieldName") != field.name:
            continue
        bare = part.name[:-3] if part.name.endswith("__s") else part.name
        for key in out:
            if bare.lower().endswith(key):
                out[key] = record.get(part.name)
    return out if any(v is not None for v in out.values()) else None


def _address(obj: SObject, record: dict[str, Any], field: Field) -> dict[str, Any] | None:
    parts = {f.name: record.get(f.name) for f in obj.fields if f.describe.get("compoundFieldName") == field.name}
    if not any(v is not None for v in parts.values()):
        return None
    prefix = field.name[: -len("Address")]
    keys = ("city", "country", "geocodeAccuracy", "latitude", "longitude", "postalCode", "state", "street")
    return {k: parts.get(prefix + k[0].upper() + k[1:]) for k in keys}

