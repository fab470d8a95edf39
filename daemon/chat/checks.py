"""``syncd check-config`` for ``[chat]`` against the org's describe (F3's first part): the objects and
fields the configuration names exist, the key fields are external ids, mapped fields are writable, and no
required field is left without a source. Pure over the describe results; all problems at once."""

from __future__ import annotations

from ..fit import source_problems
from .options import ChatOptions

SET_BY_SYNCD = {"Contact": {"OwnerId", "AccountId"}, "Lead": {"OwnerId"},
                "Case": {"OwnerId", "ContactId", "AccountId"}, "Task": {"OwnerId", "WhoId", "WhatId"}}
"""Fields syncd fills itself (O1, the person a Case or Task belongs to)."""
KINDS = {"visitor.id": "text", "visitor.name": "text", "visitor.email": "email", "visitor.visits": "number",
         "visitor.chats": "number", "chat.id": "text", "chat.key": "text", "chat.kind": "text", "chat.title": "text",
         "chat.subject": "text", "chat.channel": "text", "chat.details": "text", "chat.text": "text",
         "chat.notes": "text", "chat.requestingPage": "text", "chat.startTime": "datetime",
         "chat.endTime": "datetime", "chat.endDate": "date", "chat.agent.id": "text", "chat.agent.name": "text",
         "chat.agent.email": "email", **{f"session.{k}": "text" for k in (
             "ip", "country", "region", "city", "browser", "operatingSystem", "language", "timeZone", "referrer",
             "currentPage", "landingPage", "searchEngine", "searchKeywords", "screenResolution")}}
"""What the chat sources are known to hold (F2; daemon/chat/transcript.py ``context``): ``prechat.*`` and
``custom.*`` are the org's own forms, of unknown kind."""
UPDATED = ("Contact", "Lead")
"""M5: found Contacts and Leads get the mapped fields unless update_policy = "keep"."""


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
            else:
                problems.extend(_fit(options, sobject, name, mapping[name], found))
        mapped = {n.lower() for n in mapping} | {n.lower() for n in SET_BY_SYNCD[sobject]}
        mapped |= {options.contact_key_field.lower(), options.conversation_key_field.lower()}
        for field in describe.get("fields", []):
            required = (field.get("createable") and not field.get("nillable", True)
                        and not field.get("defaultedOnCreate") and field.get("type") != "boolean")
            if required and field["name"].lower() not in mapped:
                problems.append(f"chat.mappings.{sobject}: the required field {field['name']} has no source")
    return problems


def _fit(options: ChatOptions, sobject: str, name: str, source: str, found: dict) -> list[str]:
    """A created field that is also updated (M5) must be updateable; every alternative must fit its type.
    Constants never update a found record (daemon/mapping.py ``policy_changes``)."""
    key = f"chat.mappings.{sobject}.{name}"
    problems = [f"{key}: {reason}" for reason in source_problems(found, source, KINDS)]
    updates = sobject in UPDATED and options.update_policy != "keep" and not source.startswith("=")
    if updates and not found.get("updateable"):
        problems.insert(0, f"{key}: {sobject}.{name} cannot be updated, and update_policy = "
                           f"{options.update_policy!r} writes found records (M5)")
    return problems
