"""The OpenAPI 3.1 document of syncd's HTTP API, with the event schemas as components.

It describes every route syncd serves: ingest, health and metrics, the care calls and the management
calls under ``/v1/admin``, and the bearer scheme of the synchronous calls. ``tests/test_syncd_openapi.py``
runs schemathesis against a live syncd with this document, so a route or answer that drifts from it fails.
"""

from __future__ import annotations

from typing import Any

from . import __version__
from .events import event_schemas

PROBLEM = {"type": "object", "required": ["title", "status", "detail"], "properties": {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "detail": {"type": "string"}, "code": {"type": "string"}, "rule": {"type": "string"},
    "errorId": {"type": "string"},
    "errors": {"type": "array", "items": {"type": "object", "properties": {
        "pointer": {"type": "string"}, "detail": {"type": "string"}}}}}}

NULLABLE_STRING = {"type": ["string", "null"]}
MESSAGE = {"type": "object", "required": ["id", "direction", "time", "text"], "properties": {
    "id": {"type": "string"}, "platform": {"type": "string"}, "case_id": {"type": "string"},
    "direction": {"enum": ["inbound", "outbound"]}, "author": {"type": "object"}, "time": {"type": "string"},
    "text": {"type": "string"}, "attachments": {"type": "array"}, "seq": {"type": "integer"}}}
CARE_CASE = {"type": "object", "required": ["id", "status", "customerId", "profileId", "messageCount", "messages",
                                            "salesforce"], "properties": {
    "id": {"type": "string"}, "status": {"type": "string"}, "customerId": {"type": "string"},
    "profileId": {"type": "string"}, "createdAt": {"type": "string"}, "closedAt": NULLABLE_STRING,
    "messageCount": {"type": "integer"}, "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
    "salesforce": {"type": "object", "properties": {
        "contactId": NULLABLE_STRING, "caseId": NULLABLE_STRING, "caseNumber": NULLABLE_STRING,
        "caseStatus": NULLABLE_STRING, "caseOwnerId": NULLABLE_STRING, "error": {"type": "string"}}}}}
CUSTOMER_CASES = {"type": "object", "required": ["customer", "cases"], "properties": {
    "customer": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"},
                                                                     "contact_id": NULLABLE_STRING}},
    "cases": {"type": "array", "items": {"type": "object", "required": ["id", "status"], "properties": {
        "id": {"type": "string"}, "profileId": {"type": "string"}, "status": {"type": "string"},
        "createdAt": {"type": "string"}, "closedAt": NULLABLE_STRING, "salesforceCaseId": NULLABLE_STRING,
        "salesforceCaseNumber": NULLABLE_STRING, "messageCount": {"type": "integer"}}}}}}
SCALAR = {"type": ["string", "number", "integer", "boolean", "null"]}
ESCALATE_BODY = {"type": "object", "additionalProperties": False, "properties": {
    "agent": {"type": "object", "additionalProperties": SCALAR, "properties": {
        "email": {"type": ["string", "null"], "maxLength": 255}, "name": {"type": ["string", "null"], "maxLength": 255}},
        "description": "O1: the active User with this email owns the Case; the rest feeds the Case mapping (E3)"},
    "details": {"type": "object", "additionalProperties": SCALAR,
                "description": "Values for the Case mapping (details.subject, details.priority, ...)"}}}
ESCALATION = {"type": "object", "required": ["caseId", "caseNumber", "created", "backfill"], "properties": {
    "caseId": {"type": "string"}, "caseNumber": NULLABLE_STRING, "created": {"type": "boolean"},
    "backfill": {"type": "integer"}}}
LINK_BODY = {"type": "object", "additionalProperties": False, "required": ["contactId"], "properties": {
    "contactId": {"type": "string", "description": "The Contact's 15- or 18-character Salesforce id (003...)"}}}
LINK = {"type": "object", "required": ["customerId", "contactId"], "properties": {
    "customerId": {"type": "string"}, "contactId": {"type": "string"}, "contactName": NULLABLE_STRING,
    "accountId": NULLABLE_STRING}}
CONNECTION = {"type": "object", "required": ["connected"], "properties": {
    "connected": {"type": "boolean"}, "since": NULLABLE_STRING, "reason": NULLABLE_STRING, "cause": NULLABLE_STRING,
    "auth": {"type": "string"}, "instanceUrl": NULLABLE_STRING, "session": {"type": "boolean"},
    "needsAuthorization": {"type": "boolean"},
    "revoked": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string"}}}}}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": {
        "$ref": "#/components/schemas/Problem"}}}}


