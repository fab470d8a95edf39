"""The OpenAPI 3.1 document of syncd's HTTP API, with the event schemas as components."""

from __future__ import annotations

from . import __version__
from .events import event_schemas

PROBLEM = {"type": "object", "required": ["title", "status", "detail"], "properties": {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "detail": {"type": "string"},
    "errors": {"type": "array", "items": {"type": "object", "properties": {
        "pointer": {"type": "string"}, "detail": {"type": "string"}}}}}}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": {
        "$ref": "#/components/schemas/Problem"}}}}


def document() -> dict:
    schemas = {name.replace(".", "_"): schema for name, schema in event_schemas().items()}
    cloud_event = {"type": "object", "required": ["specversion", "id", "source", "type"], "properties": {
        "specversion": {"const": "1.0"}, "id": {"type": "string", "minLength": 1},
        "source": {"type": "string", "minLength": 1}, "type": {"enum": list(event_schemas())},
        "time": {"type": "string", "format": "date-time"}, "subject": {"type": "string"},
        "datacontenttype": {"type": "string"},
        "data": {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in schemas]}}}
    signed = [{"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
              for h in ("webhook-id", "webhook-timestamp", "webhook-signature")]
    return {
        "openapi": "3.1.0",
        "info": {"title": "syncd", "version": __version__,
                 "description": "Ingest of CloudEvents signed as Standard Webhooks; health, readiness, metrics."},
        "paths": {
            "/v1/events": {"post": {
                "summary": "Accept one CloudEvent or a batch of up to 1,000",
                "parameters": signed,
                "requestBody": {"required": True, "content": {
                    "application/cloudevents+json": {"schema": {"$ref": "#/components/schemas/CloudEvent"}},
                    "application/cloudevents-batch+json": {"schema": {
                        "type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/CloudEvent"}}},
                    "application/json": {"schema": {"oneOf": [
                        {"$ref": "#/components/schemas/CloudEvent"},
                        {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/CloudEvent"}}]}}}},
                "responses": {
                    "202": {"description": "Committed to the journal", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["accepted", "duplicates"], "properties": {
                            "accepted": {"type": "array", "items": {"type": "string"}},
                            "duplicates": {"type": "array", "items": {"type": "string"}}}}}}},
                    "400": _problem("The body is not JSON"),
                    "401": _problem("Missing or invalid signature, or outside the replay window"),
                    "413": _problem("Body or batch too large"),
                    "422": _problem("Unknown event type or schema violation (with a JSON pointer)"),
                    "503": _problem("syncd is stopping")}}},
            "/v1/event-schemas": {"get": {"summary": "JSON Schema of every event type's data", "responses": {
                "200": {"description": "type -> schema", "content": {"application/json": {"schema": {
                    "type": "object"}}}}}}},
            "/healthz": {"get": {"summary": "The process is up", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "State writable and Salesforce authenticated", "responses": {
                "200": {"description": "ready"}, "503": {"description": "not ready, with the problems"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text"}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "json"}}}},
        },
        "components": {"schemas": {"Problem": PROBLEM, "CloudEvent": cloud_event, **schemas}},
    }
