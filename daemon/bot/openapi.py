"""The bot calls (B1-B4) in syncd's OpenAPI document: their paths and schemas, merged by
``daemon/openapi.py`` (imported from there when the document is built)."""

from __future__ import annotations

from typing import Any

from ..openapi import SCALAR, _call, _json, _problem
from .options import FIELD_PATH
from .rules import NAME

NULLABLE = {"type": ["string", "null"]}
VARIABLES = {"type": "object", "description": "The answer flattened to bot variables: Owner.Email, Contacts.0.Email"}
OBJECT_NAME = {"type": "string", "pattern": f"^{NAME.pattern}$", "description": "An object's API name (Tier__c)"}
PATH = {"type": "string", "maxLength": 400, "pattern": f"^{FIELD_PATH.pattern}$"}

SCHEMAS: dict[str, Any] = {
    "BotCreateRequest": {"type": "object", "additionalProperties": False, "required": ["object"], "properties": {
        "object": OBJECT_NAME,
        "fields": {"type": "object", "maxProperties": 500, "additionalProperties": SCALAR,
                   "propertyNames": {"pattern": f"^{NAME.pattern}$"},
                   "description": "Field API name -> value"}}},
    "BotCreated": {"type": "object", "required": ["id", "object"], "properties": {
        "id": {"type": "string"}, "object": {"type": "string"}}},
    "BotFindRequest": {"type": "object", "additionalProperties": False, "required": ["object", "field", "value"],
                       "properties": {
        "object": OBJECT_NAME, "field": PATH, "value": {"type": ["string", "number", "integer", "boolean"]},
        "fields": {"type": "array", "maxItems": 100, "items": PATH,
                   "description": "Fields (paths allowed) of the record to return; Id always"}}},
    "BotFound": {"type": "object", "required": ["found", "id", "variables"], "properties": {
        "found": {"type": "boolean"}, "id": NULLABLE, "variables": VARIABLES}},
    "BotQueryRequest": {"type": "object", "additionalProperties": False, "required": ["soql"], "properties": {
        "soql": {"type": "string", "minLength": 1, "maxLength": 20000,
                 "description": "One SELECT; :name placeholders outside quotes take the variables as literals"},
        "variables": {"type": "object", "maxProperties": 200,
                      "description": "name -> text, number, boolean, list of them, or an object for :a.b"}}},
    "BotRows": {"type": "object", "required": ["count", "totalSize", "truncated", "rows", "variables", "soql"],
                "properties": {
        "count": {"type": "integer"}, "totalSize": {"type": "integer"}, "truncated": {"type": "boolean"},
        "rows": {"type": "array", "items": VARIABLES}, "variables": VARIABLES,
        "soql": {"type": "string", "description": "The statement as sent, variables bound and row cap applied"}}},
    "BotRouteRequest": {"type": "object", "additionalProperties": False, "properties": {
        name: {"type": "object"} for name in ("visitor", "session", "customVariables", "preChat")}},
    "BotRoute": {"type": "object", "required": ["found", "contactId", "accountId", "variables", "cached"],
                 "properties": {
        "found": {"type": "boolean"}, "contactId": NULLABLE, "accountId": NULLABLE,
        "accountMatchedBy": {"enum": ["contact", "account_conditions", None]}, "variables": VARIABLES,
        "cached": {"type": "boolean"}, "fetchedAt": NULLABLE, "reason": {"type": "string"}}},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def paths() -> dict[str, Any]:
    unavailable = {"503": _problem("Salesforce cannot be asked now (S3); nothing was done")}
    key = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {
        "type": "string", "minLength": 1, "maxLength": 255},
        "description": "A retry with the same key answers the first request's record instead of creating another"}
    create = _call("botCreate", "Create a record of any object from field values (B1)",
                   {"201": _json("Created (or, with a repeated Idempotency-Key, the record created first)",
                                 "BotCreated")}, body=_ref("BotCreateRequest"),
                   more={**unavailable, "409": _problem("The key's first request may have created the record: "
                                                        "its answer was lost")},
                   description="Salesforce's refusals (unknown field, required field, restricted picklist, "
                               "validation rule) answer 422 with Salesforce's errorCode, message and fields.")
    create["parameters"] = [key]
    return {
        "/v1/bot/records": {"post": create},
        "/v1/bot/records/find": {"post": _call(
            "botFind", "The first record whose field has the value: oldest CreatedDate, then lowest Id (B2)",
            {"200": _json("Found or not", "BotFound")}, body=_ref("BotFindRequest"), more=unavailable)},
        "/v1/bot/query": {"post": _call(
            "botQuery", "The bot author's SELECT with the conversation's variables bound as literals (B3)",
            {"200": _json("The rows, flattened", "BotRows")}, body=_ref("BotQueryRequest"), more=unavailable,
            description="Read-only: anything but one SELECT is refused before it reaches Salesforce. The row "
                        "cap ([bot] max_rows) is enforced by adding or lowering LIMIT.")},
        "/v1/bot/route": {"post": _call(
            "botRoute", "The visitor's Contact and Account fields for routing a chat (B4)",
            {"200": _json("The routing variables", "BotRoute")}, body=_ref("BotRouteRequest"),
            more={**unavailable, "502": _problem("Salesforce refused the configured routing fields")})},
    }