def _json(description: str, ref: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{ref}"}}}}


GUARD_ANSWERS = {
    "400": _problem("Malformed JSON"),
    "401": _problem("Missing or wrong bearer token"),
    "403": _problem("A browser Origin that is not syncd's"),
    "413": _problem("Body larger than service.api_max_body_bytes"),
    "415": _problem("A body that is not JSON"),
    "421": _problem("A Host header that does not name this syncd (DNS rebinding guard)"),
    "422": _problem("Invalid body or id (with a JSON pointer), or a rule refusal (with its rule)"),
    "500": _problem("Unexpected failure; the answer's errorId is in the log"),
}


def _call(operation_id: str, summary: str, ok: dict[str, Any], *, body: dict | None = None,
          params: tuple[str, ...] = (), more: dict[str, dict] | None = None, description: str | None = None) -> dict:
    """One synchronous call: bearer token, the guard's refusals, its own answers."""
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "security": [{"bearer": []}],
                                 "responses": {**ok, **GUARD_ANSWERS, **(more or {})}}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {
            "type": "string", "minLength": 1}} for p in params]
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def _care_paths() -> dict[str, Any]:
    not_found = {"404": _problem("No such care case or customer")}
    unavailable = {"503": _problem("Salesforce cannot be asked now (S3); nothing was done")}
    return {
        "/v1/care/cases/{case_id}/escalate": {"post": _call(
            "careEscalate", "Escalate a care case to a Salesforce Case (E1-E6)", {
                "200": _json("Already escalated: the existing Case (E5)", "Escalation"),
                "201": _json("The Case was created", "Escalation")},
            body={"$ref": "#/components/schemas/EscalateRequest"}, params=("case_id",),
            more={**not_found, **unavailable, "502": _problem("Salesforce refused the request")})},
        "/v1/care/cases/{case_id}": {
            "get": _call("careCaseGet", "A care case with its last messages (C6) and its Salesforce side",
                         {"200": _json("The care case", "CareCase")}, params=("case_id",), more=not_found),
            "delete": _call("careCaseDelete", "Delete a care case and its text everywhere syncd holds it (C7)",
                            {"204": {"description": "Deleted"}}, params=("case_id",), more=not_found)},
        "/v1/care/customers/{customer_id}/link": {
            "put": _call("careLink", "Link the customer to a Salesforce Contact (L1, L2)", {"200": _json("Linked", "Link")},
                         body={"$ref": "#/components/schemas/LinkRequest"}, params=("customer_id",),
                         more={**not_found, **unavailable}),
            "delete": _call("careUnlink", "Remove the customer's link (L1)", {"204": {"description": "Unlinked"}},
                            params=("customer_id",), more=not_found)},
        "/v1/care/customers/{customer_id}/cases": {"get": _call(
            "careCustomerCases", "A customer's care cases", {"200": _json("The customer and its cases", "CustomerCases")},
            params=("customer_id",), more=not_found)},
    }


def _admin_paths() -> dict[str, Any]:
    state = {"200": _json("The connection", "Connection")}
    return {
        "/v1/admin/salesforce": {"get": _call("adminSalesforceStatus", "Whether syncd is connected to Salesforce, since when, why", state)},
        "/v1/admin/salesforce/disconnect": {"post": _call(
            "adminSalesforceDisconnect", "Stop all Salesforce traffic and revoke syncd's tokens (S2); events are still accepted", state,
            description="Takes no body. Queued work is kept and resumes at the next connect.")},
        "/v1/admin/salesforce/connect": {"post": _call(
            "adminSalesforceConnect", "Log in again by the configured flow; delivery resumes where it stopped (S1)", state,
            description="Takes no body.", more={
                "409": _problem("No refresh token: authorize again (syncd connect --browser)"),
                "502": _problem("Salesforce refused the login"),
                "503": _problem("Salesforce could not be reached; still disconnected")})},
    }


