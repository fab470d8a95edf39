"""sObject Tree: ``POST /composite/tree/{Type}`` creates up to 200 records with nested children, all or none."""

from __future__ import annotations

from typing import Any

from ..errors import SalesforceError
from ..schema import SObject
from . import ROUTER, Answer, Call
from .composite import REFERENCE_ID

MAX_RECORDS = 200


class _TreeFailed(Exception):
    def __init__(self, reference: str, error: SalesforceError) -> None:
        self.reference = reference
        self.error = error


def _walk(obj: SObject, records: Any, org, parent: tuple[str, str] | None, out: list[tuple]) -> None:
    """Flatten the tree into (object, referenceId, fields, parent link, child relationship lists)."""
    if not isinstance(records, list):
        raise SalesforceError("JSON_PARSER_ERROR", "records must be an array")
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("attributes"), dict):
            raise SalesforceError("INVALID_INPUT", "Each record needs attributes with type and referenceId")
        attrs = record["attributes"]
        ref = attrs.get("referenceId")
        if not isinstance(ref, str) or not ref:
            raise SalesforceError("INVALID_INPUT", "Include a reference ID for each record in the request.")
        if not REFERENCE_ID.match(ref):
            raise SalesforceError("INVALID_INPUT", f"Invalid referenceId: {ref!r}. Use letters, digits and "
                                  "underscores only.")
        type_name = attrs.get("type")
        if not type_name or org.schema.get(type_name) is None or org.schema.get(type_name).name != obj.name:
            raise SalesforceError("INVALID_TYPE", f"The type of record {ref} must be {obj.name}")
        fields, children = {}, []
        for key, value in record.items():
            if key == "attributes":
                continue
            rel = obj.child_relationship(key)
            if rel is not None and isinstance(value, dict) and "records" in value:
                child = org.schema.get(rel["childSObject"])
                children.append((child, rel["field"], value["records"]))
            else:
                fields[key] = value
        out.append((obj, ref, fields, parent))
        for child, field_name, child_records in children:
            _walk(child, child_records, org, (ref, field_name), out)


def create_tree(call: Call, sobject: str) -> Answer:
    org = call.org
    obj = org.sobject(sobject)
    body = call.json()
    if not isinstance(body, dict) or "records" not in body:
        raise SalesforceError("JSON_PARSER_ERROR", "The request body must be an object with a records array")
    flat: list[tuple] = []
    _walk(obj, body["records"], org, None, flat)
    if len(flat) > MAX_RECORDS:
        raise SalesforceError("EXCEEDED_ID_LIMIT", f"Request has more than {MAX_RECORDS} records", 400)
    refs = [ref for _, ref, _, _ in flat]
    duplicate = next((r for r in refs if refs.count(r) > 1), None)
    if duplicate:
        raise SalesforceError("INVALID_INPUT", f"Duplicate ReferenceId provided in the request: {duplicate}")
    ids: dict[str, str] = {}
    try:
        with org.store.transaction():
            for child_obj, ref, fields, parent in flat:
                if parent is not None:
                    fields = {**fields, parent[1]: ids[parent[0]]}
                try:
                    ids[ref] = org.create(child_obj.name, fields, call.session.user_id, call.save_options)
                except SalesforceError as exc:
                    raise _TreeFailed(ref, exc) from None
    except _TreeFailed as failed:
        error = failed.error.as_dict(code_key="statusCode")
        error.setdefault("fields", [])
        return Answer(400, {"hasErrors": True, "results": [{"referenceId": failed.reference, "errors": [error]}]})
    return Answer(201, {"hasErrors": False, "results": [{"referenceId": ref, "id": ids[ref]} for ref in refs]})


ROUTER.add("/composite/tree/{sobject}", POST=create_tree)
