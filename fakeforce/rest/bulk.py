"""Bulk API 2.0 resources under ``/jobs/ingest`` and ``/jobs/query``."""

from __future__ import annotations

from ..errors import SalesforceError
from . import ROUTER, Answer, Call

CSV_TYPE = "text/csv"


def _bulk(call: Call):
    return call.ff.bulk


def _list(call: Call, kind: str) -> Answer:
    jobs = _bulk(call).list(kind)
    return Answer(200, {"done": True, "records": [j.info() for j in jobs], "nextRecordsUrl": None})


def ingest_jobs(call: Call) -> Answer:
    if call.method == "GET":
        return _list(call, "ingest")
    job = _bulk(call).create_ingest(call.json(), call.session.user_id, call.version)
    return Answer(200, job.info())


def job_resource(kind: str):
    """GET info, DELETE, or PATCH a state change of one ingest or query job."""

    def handler(call: Call, job_id: str) -> Answer:
        bulk = _bulk(call)
        if call.method == "GET":
            return Answer(200, bulk.get(kind, job_id, call.session.user_id).info(full=True))
        if call.method == "DELETE":
            bulk.delete(kind, job_id, call.session.user_id)
            return Answer(204)
        body = call.json()
        state = body.get("state") if isinstance(body, dict) else None
        info = bulk.set_state(kind, job_id, state, call.session.user_id).info()
        info["state"] = state  # the answer confirms the state asked for; processing shows on the next GET
        return Answer(200, info)

    return handler


def upload(call: Call, job_id: str) -> Answer:
    content_type = call.headers.get("content-type", CSV_TYPE)
    if "csv" not in content_type and "octet-stream" not in content_type and "text/plain" not in content_type:
        raise SalesforceError("INVALIDCONTENTTYPE", f"Unsupported content type: {content_type}. Use text/csv.", 415)
    _bulk(call).upload(job_id, call.raw, call.session.user_id)
    return Answer(201)


def ingest_results(which: str):
    def handler(call: Call, job_id: str) -> Answer:
        text = _bulk(call).results(job_id, which, call.session.user_id)
        return Answer(200, text, media_type=CSV_TYPE)

    return handler


def query_jobs(call: Call) -> Answer:
    if call.method == "GET":
        return _list(call, "query")
    job = _bulk(call).create_query(call.json(), call.session.user_id, call.version)
    info = job.info()
    info["state"] = "UploadComplete"  # as created; GET shows it complete
    return Answer(200, info)


def query_results(call: Call, job_id: str) -> Answer:
    text, locator, count = _bulk(call).query_results(job_id, call.session.user_id, call.params.get("locator"),
                                                     call.params.get("maxRecords"))
    return Answer(200, text, headers={"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(count)},
                  media_type=CSV_TYPE)


ROUTER.add("/jobs/ingest", GET=ingest_jobs, POST=ingest_jobs)
ingest_job = job_resource("ingest")
query_job = job_resource("query")
ROUTER.add("/jobs/ingest/{job_id}", GET=ingest_job, PATCH=ingest_job, DELETE=ingest_job)
ROUTER.add("/jobs/ingest/{job_id}/batches", PUT=upload)
for _which in ("successfulResults", "failedResults", "unprocessedrecords"):
    ROUTER.add(f"/jobs/ingest/{{job_id}}/{_which}", GET=ingest_results(_which))
ROUTER.add("/jobs/query", GET=query_jobs, POST=query_jobs)
ROUTER.add("/jobs/query/{job_id}", GET=query_job, PATCH=query_job, DELETE=query_job)
ROUTER.add("/jobs/query/{job_id}/results", GET=query_results)