def _rewrite_refs(node: Any, prefix: str) -> Any:
    """``#/$defs/X`` of a standalone JSON Schema as ``#/components/schemas/<prefix>_X`` of this document."""
    if isinstance(node, dict):
        return {k: (f"#/components/schemas/{prefix}_{v.removeprefix('#/$defs/')}"
                    if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/") else _rewrite_refs(v, prefix))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix) for item in node]
    return node


def event_components() -> dict[str, Any]:
    """The event schemas with their ``$defs`` hoisted into components, so every ``$ref`` resolves."""
    out: dict[str, Any] = {}
    for name, schema in event_schemas().items():
        prefix = name.replace(".", "_")
        schema = dict(schema)
        schema.pop("$schema", None)
        for def_name, definition in (schema.pop("$defs", None) or {}).items():
            out[f"{prefix}_{def_name}"] = _rewrite_refs(definition, prefix)
        out[prefix] = _rewrite_refs(schema, prefix)
    return out


def document() -> dict:
    from .bot import openapi as bot  # B1-B4; imported here: it uses this module's helpers
    from .interactions import openapi as interactions  # I1-I5, likewise
    from .console import forms_api  # T5, likewise
    from .console import openapi as console  # T4, likewise
    from .ops import openapi as ops  # the operator page (issue 17), likewise

    schemas = event_components()
    data_refs = [name.replace(".", "_") for name in event_schemas()]
    cloud_event = {"type": "object", "required": ["specversion", "id", "source", "type"], "properties": {
        "specversion": {"const": "1.0"}, "id": {"type": "string", "minLength": 1},
        "source": {"type": "string", "minLength": 1}, "type": {"enum": list(event_schemas())},
        "time": {"type": "string", "format": "date-time"}, "subject": {"type": "string"},
        "datacontenttype": {"type": "string"},
        "data": {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in data_refs]}}}
    signed = [{"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
              for h in ("webhook-id", "webhook-timestamp", "webhook-signature")]
    batch = {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/CloudEvent"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "syncd", "version": __version__,
                 "description": "Ingest of CloudEvents signed as Standard Webhooks; the care calls and the "
                                "management calls (bearer token); health, readiness, metrics. Every error is "
                                "an RFC 9457 problem document."},
        "paths": {
            "/v1/events": {"post": {
                "operationId": "ingestEvents",
                "summary": "Accept one CloudEvent or a batch of up to 1,000",
                "description": "Authenticated by the Standard Webhooks signature, not by a bearer token.",
                "parameters": signed,
                "requestBody": {"required": True, "content": {
                    "application/cloudevents+json": {"schema": {"$ref": "#/components/schemas/CloudEvent"}},
                    "application/cloudevents-batch+json": {"schema": batch},
                    "application/json": {"schema": {"oneOf": [
                        {"$ref": "#/components/schemas/CloudEvent"}, batch]}}}},
                "responses": {
                    "202": {"description": "Committed to the journal", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["accepted", "duplicates"], "properties": {
                            "accepted": {"type": "array", "items": {"type": "string"}},
                            "duplicates": {"type": "array", "items": {"type": "string"}}}}}}},
                    "400": _problem("The body is not JSON"),
                    "401": _problem("Missing or invalid signature, or outside the replay window"),
                    "413": _problem("Body or batch too large"),
                    "415": _problem("A body that is not JSON"),
                    "422": _problem("Unknown event type, schema violation or unusable text (with a JSON pointer)"),
                    "500": _problem("Unexpected failure; the answer's errorId is in the log"),
                    "503": _problem("syncd is stopping")}}},
            "/v1/event-schemas": {"get": {"operationId": "eventSchemas", "summary": "JSON Schema of every event type's data", "responses": {
                "200": {"description": "type -> schema", "content": {"application/json": {"schema": {
                    "type": "object"}}}}}}},
            "/healthz": {"get": {"operationId": "healthz", "summary": "The process is up", "responses": {"200": {
                "description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/readyz": {"get": {"operationId": "readyz", "summary": "State writable, Salesforce authenticated, sender running", "responses": {
                "200": _json("ready", "Readiness"), "503": _json("not ready, with the problems", "Readiness")}}},
            "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics", "responses": {"200": {
                "description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "responses": {"200": {
                "description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            **_care_paths(),
            **bot.paths(),
            **interactions.paths(),
            **forms_api.paths(),
            **console.paths(),
            **_admin_paths(),
            **ops.paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "One of service.api_tokens"}},
            "schemas": {"Problem": PROBLEM, "CloudEvent": cloud_event, "Message": MESSAGE, "CareCase": CARE_CASE,
                        "CustomerCases": CUSTOMER_CASES, "EscalateRequest": ESCALATE_BODY, "Escalation": ESCALATION,
                        "LinkRequest": LINK_BODY, "Link": LINK, "Connection": CONNECTION,
                        "Readiness": {"type": "object", "required": ["ready", "problems"], "properties": {
                            "ready": {"type": "boolean"}, "problems": {"type": "array", "items": {"type": "string"}}}},
                        **bot.SCHEMAS, **interactions.SCHEMAS, **forms_api.SCHEMAS, **console.SCHEMAS,
                        **ops.SCHEMAS,
                        **schemas}},
    }
