"""Discovery and sObject routes: versions, resource map, describeGlobal, describe, CRUD, upsert."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import API_VERSIONS
from ..auth.sessions import Session
from ..errors import SalesforceError, not_found
from ..schema import SObject
from .context import api, base_url, fakeforce
from .responses import json_response, read_json

SEASONS = ("Summer", "Winter", "Spring")
ALL_METHODS = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]
RESOURCES = ("tooling", "metadata", "eclair", "folders", "prechatForms", "contact-tracing", "jsonxform", "chatter",
             "tabs", "appMenu", "quickActions", "queryAll", "commerce", "wave", "iot", "analytics", "search",
             "smartdatadiscovery", "identity", "composite", "parameterizedSearch", "fingerprint", "theme", "nouns",
             "event", "serviceTemplates", "recent", "connect", "licensing", "limits", "process", "async-queries",
             "query", "match", "emailConnect", "compactLayouts", "knowledgeManagement", "sobjects", "actions",
             "support")


def version_label(version: str) -> str:
    index = int(float(version)) - 31
    return f"{SEASONS[index % 3]} '{14 + (index + 2) // 3}"


async def versions(request: Request) -> Response:
    """``GET /services/data/``: no session needed, not counted."""
    return json_response([{"label": version_label(v), "url": f"/services/data/v{v}", "version": v}
                          for v in API_VERSIONS])


async def resource_map(request: Request, session: Session, version: str) -> Response:
    org = fakeforce(request).org
    body = {name: f"/services/data/v{version}/{name}" for name in RESOURCES}
    body["identity"] = f"{base_url(request)}/id/{org.org_id}/{session.user_id}"
    return json_response(body)


async def describe_global(request: Request, session: Session, version: str) -> Response:
    schema = fakeforce(request).org.schema
    return json_response({"encoding": "UTF-8", "maxBatchSize": 200,
                          "sobjects": [obj.global_entry(version) for obj in schema]})


def _sobject(request: Request) -> SObject:
    return fakeforce(request).org.sobject(request.path_params["sobject"])


async def basic_info(request: Request, session: Session, version: str) -> Response:
    obj = _sobject(request)
    ff = fakeforce(request)
    name_field = obj.name_field()
    recent = []
    with ff.org.store.lock:
        rows = [r for r in ff.org.store.records(obj.name) if not r.get("IsDeleted")]
    rows.sort(key=lambda r: r.get("LastModifiedDate") or "", reverse=True)
    for row in rows[:10]:
        item = {"attributes": {"type": obj.name, "url": f"/services/data/v{version}/sobjects/{obj.name}/{row['Id']}"},
                "Id": row["Id"]}
        if name_field is not None:
            item[name_field.name] = row.get(name_field.name)
        recent.append(item)
    return json_response({"objectDescribe": obj.global_entry(version), "recentItems": recent})


async def create(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    obj = _sobject(request)
    body = await read_json(request, ff.max_body_bytes)
    record_id = ff.org.create(obj.name, body, session.user_id)
    return json_response({"id": record_id, "success": True, "errors": []}, 201)


async def describe(request: Request, session: Session, version: str) -> Response:
    return json_response(_sobject(request).describe(version))


def _fields_param(request: Request) -> list[str] | None:
    raw = request.query_params.get("fields")
    if raw is None:
        return None
    return [f for f in raw.split(",") if f.strip()]


async def get_record(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    obj = _sobject(request)
    key = request.path_params["key"]
    if ff.org.looks_like_id(key) and key[:3] == obj.key_prefix:
        return json_response(ff.org.get(obj.name, key, _fields_param(request), version))
    if key.lower() in ("describe", "updated", "deleted"):
        raise not_found()
    # Any other segment names an external-id field: Salesforce answers that it does not exist.
    ff.org.external_field(obj, key)
    raise SalesforceError("NOT_FOUND", "The requested resource does not exist", 404)


async def update_record(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    obj = _sobject(request)
    body = await read_json(request, ff.max_body_bytes)
    ff.org.update(obj.name, _record_key(request, obj), body, session.user_id)
    return Response(status_code=204)


async def delete_record(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    obj = _sobject(request)
    ff.org.delete(obj.name, _record_key(request, obj), session.user_id)
    return Response(status_code=204)


def _record_key(request: Request, obj: SObject) -> str:
    key = request.path_params["key"]
    org = fakeforce(request).org
    if org.looks_like_id(key) and key[:3] == obj.key_prefix:
        return key
    org.external_field(obj, key)  # NOT_FOUND "Provided external ID field does not exist..."
    raise SalesforceError("METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are HEAD,GET",
                          405)


async def get_by_external(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    found = ff.org.get_by_external(request.path_params["sobject"], request.path_params["field"],
                                   request.path_params["value"], _fields_param(request), version)
    if isinstance(found, list):
        return json_response(found, 300)
    return json_response(found)


async def upsert(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    body = await read_json(request, ff.max_body_bytes)
    created, record_id = ff.org.upsert(request.path_params["sobject"], request.path_params["field"],
                                       request.path_params["value"], body, session.user_id, version)
    if created:
        return json_response({"id": record_id, "success": True, "errors": [], "created": True}, 201)
    if float(version) < 46.0:
        return Response(status_code=204)
    return json_response({"id": record_id, "success": True, "errors": [], "created": False}, 200)


async def delete_by_external(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    org = ff.org
    obj = org.sobject(request.path_params["sobject"])
    field = org.external_field(obj, request.path_params["field"])
    with org.store.transaction():
        found = org.find_by(obj, field, request.path_params["value"])
        if not found:
            raise not_found()
        if len(found) > 1:
            from ..errors import MultipleMatches

            raise MultipleMatches([f"/services/data/v{version}/sobjects/{obj.name}/{r['Id']}" for r in found])
        org.delete(obj.name, found[0]["Id"], session.user_id)
    return Response(status_code=204)


async def not_found_route(request: Request, session: Session, version: str) -> Response:
    raise not_found()


def both(path: str, endpoint, name: str | None = None) -> list[Route]:
    """The path with and without a trailing slash (simple-salesforce adds one, jsforce does not)."""
    return [Route(path, endpoint, methods=ALL_METHODS, name=name), Route(path + "/", endpoint, methods=ALL_METHODS)]


def routes() -> list[Route]:
    base = "/services/data/v{version}"
    any_verb = {"GET", "POST", "PATCH", "PUT", "DELETE"}
    catch_all = api(**{m: not_found_route for m in any_verb})
    return [
        *both("/services/data", versions),
        *both(base, api(GET=resource_map)),
        *both(base + "/sobjects", api(GET=describe_global)),
        *both(base + "/sobjects/{sobject}", api(GET=basic_info, POST=create)),
        *both(base + "/sobjects/{sobject}/describe", api(GET=describe)),
        *both(base + "/sobjects/{sobject}/{key}", api(GET=get_record, PATCH=update_record, DELETE=delete_record)),
        *both(base + "/sobjects/{sobject}/{field}/{value}",
              api(GET=get_by_external, PATCH=upsert, DELETE=delete_by_external)),
        Route(base + "/{rest:path}", catch_all, methods=ALL_METHODS),
    ]
