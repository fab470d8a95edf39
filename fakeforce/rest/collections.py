"""sObject Collections (``/composite/sobjects``) and sObject Tree (``/composite/tree/{Type}``).

Up to 200 records a request; per-record results in Salesforce's shape, whose errors carry ``statusCode``.
With allOrNone one failure rolls every record back (the others report ALL_OR_NONE_OPERATION_ROLLED_BACK);
without it each record is saved on its own.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import MultipleMatches, SalesforceError, per_record
from ..ids import to18
from . import ROUTER, Answer, Call

MAX_RECORDS = 200
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
               "message": "Record rolled back because not all records were valid and the request was using AllOrNone "
                          "header", "fields": []}


class _Rollback(Exception):
    pass


def too_many() -> SalesforceError:
    return SalesforceError("EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more than {MAX_RECORDS} records "
                           "into this call", 400)


def _error(exc: SalesforceError) -> dict:
    out = exc.as_dict(code_key="statusCode")
    out.setdefault("fields", [])
    return out


def _records_body(call: Call) -> tuple[list[dict], bool]:
    body = call.json()
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SalesforceError("JSON_PARSER_ERROR", "The request body must be an object with a records array")
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise too_many()
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise SalesforceError("JSON_PARSER_ERROR", "allOrNone must be a boolean")
    return records, all_or_none


def _type_of(record: Any) -> str:
    if not isinstance(record, dict) or not isinstance(record.get("attributes"), dict) \
            or not isinstance(record["attributes"].get("type"), str) or not record["attributes"]["type"]:
        raise SalesforceError("INVALID_TYPE", "Must specify a type in attributes", 400)
    return record["attributes"]["type"]


def save_each(call: Call, items: list[Any], all_or_none: bool, save: Callable[[Any], dict]) -> list[dict]:
    """Run ``save`` per item (each a savepoint); all in one transaction that rolls back under allOrNone."""
    results: list[dict] = []
    store = call.org.store
    try:
        with store.transaction():
            for item in items:
                try:
                    with store.transaction():
                        results.append({**save(item), "success": True, "errors": []})
                except SalesforceError as exc:
                    results.append({"id": _id_of(item), "success": False, "errors": [_error(per_record(exc))]})
                except MultipleMatches as exc:
                    results.append({"id": None, "success": False, "errors": [{
                        "statusCode": "DUPLICATE_EXTERNAL_ID", "message": f"The external ID matches "
                        f"{len(exc.urls)} records", "fields": []}]})
            if all_or_none and any(not r["success"] for r in results):
                raise _Rollback
    except _Rollback:
        results = [r if not r["success"] else {"id": None, "success": False, "errors": [dict(ROLLED_BACK)]}
                   for r in results]
    for r in results:
        if not r["success"] and "id" not in r:
            r["id"] = None
    return [_ordered(r) for r in results]


def _ordered(result: dict) -> dict:
    keys = ["id", "success", "errors", "created"]
    return {k: result[k] for k in keys if k in result}


def _id_of(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("id") or item.get("Id")
        return value if isinstance(value, str) else None
    return item if isinstance(item, str) else None


def _fields(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("attributes",)}


def create(call: Call) -> Answer:
    records, all_or_none = _records_body(call)

    def save(record: Any) -> dict:
        type_name = _type_of(record)
        fields = _fields(record)
        if fields.get("Id") or fields.get("id"):
            raise SalesforceError("INVALID_FIELD", "cannot specify Id in an insert call", 400, ["Id"])
        return {"id": call.org.create(type_name, fields, call.session.user_id, call.save_options)}

    return Answer(200, save_each(call, records, all_or_none, save))


def update(call: Call) -> Answer:
    records, all_or_none = _records_body(call)

    def save(record: Any) -> dict:
        type_name = _type_of(record)
        fields = _fields(record)
        record_id = fields.pop("id", None) or fields.pop("Id", None)
        if not record_id:
            raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call", 400, [])
        call.org.update(type_name, record_id, fields, call.session.user_id, call.save_options)
        return {"id": to18(record_id)}

    return Answer(200, save_each(call, records, all_or_none, save))


def delete(call: Call) -> Answer:
    ids = [i for i in (call.params.get("ids") or "").split(",") if i]
    if not ids:
        raise SalesforceError("MISSING_ARGUMENT", "The ids parameter is required", 400)
    if len(ids) > MAX_RECORDS:
        raise too_many()
    all_or_none = (call.params.get("allOrNone") or "false").lower() == "true"

    def remove(record_id: str) -> dict:
        found = call.org.lookup(record_id)
        if found is None:
            raise SalesforceError("INVALID_CROSS_REFERENCE_KEY" if call.org.looks_like_id(record_id) else
                                  "MALFORMED_ID", "invalid cross reference id" if call.org.looks_like_id(record_id)
                                  else f"malformed id {record_id}", 400, [])
        obj, _ = found
        try:
            call.org.delete(obj.name, record_id, call.session.user_id)
        except SalesforceError as exc:
            if exc.error_code == "ENTITY_IS_DELETED":
                raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", 400, []) from None
            raise
        return {"id": to18(record_id)}

    return Answer(200, save_each(call, ids, all_or_none, remove))


def upsert(call: Call, sobject: str, field: str) -> Answer:
    records, all_or_none = _records_body(call)
    obj = call.org.sobject(sobject)
    ext = call.org.external_field(obj, field)

    def save(record: Any) -> dict:
        type_name = _type_of(record)
        if call.org.sobject(type_name).name != obj.name:
            raise SalesforceError("INVALID_TYPE", f"The type {type_name} does not match {obj.name}", 400)
        fields = _fields(record)
        value = next((v for k, v in fields.items() if k.lower() == ext.name.lower()), None)
        if value in (None, ""):
            raise SalesforceError("MISSING_ARGUMENT", f"{ext.name} not specified", 400, [ext.name])
        created, record_id = call.org.upsert(obj.name, ext.name, str(value), fields, call.session.user_id,
                                             call.version, call.save_options)
        return {"id": record_id, "created": created}

    return Answer(200, save_each(call, records, all_or_none, save))


def retrieve(call: Call, sobject: str) -> Answer:
    """GET ``?ids=&fields=`` or POST ``{"ids": [...], "fields": [...]}``: records in order, null when missing."""
    obj = call.org.sobject(sobject)
    if call.method == "POST":
        body = call.json()
        ids, fields = (body.get("ids"), body.get("fields")) if isinstance(body, dict) else (None, None)
    else:
        ids = [i for i in (call.params.get("ids") or "").split(",") if i]
        fields = [f for f in (call.params.get("fields") or "").split(",") if f]
    if not isinstance(ids, list) or not ids or not isinstance(fields, list) or not fields:
        raise SalesforceError("MISSING_ARGUMENT", "The ids and fields parameters are required", 400)
    if len(ids) > 2000:
        raise SalesforceError("EXCEEDED_ID_LIMIT", "record limit reached. cannot retrieve more than 2000 records", 400)
    out = []
    for record_id in ids:
        try:
            out.append(call.org.get(obj.name, str(record_id), fields, call.version))
        except SalesforceError as exc:
            if exc.error_code in ("NOT_FOUND", "MALFORMED_ID", "ENTITY_IS_DELETED"):
                out.append(None)
            else:
                raise
    return Answer(200, out)


ROUTER.add("/composite/sobjects", POST=create, PATCH=update, DELETE=delete)
ROUTER.add("/composite/sobjects/{sobject}", GET=retrieve, POST=retrieve)
ROUTER.add("/composite/sobjects/{sobject}/{field}", PATCH=upsert)
