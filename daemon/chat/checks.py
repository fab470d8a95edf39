"""``syncd check-config`` for ``[chat]`` against the org's describe (F3's first part): the objects and
fields the configuration names exist, the key fields are external ids, mapped fields are writable, and no
required field is left without a source. Pure over the describe results; all problems at once."""

from __future__ import annotations

from .options import ChatOptions

SET_BY_SYNCD = {"Contact": {"OwnerId", "AccountId"}, "Lead": {"OwnerId"},
                "Case": {"OwnerId", "ContactId", "AccountId"}, "Task": {"OwnerId", "WhoId", "WhatId"}}
"""Fields syncd fills itself (O1, the person a Case or Task belongs to)."""


def _fields(describe: dict) -> dict[str, dict]:
    return {f["name"].lower(): f for f in describe.get("fields", [])}


def chat_problems(options: ChatOptions, describes: dict[str, dict | None]) -> list[str]:
    """Problems of ``[chat]`` given each object's describe (None: the org has no such object)."""
    problems: list[str] = []
    used = {"Contact", "Lead", "Case", "Task"}
    for sobject in sorted(used):
        if describes.get(sobject) is None:
            problems.append(f"chat: the org has no {sobject} object")
    for sobject, key_field, key in (("Contact", options.contact_key_field, "chat.contact_key_field"),
                                    ("Lead", options.contact_key_field, "chat.contact_key_field"),
                                    ("Case", options.conversation_key_field, "chat.conversation_key_field"),
                                    ("Task", options.conversation_key_field, "chat.conversation_key_field")):
        describe = describes.get(sobject)
        if describe is None:
            continue
        found = _fields(describe).get(key_field.lower())
        if found is None:
            problems.append(f"{key}: no field {key_field} on {sobject}; create it as a Text(255) External ID, "
                            "Unique field (it is what makes a retried or concurrent write create one record)")
        elif not found.get("externalId"):
            problems.append(f"{key}: {sobject}.{key_field} is not marked External ID")
    for index, condition in enumerate(options.identification.conditions):
        for sobject in ("Contact", "Lead"):
            describe = describes.get(sobject)
            if describe is not None and condition.salesforce.lower() not in _fields(describe):
                problems.append(f"chat.identification.conditions.{index}.salesforce: no field "
                                f"{condition.salesforce} on {sobject}")
    account = describes.get("Account")
    for index, condition in enumerate(options.identification.account_conditions):
        if account is not None and condition.salesforce.lower() not in _fields(account):
            problems.append(f"chat.identification.account_conditions.{index}.salesforce: no field "
                            f"{condition.salesforce} on Account")
    for sobject in sorted(used):
        describe = describes.get(sobject)
        if describe is None:
            continue
        fields = _fields(describe)
        mapping = options.mapping(sobject)
        for name in mapping:
            found = fields.get(name.lower())
            if found is None:
                problems.append(f"chat.mappings.{sobject}.{name}: no such field on {sobject}")
            elif not found.get("createable"):
                problems.append(f"chat.mappings.{sobject}.{name}: {sobject}.{name} cannot be written")
        mapped = {n.lower() for n in mapping} | {n.lower() for n in SET_BY_SYNCD[sobject]}
        mapped |= {options.contact_key_field.lower(), options.conversation_key_field.lower()}
        for field in describe.get("fields", []):
            required = (field.get("createable") and not field.get("nillable", True)
                        and not field.get("defaultedOnCreate") and field.get("type") != "boolean")
            if required and field["name"].lower() not in mapped:
                problems.append(f"chat.mappings.{sobject}: the required field {field['name']} has no source")
    return problems
