"""``syncd check-config`` for ``[rules]`` against the org's describe (F3): the Case an escalation upserts
(E3, E5), the storage object its messages go to (P1, P2, P4) and the status an inbound message sets (P3).
Pure over the describe results; every problem at once, each with its TOML key."""

from __future__ import annotations

from ..fit import active_values, source_problems
from .options import CareRules

CASE_KINDS = {"case.id": "text", "case.status": "text", "customer.name": "text", "customer.email": "email",
              "customer.platform": "text", "customer.id": "text", "agent.email": "email", "agent.name": "text"}
"""What the case mapping's sources are known to hold (``details.*`` is the agent's form: unknown)."""
MESSAGE_KINDS = {"message.id": "text", "message.text": "text", "message.title": "text",
                 "message.time": "datetime", "message.outbound": "boolean", "message.direction": "text",
                 "message.platform": "text", "message.author.name": "text", "customer.name": "text",
                 "customer.email": "email", "customer.platform": "text", "customer.id": "text"}
SET_ON_CASE = {"contactid", "accountid", "ownerid"}
"""Case fields the escalation fills itself (E3, O1)."""


def _fields(describe: dict) -> dict[str, dict]:
    return {f["name"].lower(): f for f in describe.get("fields", [])}


def stores_messages(rules: CareRules) -> bool:
    """P5/P6: messages are written only with a storage object and outside community-only mode."""
    return bool(rules.storage_object) and not rules.community_only


def objects(rules: CareRules) -> list[str]:
    """The objects whose describe ``care_problems`` needs."""
    return ["Case", *([rules.storage_object] if stores_messages(rules) and rules.storage_object else [])]


def _required(describe: dict, mapped: set[str]) -> list[str]:
    return [f["name"] for f in describe.get("fields", [])
            if f.get("createable") and not f.get("nillable", True) and not f.get("defaultedOnCreate")
            and f.get("type") != "boolean" and f["name"].lower() not in mapped]


def _external_id(fields: dict[str, dict], name: str, sobject: str, key: str) -> list[str]:
    found = fields.get(name.lower())
    if found is None:
        return [f"{key}: no field {name} on {sobject}; create it as a Text(255) External ID, Unique field"]
    if not found.get("externalId"):
        return [f"{key}: {sobject}.{name} is not marked External ID"]
    return []


def _mapping(mapping: dict[str, str], fields: dict[str, dict], sobject: str, key: str,
             kinds: dict[str, str]) -> list[str]:
    """Upserted fields: created the first time, updated on a repeat (a redelivery, a second escalation)."""
    problems = []
    for name, source in mapping.items():
        where = f"{key}.{name}"
        found = fields.get(name.lower())
        if found is None:
            problems.append(f"{where}: no such field on {sobject}")
            continue
        if not found.get("createable"):
            problems.append(f"{where}: {sobject}.{name} cannot be written")
        elif not found.get("updateable"):
            problems.append(f"{where}: {sobject}.{name} cannot be updated, and a repeated write updates it")
        problems.extend(f"{where}: {reason}" for reason in source_problems(found, source, kinds))
    return problems


def care_problems(rules: CareRules, describes: dict[str, dict | None]) -> list[str]:
    """Problems of ``[rules]`` given each object's describe (None: the org has no such object)."""
    problems: list[str] = []
    case = describes.get("Case")
    if case is None:
        return ["rules: the org has no Case object"]
    case_fields = _fields(case)
    problems += _external_id(case_fields, rules.case_external_id_field, "Case", "rules.case_external_id_field")
    problems += _mapping(rules.case_mapping, case_fields, "Case", "rules.case_mapping", CASE_KINDS)
    mapped = {n.lower() for n in rules.case_mapping} | SET_ON_CASE | {rules.case_external_id_field.lower()}
    problems += [f"rules.case_mapping: the required field {name} has no source" for name in _required(case, mapped)]
    if rules.incoming_case_status is not None:
        status = case_fields.get("status")
        values = active_values(status) if status else []
        if status is None or not status.get("updateable"):
            problems.append("rules.incoming_case_status: Case.Status cannot be updated")
        elif rules.incoming_case_status not in values:
            problems.append(f"rules.incoming_case_status: {rules.incoming_case_status!r} is not an active Case "
                            f"Status (active: {', '.join(values) or 'none'})")
    if stores_messages(rules):
        problems += _storage(rules, describes.get(rules.storage_object or ""))
    return problems


def _storage(rules: CareRules, describe: dict | None) -> list[str]:
    sobject = rules.storage_object
    if describe is None:
        return [f"rules.storage_object: {sobject!r} is not an object of the org"]
    fields = _fields(describe)
    problems = []
    parent = fields.get(rules.storage_parent_field.lower())
    if parent is None:
        problems.append(f"rules.storage_parent_field: no field {rules.storage_parent_field} on {sobject}")
    elif parent.get("type") != "reference" or not parent.get("createable"):
        problems.append(f"rules.storage_parent_field: {sobject}.{parent['name']} is not a writable lookup")
    elif parent.get("referenceTo") and "Case" not in parent["referenceTo"]:
        problems.append(f"rules.storage_parent_field: {sobject}.{parent['name']} looks up "
                        f"{', '.join(parent['referenceTo'])}, not Case")
    problems += _external_id(fields, rules.storage_external_id_field, sobject, "rules.storage_external_id_field")
    if rules.storage_record_type_id and "recordtypeid" not in fields:
        problems.append(f"rules.storage_record_type_id: {sobject} has no record types (no RecordTypeId field)")
    problems += _mapping(rules.message_mapping, fields, sobject, "rules.message_mapping", MESSAGE_KINDS)
    mapped = {n.lower() for n in rules.message_mapping} | {rules.storage_parent_field.lower(),
                                                           rules.storage_external_id_field.lower(), "recordtypeid"}
    problems += [f"rules.message_mapping: the required field {name} has no source"
                 for name in _required(describe, mapped)]
    return problems
