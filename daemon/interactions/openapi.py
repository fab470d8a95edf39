"""The interaction calls (I1-I5) in syncd's OpenAPI document: their paths and schemas, merged by
``daemon/openapi.py`` (imported from there when the document is built). Request bodies are the pydantic
models' own JSON Schemas, so the document and the validation cannot drift apart."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..openapi import _call, _json, _problem, _rewrite_refs
from .events import FinishV1, RelationsV1, TakeV1

NULLABLE = {"type": ["string", "null"]}
CONTACT = {"type": "object", "required": ["contactId", "created", "primary"], "properties": {
    "contactId": {"type": "string"}, "accountId": NULLABLE, "created": {"type": "boolean"},
    "primary": {"type": "boolean"}}}


def _model(prefix: str, model: type[BaseModel]) -> dict[str, Any]:
    """A model's schema as components: its ``$defs`` hoisted under ``<prefix>_<name>``."""
    schema = dict(model.model_json_schema())
    out = {f"{prefix}_{name}": _rewrite_refs(d, prefix) for name, d in (schema.pop("$defs", None) or {}).items()}
    out[prefix] = _rewrite_refs(schema, prefix)
    return out


SCHEMAS: dict[str, Any] = {
    **_model("InteractionRelationsRequest", RelationsV1),
    **_model("InteractionTakeRequest", TakeV1),
    **_model("InteractionFinishRequest", FinishV1),
    "InteractionLogged": {"type": "object", "required": ["key", "taskId", "created", "whatId", "accountId",
                                                         "contacts", "relationsAdded"], "properties": {
        "key": {"type": "string"}, "channel": {"type": "string"}, "interactionId": {"type": "string"},
        "taskId": {"type": "string"}, "created": {"type": "boolean"}, "whatId": {"type": "string"},
        "accountId": {"type": "string"}, "caseId": NULLABLE, "caseNumber": NULLABLE,
        "caseCreated": {"type": "boolean"}, "caseClosed": {"type": "boolean"},
        "contacts": {"type": "array", "items": CONTACT}, "relationsAdded": {"type": "integer"}}},
    "InteractionState": {"type": "object", "required": ["key", "taskId", "contacts", "job"], "properties": {
        "key": {"type": "string"}, "taskId": NULLABLE, "ownerId": NULLABLE, "status": NULLABLE,
        "isClosed": {"type": ["boolean", "null"]}, "whoId": NULLABLE, "whatId": NULLABLE, "accountId": NULLABLE,
        "contacts": {"type": "array", "items": {"type": "object", "properties": {
            "contactId": {"type": "string"}, "type": NULLABLE, "accountId": NULLABLE}}},
        "job": {"type": ["object", "null"]}}},
    "InteractionTask": {"type": "object", "required": ["key", "taskId", "ownerId", "status", "isClosed"],
                        "properties": {
        "key": {"type": "string"}, "taskId": {"type": "string"}, "ownerId": NULLABLE, "status": NULLABLE,
        "isClosed": {"type": ["boolean", "null"]}}},
    "InteractionRelations": {"type": "object", "required": ["key", "taskId", "contacts"], "properties": {
        "key": {"type": "string"}, "taskId": {"type": "string"}, "whatId": NULLABLE, "whoId": NULLABLE,
        "contacts": {"type": "array", "items": {"type": "string"}}, "caseNumber": NULLABLE,
        "removed": {"type": "array", "items": {"type": "string"}}}},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def paths() -> dict[str, Any]:
    unavailable = {"503": _problem("Salesforce cannot be asked now (S3); nothing was changed")}
    missing = {"404": _problem("No such channel, or no Task logged for this interaction")}
    params = ("channel", "interaction_id")
    base = "/v1/interactions/{channel}/{interaction_id}"
    return {
        "/v1/interactions": {"post": _call(
            "interactionLog", "Log a handled phone call, chat or email as a Task (I1-I4)", {
                "200": _json("Logged before (a retry or a second send): the same Task; missing relations added",
                             "InteractionLogged"),
                "201": _json("The Task was created", "InteractionLogged")},
            body=_ref("io_syncd_interaction_logged_v1"), more=unavailable,
            description="Related to its Account (WhatId), or its Case; every customer a Contact related to "
                        "the one Task (TaskRelation); customers not found created under their Account.")},
        base: {"get": _call("interactionShow", "The interaction's Task as Salesforce has it, with its people",
                            {"200": _json("The Task and its queued job, if any", "InteractionState")},
                            params=params, more={**missing, **unavailable})},
        f"{base}/take": {"post": _call(
            "interactionTake", "The agent takes the Task: OwnerId = their User (I5, O1)",
            {"200": _json("Assigned", "InteractionTask")}, body=_ref("InteractionTakeRequest"), params=params,
            more={**missing, **unavailable})},
        f"{base}/finish": {"post": _call(
            "interactionFinish", "The agent finishes the Task: a closed Task status (I5)",
            {"200": _json("Finished", "InteractionTask")}, body=_ref("InteractionFinishRequest"), params=params,
            more={**missing, **unavailable})},
        f"{base}/relations": {"patch": _call(
            "interactionRelations", "Change what the Task relates to: Account or Case, contacts, primary (I5)",
            {"200": _json("Changed", "InteractionRelations")}, body=_ref("InteractionRelationsRequest"),
            params=params, more={**missing, **unavailable})},
    }
