"""Discovery and sObject resources: resource map, describeGlobal, describe, CRUD, upsert by external id."""

from __future__ import annotations

from ..errors import MultipleMatches, SalesforceError, not_found
from ..schema import SObject
from . import ROUTER, Answer, Call, multipart

RESOURCES = ("tooling", "metadata", "eclair", "folders", "prechatForms", "contact-tracing", "jsonxform", "chatter",
             "tabs", "appMenu", "quickActions", "queryAll", "commerce", "wave", "iot", "analytics", "search",
             "smartdatadiscovery", "identity", "composite", "parameterizedSearch", "fingerprint", "theme", "nouns",
             "event", "serviceTemplates", "recent", "connect", "licensing", "limits", "process", "async-queries",
             "query", "match", "emailConnect", "compactLayouts", "knowledgeManagement", "sobjects", "actions",
             "support", "jobs")


def resource_map(call: Call) -> Answer:
    body = {name: f"/services/data/v{call.version}/{name}" for name in RESOURCES}
    body["identity"] = f"{call.base_url}/id/{call.org.org_id}/{call.session.user_id}"
    return Answer(200, body)


def describe_global(call: Call) -> Answer:
    return Answer(200, {"encoding": "UTF-8", "maxBatchSize": 200,
                        "sobjects": [obj.global_entry(call.version) for obj in call.org.schema]})


def basic_info(call: Call, sobject: str) -> Answer:
    obj = call.org.sobject(sobject)
    name_field = obj.name_field()
    with call.org.store.lock:
        rows = [r for r in call.org.store.records(obj.name) if not r.get("IsDeleted")]
    rows.sort(key=lambda r: r.get("LastModifiedDate") or "", reverse=True)
    recent = []
    for row in rows[:10]:
        item = {"attributes": {"type": obj.name,
                               "url": f"/services/data/v{call.version}/sobjects/{obj.name}/{row['Id']}"},
                "Id": row["Id"]}
        if name_field is not None:
            item[name_field.name] = row.get(name_field.name)
        recent.append(item)
    return Answer(200, {"objectDescribe": obj.global_entry(call.version), "recentItems": recent})


def create(call: Call, sobject: str) -> Answer:
    body = multipart.record_body(call, sobject)  # JSON, or multipart/form-data with a blob part
    record_id = call.org.create(sobject, body, call.session.user_id, call.save_options)
    return Answer(201, {"id": record_id, "success": True, "errors": []})


def describe(call: Call, sobject: str) -> Answer:
    return Answer(200, call.org.sobject(sobject).describe(call.version))


def _fields_param(call: Call) -> list[str] | None:
    raw = call.params.get("fields")
    if raw is None:
        return None
    return [f for f in raw.split(",") if f.strip()]


def _is_record_id(call: Call, obj: SObject, key: str) -> bool:
    return call.org.looks_like_id(key) and key[:3] == obj.key_prefix


def get_record(call: Call, sobject: str, key: str) -> Answer:
    obj = call.org.sobject(sobject)
    if _is_record_id(call, obj, key):
        return Answer(200, call.org.get(obj.name, key, _fields_param(call), call.version))
    # Any other segment names an external-id field: Salesforce says whether it exists.
    call.org.external_field(obj, key)
    raise not_found()


def _record_key(call: Call, obj: SObject, key: str) -> str:
    if _is_record_id(call, obj, key):
        return key
    call.org.external_field(obj, key)  # NOT_FOUND "Provided external ID field does not exist..."
    raise SalesforceError("METHOD_NOT_ALLOWED", f"HTTP Method '{call.method}' not allowed. Allowed are HEAD,GET", 405)


def update_record(call: Call, sobject: str, key: str) -> Answer:
    obj = call.org.sobject(sobject)
    call.org.update(obj.name, _record_key(call, obj, key), multipart.record_body(call, obj.name),
                    call.session.user_id, call.save_options)
    return Answer(204)


def delete_record(call: Call, sobject: str, key: str) -> Answer:
    obj = call.org.sobject(sobject)
    call.org.delete(obj.name, _record_key(call, obj, key), call.session.user_id)
    return Answer(204)


def get_by_external(call: Call, sobject: str, field: str, value: str) -> Answer:
    found = call.org.get_by_external(sobject, field, value, _fields_param(call), call.version)
    return Answer(300, found) if isinstance(found, list) else Answer(200, found)


def upsert(call: Call, sobject: str, field: str, value: str) -> Answer:
    created, record_id = call.org.upsert(sobject, field, value, call.json(), call.session.user_id, call.version,
                                         call.save_options)
    if created:
        return Answer(201, {"id": record_id, "success": True, "errors": [], "created": True})
    if float(call.version) < 46.0:
        return Answer(204)
    return Answer(200, {"id": record_id, "success": True, "errors": [], "created": False})


def delete_by_external(call: Call, sobject: str, field: str, value: str) -> Answer:
    org = call.org
    obj = org.sobject(sobject)
    ext = org.external_field(obj, field)
    with org.store.transaction():
        found = org.find_by(obj, ext, value)
        if not found:
            raise not_found()
        if len(found) > 1:
            raise MultipleMatches([f"/services/data/v{call.version}/sobjects/{obj.name}/{r['Id']}" for r in found])
        org.delete(obj.name, found[0]["Id"], call.session.user_id)
    return Answer(204)


ROUTER.add("", GET=resource_map)
ROUTER.add("/sobjects", GET=describe_global)
ROUTER.add("/sobjects/{sobject}", GET=basic_info, POST=create)
ROUTER.add("/sobjects/{sobject}/describe", GET=describe)
ROUTER.add("/sobjects/{sobject}/{key}", GET=get_record, PATCH=update_record, DELETE=delete_record)
ROUTER.add("/sobjects/{sobject}/{field}/{value}", GET=get_by_external, PATCH=upsert, DELETE=delete_by_external)
