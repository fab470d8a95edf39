"""The operator page's calls in syncd's OpenAPI document (:func:`daemon.openapi.document` adds them)."""

from __future__ import annotations

from typing import Any

from ..openapi import _call, _json, _problem

_OBJECT = {"type": "object"}
SCHEMAS: dict[str, Any] = {
    "OperatorView": {"type": "object", "required": [
        "status", "outboxByAge", "deadLetters", "deadInteractions", "recentEvents", "apiBudget", "integrations",
        "salesforce", "metrics"], "properties": {
        "status": {**_OBJECT, "description": "What `syncd status` prints"},
        "outboxByAge": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {
            "type": "integer"}}, "description": "pending and dead operations by age bucket"},
        "deadLetters": {"type": "array", "items": {"type": "object", "required": ["id", "sobject", "errorCode"],
                                                   "properties": {"id": {"type": "integer"},
                                                                  "sobject": {"type": "string"},
                                                                  "errorCode": {"type": ["string", "null"]},
                                                                  "error": {"type": ["string", "null"]}}}},
        "deadInteractions": {"type": "array", "items": _OBJECT},
        "recentEvents": {"type": "array", "items": _OBJECT},
        "apiBudget": {"type": "array", "description": "API usage samples of the last 24 h (at most one a minute)",
                      "items": {"type": "object", "required": ["t", "used", "max"], "properties": {
                          "t": {"type": "number"}, "used": {"type": "integer"}, "max": {"type": "integer"}}}},
        "integrations": {"type": "object", "additionalProperties": _OBJECT},
        "salesforce": {"$ref": "#/components/schemas/Connection"},
        "leases": {"type": "array", "description": "per instance, the ordering keys it holds a lease on "
                   "(PostgreSQL shared by several instances; empty on SQLite)", "items": {
                       "type": "object", "required": ["instance", "keys"], "properties": {
                           "instance": {"type": "string"}, "keys": {"type": "integer"},
                           "until": {"type": ["number", "null"]}}}},
        "metrics": {"type": "object", "additionalProperties": {"type": "number"}}}},
    "Replayed": {"type": "object", "required": ["id", "replayed"], "properties": {
        "id": {"type": "integer"}, "replayed": {"const": True}}},
}


def _static(operation_id: str, summary: str, media: str) -> dict:
    return {"get": {"operationId": operation_id, "summary": summary, "responses": {"200": {
        "description": summary, "content": {media: {"schema": {"type": "string"}}}}}}}


def paths() -> dict[str, Any]:
    return {
        "/v1/admin/ops": {"get": _call("adminOperatorView", "What the operator page shows: outbox by state and "
                                       "age, dead letters, recent events, API budget, integrations, connection, "
                                       "metrics", {"200": _json("The operator view", "OperatorView")})},
        "/v1/admin/dead-letters/{oid}/replay": {"post": _call(
            "adminReplayDeadLetter", "Queue a dead letter again (as `syncd dlq replay`)",
            {"200": _json("Queued again", "Replayed")}, params=("oid",), description="Takes no body.",
            more={"404": _problem("Not a dead letter")})},
        "/ops": _static("operatorPage", "The operator page (HTML; its script asks for the token)", "text/html"),
        "/ops/ops.js": _static("operatorPageScript", "The operator page's script", "text/javascript"),
        "/ops/ops.css": _static("operatorPageStyle", "The operator page's stylesheet", "text/css"),
    }
