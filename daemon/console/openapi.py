"""The console calls (T4) in syncd's OpenAPI document: their paths and schemas, merged by
``daemon/openapi.py`` (imported from there when the document is built)."""

from __future__ import annotations

from typing import Any

from ..openapi import SCALAR, _call, _json, _problem
from .rules import CHAT_KEY, OFFERED

NULLABLE = {"type": ["string", "null"]}
ACTIONS = OFFERED["none"]


def _record(account: bool = False) -> dict:
    properties: dict[str, Any] = {
        "object": {"type": "string"}, "id": {"type": "string"},
        "url": {"type": ["string", "null"], "description": "The record in Lightning Experience"},
        "fields": {"type": "object", "description": "[console] display_fields of the object -> value"}}
    if account:
        properties["matchedBy"] = {"enum": ["contact", "account_conditions"]}
    return {"type": ["object", "null"], "required": ["object", "id", "url", "fields"], "properties": properties}


PICKED = {"type": "object", "required": ["chatKey", "action", "found", "person"], "properties": {
    "chatKey": {"type": "string"}, "action": {"enum": ACTIONS}, "found": {"enum": ["none", "contact", "lead"]},
    "person": {"type": ["object", "null"], "properties": {
        "object": {"enum": ["Contact", "Lead"]}, "id": {"type": "string"}, "created": {"type": "boolean"},
        "url": NULLABLE}},
    "attach": {"type": "string"}}}

SCHEMAS: dict[str, Any] = {
    "ConsoleVisitor": {"type": "object", "required": ["chatKey", "found", "contact", "lead", "account", "manual",
                                                      "offered", "picked", "cached", "fetchedAt"], "properties": {
        "chatKey": {"type": "string"}, "found": {"enum": ["none", "contact", "lead"]},
        "contact": _record(), "lead": _record(), "account": _record(account=True),
        "manual": {"type": "boolean", "description": "The chat's trigger is manual: the agent picks (T4)"},
        "offered": {"type": "array", "items": {"enum": ACTIONS},
                    "description": "The actions the agent may pick now (none once one is picked)"},
        "picked": {"oneOf": [{"$ref": "#/components/schemas/ConsolePicked"}, {"type": "null"}]},
        "cached": {"type": "boolean"}, "fetchedAt": NULLABLE}},
    "ConsolePickRequest": {"type": "object", "additionalProperties": False, "required": ["action"], "properties": {
        "action": {"enum": ACTIONS},
        "fields": {"type": "object", "maxProperties": 500, "additionalProperties": SCALAR,
                   "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
                   "description": "The agent's edits of the pre-filled Contact or Lead fields; null blanks one"}}},
    "ConsolePicked": PICKED,
}

KEY = {"name": "chat_key", "in": "path", "required": True,
       "schema": {"type": "string", "pattern": f"^{CHAT_KEY.pattern}$", "maxLength": 263},
       "description": "chat:<chatId>, inbox:<conversationId> or offline:<messageId> (URL-encoded or not)"}


def paths() -> dict[str, Any]:
    unavailable = {"503": _problem("Salesforce cannot be asked now (S3); nothing was written")}
    missing = {"404": _problem("syncd has no such chat (its started event has not arrived)")}
    visitor = _call("consoleVisitor", "Who the chat's visitor is in Salesforce, with display fields and links",
                    {"200": _json("The matched Contact or Lead and Account", "ConsoleVisitor")},
                    more={**missing, **unavailable, "502": _problem("Salesforce refused the configured fields")},
                    description="M1-M4 by [chat.identification], ONE request on a miss; served from syncd's cache "
                                "for [console] recognise_cache_seconds.")
    pick = _call("consoleAction", "The agent's one action for a manual chat (T4)",
                 {"201": _json("Picked: the person record is written now, the Case or Task at the chat end",
                               "ConsolePicked"),
                  "200": _json("The same pick again (a retry): the first answer", "ConsolePicked")},
                 body={"$ref": "#/components/schemas/ConsolePickRequest"},
                 more={**missing, **unavailable,
                       "409": _problem("Not a manual chat, the chat has ended, or an action was already picked"),
                       "502": _problem("Salesforce refused the configured fields")},
                 description="An action not offered for the identification result, or a person record "
                             "Salesforce refuses (required field, restricted picklist, validation rule), answers "
                             "422 with the field names; nothing is created then.")
    for operation in (visitor, pick):
        operation["parameters"] = [KEY, *operation.get("parameters", [])]
    return {"/v1/console/chats/{chat_key}/visitor": {"get": visitor},
            "/v1/console/chats/{chat_key}/action": {"post": pick}}
