"""``/services/async/{version}/...``: Bulk API 1.0 over HTTP, every answer and error in its own shapes.

Which format answers: a job resource (create, get, close) answers JSON when the request's Content-Type is
JSON (otherwise it follows the job's contentType, XML by default); batch resources answer in the job's
format (JSON for JSON jobs, XML for CSV and XML jobs), whatever the request's Content-Type says: tap-salesforce
sends ``application/json`` on every call of a CSV job and parses batchInfo as XML.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import API_VERSIONS
from ..errors import SalesforceError
from . import codec, store_for
from .engine import Bulk1
from .model import Bulk1Error, Job

log = logging.getLogger("fakeforce.bulk1")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
SESSION_HEADER = "x-sfdc-session"
BATCH_MEDIA = {"CSV": ("text/csv",), "XML": ("application/xml", "text/xml"), "JSON": ("application/json",)}
RESULT_MEDIA = {"CSV": codec.CSV_MEDIA, "XML": codec.XML_MEDIA, "JSON": codec.JSON_MEDIA}
PATHS = [
    ("job", re.compile(r"job/?")),
    ("job_id", re.compile(r"job/(?P<job>[^/]+)/?")),
    ("batches", re.compile(r"job/(?P<job>[^/]+)/batch/?")),
    ("batch", re.compile(r"job/(?P<job>[^/]+)/batch/(?P<batch>[^/]+)/?")),
    ("request", re.compile(r"job/(?P<job>[^/]+)/batch/(?P<batch>[^/]+)/request/?")),
    ("results", re.compile(r"job/(?P<job>[^/]+)/batch/(?P<batch>[^/]+)/result/?")),
    ("result", re.compile(r"job/(?P<job>[^/]+)/batch/(?P<batch>[^/]+)/result/(?P<result>[^/]+)/?")),
]
ALLOWED = {"job": ("POST",), "job_id": ("GET", "POST"), "batches": ("GET", "POST"), "batch": ("GET",),
           "request": ("GET",), "results": ("GET",), "result": ("GET",)}


def _media(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _text(status: int, body: str, media: str) -> Response:
    return Response(body, status_code=status, media_type=None, headers={"Content-Type": media})


def _doc(kind: str, body: object, as_json: bool, status: int = 200) -> Response:
    text, media = codec.render(kind, body, as_json)
    return _text(status, text, media)


def error_response(error: Bulk1Error, as_json: bool) -> Response:
    return _doc("error", codec.error_doc(error), as_json, error.status)


async def endpoint(request: Request) -> Response:
    ff = request.app.state.fakeforce
    request_json = "json" in _media(request)
    job: Job | None = None
    try:
        rest = request.scope.get("path", "")[len("/services/async/"):]
        version, _, tail = rest.partition("/")
        session = ff.sessions.validate(request.headers.get(SESSION_HEADER, "").strip())
        if session is None:
            raise Bulk1Error("InvalidSessionId", "Invalid session id")
        if version not in API_VERSIONS:
            raise Bulk1Error("InvalidUrl", f"Invalid API version: {version}", 404)
        name, match = next(((n, m) for n, p in PATHS if (m := p.fullmatch(tail))), ("", None))
        if match is None:
            raise Bulk1Error("InvalidUrl", f"Unknown resource: {request.url.path}", 404)
        method = "GET" if request.method == "HEAD" else request.method
        if method not in ALLOWED[name]:
            raise Bulk1Error("InvalidUrl", f"HTTP method {request.method} is not allowed here; use "
                             f"{', '.join(ALLOWED[name])}", 405)
        store = store_for(ff)
        job = store.job(match["job"]) if "job" in match.groupdict() else None
        return await _serve(request, store, name, match, job, session.user_id, version, request_json)
    except Bulk1Error as exc:
        return error_response(exc, request_json or (job is not None and job.content_type == "JSON"))
    except SalesforceError as exc:  # from the org, outside a row: the caller's input did not fit
        return error_response(Bulk1Error("ClientInputError", f"{exc.error_code}: {exc.message}"), request_json)
    except Exception:  # never Starlette's plain text: Bulk API's own error shape, code Unknown
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(Bulk1Error("Unknown", "An unexpected error occurred (fakeforce)", 500), request_json)


async def _serve(request: Request, store: Bulk1, name: str, match: re.Match, job: Job | None, user_id: str,
                 version: str, request_json: bool) -> Response:
    job_json = lambda j: request_json or (_media(request) not in BATCH_MEDIA["XML"] and j.content_type == "JSON")
    if name == "job":
        body = codec.parse_job_request(await request.body(), request_json)
        created = store.create_job(body, user_id, version, request.headers.get("sforce-enable-pkchunking"))
        return _doc("jobInfo", created.info(), request_json, 201)
    assert job is not None
    if name == "job_id":
        if request.method == "POST":
            body = codec.parse_job_request(await request.body(), request_json)
            job = store.set_state(job.id, body.get("state"))
        return _doc("jobInfo", job.info(), job_json(job))
    batch_json = job.content_type == "JSON"
    if name == "batches":
        if request.method == "GET":
            return _doc("batchInfoList", [b.info() for b in job.batches], batch_json)
        media = _media(request)
        if media not in BATCH_MEDIA[job.content_type]:
            raise Bulk1Error("ClientInputError", f"The batch's Content-Type {media or '(none)'} does not match "
                             f"the job's contentType {job.content_type} ({BATCH_MEDIA[job.content_type][0]})")
        added = store.add_batch(job.id, await request.body(), user_id)
        return _doc("batchInfo", added.info(), batch_json, 201)
    batch = store.batch(job.id, match["batch"])
    if name == "batch":
        return _doc("batchInfo", batch.info(), batch_json)
    if name == "request":
        return _text(200, batch.raw.decode("utf-8", errors="replace"), RESULT_MEDIA[job.content_type])
    if name == "results":
        if job.is_query:
            if batch.state != "Completed":
                raise Bulk1Error("InvalidBatch", f"Batch {batch.id} is {batch.state}: it has no results")
            return _doc("result-list", batch.result_ids, batch_json)
        return _text(200, store.ingest_results(job, batch), RESULT_MEDIA[job.content_type])
    if not job.is_query:
        raise Bulk1Error("InvalidUrl", "Result ids belong to query jobs only", 404)
    return _text(200, store.query_result(job, batch, match["result"]), RESULT_MEDIA[job.content_type])


TEMPLATES = {"job": "/job", "job_id": "/job/{job_id}", "batches": "/job/{job_id}/batch",
             "batch": "/job/{job_id}/batch/{batch_id}", "request": "/job/{job_id}/batch/{batch_id}/request",
             "results": "/job/{job_id}/batch/{batch_id}/result",
             "result": "/job/{job_id}/batch/{batch_id}/result/{result_id}"}


def routes() -> list[Route]:
    """One route per documented resource (with its methods, as fakeforce.yaml lists them), then a catch-all
    that answers anything else (another method, an unknown path) in Bulk API 1.0's error shape."""
    prefix = "/services/async/{version}"
    return [*(Route(prefix + TEMPLATES[name], endpoint, methods=list(ALLOWED[name])) for name in TEMPLATES),
            Route("/services/async/{rest:path}", endpoint, methods=METHODS)]
