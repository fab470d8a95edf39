"""The Bulk API 1.0 job store: create, close and abort jobs; add batches and process them at once.

A batch is processed inside the request that adds it (its rows applied one by one, never all-or-none, as
Salesforce does), so the first poll already sees it Completed or Failed; the add itself answers Queued, the
state Salesforce reports for a batch just created.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from typing import TYPE_CHECKING, Any

from .. import soql
from ..bulk import _columns, _has_children
from ..errors import MultipleMatches, SalesforceError, per_record
from ..ids import make_id
from . import data
from .model import (CONTENT_TYPES, DEFAULT_PK_CHUNK, MAX_BATCH_CHARS, MAX_PK_CHUNK, MAX_RECORDS, OPERATIONS,
                    UNSUPPORTED_TYPES, Batch, Bulk1Error, Job, RowResult, stamp)

if TYPE_CHECKING:
    from ..bulk import Bulk
    from ..org import Org

log = logging.getLogger(__name__)

ID_OFFSET = 5_000_000
"""Bulk API 1.0 job numbers start here so that their ids (750 prefix, as on Salesforce) never meet the ids of
Bulk API 2.0 jobs, which count from 1 in their own store."""
CONCURRENCY = {"Parallel": "Parallel", "Serial": "Serial", "0": "Parallel", "1": "Serial"}
"""simple-salesforce sends ``concurrencyMode`` as 0/1 (the enum's ordinal), which Salesforce accepts."""


def invalid_job(job_id: str) -> Bulk1Error:
    return Bulk1Error("InvalidJob", f"Invalid job id: {job_id}")


def parse_pk_chunking(header: str | None) -> int | None:
    """The chunk size asked for by ``Sforce-Enable-PKChunking`` (``true; chunkSize=N; parent=X``), or None."""
    if header is None or not header.strip():
        return None
    parts = [p.strip() for p in header.split(";") if p.strip()]
    switch = parts[0].lower()
    if switch == "false":
        return None
    options = dict(p.split("=", 1) if "=" in p else (p, "") for p in (parts if "=" in parts[0] else parts[1:]))
    if switch not in ("true",) and "=" not in parts[0]:
        raise Bulk1Error("InvalidJob", f"Invalid Sforce-Enable-PKChunking header: {header}")
    size = options.get("chunkSize", str(DEFAULT_PK_CHUNK)).strip()
    if not size.isdigit() or not 1 <= int(size) <= MAX_PK_CHUNK:
        raise Bulk1Error("InvalidJob", f"Invalid chunkSize {size}: it must be between 1 and {MAX_PK_CHUNK}")
    return int(size)


class Bulk1:
    def __init__(self, org: "Org", bulk2: "Bulk") -> None:
        self.org = org
        self.bulk2 = bulk2  # its per-row apply writes a batch's rows exactly as a 2.0 ingest job would
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._numbers = itertools.count(ID_OFFSET)

    def _id(self, prefix: str) -> str:
        return make_id(prefix, self.org.settings.pod, next(self._numbers))

    def _now(self) -> str:
        return stamp(self.org.now())

    # -- jobs ------------------------------------------------------------------------------------------
    def create_job(self, body: dict[str, Any], user_id: str, version: str, pk_header: str | None) -> Job:
        operation = str(body.get("operation") or "")
        if operation not in OPERATIONS:
            raise Bulk1Error("InvalidJob", f"Invalid operation: {operation or 'none given'}. Use one of "
                             f"{', '.join(OPERATIONS)}")
        name = str(body.get("object") or "")
        obj = self.org.schema.get(name)
        if obj is None:
            raise Bulk1Error("InvalidJob", f"Unable to find object: {name}")
        content_type = str(body.get("contentType") or "XML")
        if content_type in UNSUPPORTED_TYPES:
            raise Bulk1Error("InvalidJob", f"fakeforce does not support the contentType {content_type}; use CSV, "
                             "XML or JSON")
        if content_type not in CONTENT_TYPES:
            raise Bulk1Error("InvalidJob", f"Invalid contentType: {content_type}")
        concurrency = CONCURRENCY.get(str(body.get("concurrencyMode", "Parallel")))
        if concurrency is None:
            raise Bulk1Error("InvalidJob", f"Invalid concurrencyMode: {body.get('concurrencyMode')}")
        external = body.get("externalIdFieldName") or None
        if operation == "upsert":
            if not external:
                raise Bulk1Error("InvalidJob", f"External ID was blank for {obj.name}. An External ID must be "
                                 "specified for upsert.")
            try:
                external = self.org.external_field(obj, str(external)).name
            except SalesforceError as exc:
                raise Bulk1Error("InvalidJob", exc.message) from None
        elif external:
            external = None  # ignored by Salesforce for other operations
        chunk = parse_pk_chunking(pk_header)
        if chunk is not None and operation not in ("query", "queryAll"):
            chunk = None  # PK chunking applies to query jobs only
        now = self._now()
        job = Job(self._id("750"), operation, obj.name, user_id, now, version, content_type, concurrency,
                  external, chunk, modstamp=now)
        with self._lock:
            self._jobs[job.id] = job
        return job

    def job(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise invalid_job(job_id)
        return job

    def set_state(self, job_id: str, state: Any) -> Job:
        job = self.job(job_id)
        if state not in ("Closed", "Aborted"):
            raise Bulk1Error("InvalidJobState", f"Invalid state: {state}. A job can be set to Closed or Aborted")
        if job.state == "Aborted" or (job.state == "Closed" and state == "Closed") or job.state == "Failed":
            raise Bulk1Error("InvalidJobState", f"Job {job_id} is {job.state}: it cannot be set to {state}")
        job.state = state
        if state == "Aborted":  # batches not yet processed are not processed (here every batch already is)
            for batch in job.batches:
                if batch.state in ("Queued", "InProgress"):
                    batch.state, batch.state_message = "Failed", "InvalidBatch : Job aborted"
        job.modstamp = self._now()
        return job

    # -- batches ---------------------------------------------------------------------------------------
    def add_batch(self, job_id: str, raw: bytes, user_id: str) -> Batch:
        job = self.job(job_id)
        if job.state != "Open":
            raise Bulk1Error("InvalidJobState", f"Job {job_id} is {job.state}: batches can be added to an Open "
                             "job only")
        if len(raw) > MAX_BATCH_CHARS:
            raise Bulk1Error("InvalidBatch", f"A batch can hold at most {MAX_BATCH_CHARS} characters")
        now = self._now()
        batch = Batch(self._id("751"), job.id, now, raw, modstamp=now)
        job.batches.append(batch)
        answer = Batch(**{**batch.__dict__, "results": [], "result_ids": []})  # the state as created: Queued
        try:
            if job.is_query:
                self._run_query(job, batch, user_id)
            else:
                self._run_ingest(job, batch)
        except RecursionError:  # data nested deeper than Python's parsers go: a bad batch, not a 500
            batch.state, batch.state_message = "Failed", "InvalidBatch : The data is nested too deeply"
        except Exception as exc:  # whatever breaks, the batch must not stay Queued for ever
            log.exception("bulk1 batch %s failed unexpectedly", batch.id)
            batch.state, batch.state_message = "Failed", f"InvalidBatch : {type(exc).__name__}: {exc}"
        batch.modstamp = job.modstamp = self._now()
        return answer

    def batch(self, job_id: str, batch_id: str) -> Batch:
        job = self.job(job_id)
        for batch in job.batches:
            if batch.id == batch_id:
                return batch
        raise Bulk1Error("InvalidBatch", f"Invalid batch id: {batch_id}")

    def _run_ingest(self, job: Job, batch: Batch) -> None:
        try:
            rows = data.read_rows(batch.raw, job.content_type)
        except data.BatchDataError as exc:
            batch.state, batch.state_message = "Failed", str(exc)
            return
        if len(rows) > MAX_RECORDS:
            batch.state = "Failed"
            batch.state_message = f"InvalidBatch : Records in a batch cannot exceed {MAX_RECORDS}"
            return
        obj = self.org.sobject(job.object)
        for column in sorted({c for r in rows for c in r}):
            if obj.field(column) is None and ("." not in column or obj.relationship(column.split(".")[0]) is None):
                batch.state, batch.state_message = "Failed", f"InvalidBatch : Field name not found : {column}"
                return
        with self.org.store.transaction():
            for row in rows:
                batch.results.append(self._apply(job, obj, row))
        batch.processed = len(batch.results)
        batch.failed = sum(1 for r in batch.results if not r.success)
        batch.state = "Completed"

    def _apply(self, job: Job, obj: Any, row: dict[str, Any]) -> RowResult:
        try:
            with self.org.store.transaction():
                record_id, created = self.bulk2._apply(job, obj, row)
            return RowResult(record_id, created)
        except SalesforceError as exc:
            exc = per_record(exc)
            return RowResult(None, False, (exc.error_code, exc.message, list(exc.fields or [])))
        except MultipleMatches as exc:
            return RowResult(None, False, ("DUPLICATE_EXTERNAL_ID", f"{job.external_id}: more than one record "
                                           f"found for the external id ({len(exc.urls)} records)", []))

    def _run_query(self, job: Job, batch: Batch, user_id: str) -> None:
        text = batch.raw.decode("utf-8-sig", errors="replace").strip()
        try:
            plan = soql.compiled(self.org, text)
            if plan.aggregation is not None or plan.count_only:
                raise SalesforceError("MALFORMED_QUERY", "Aggregate Relationships not supported in Batch Query")
            if _has_children(plan.node):
                raise SalesforceError("MALFORMED_QUERY", "Aggregate Relationships not supported in Batch Query")
            if plan.obj.name != job.object:
                raise SalesforceError("MALFORMED_QUERY", f"The query object {plan.obj.name} does not match the "
                                      f"job object {job.object}")
            _, records = soql.query(self.org, text, include_deleted=job.operation == "queryAll",
                                    user_id=user_id, version=job.version)
        except SalesforceError as exc:
            detail = exc.message.strip().splitlines()[-1] if exc.message.strip() else exc.error_code
            batch.state = "Failed"
            batch.state_message = f"InvalidBatch : Failed to process query: {exc.error_code}: {detail}"
            return
        columns = _columns(plan.node)
        if job.pk_chunk_size is None:
            self._complete_query(batch, records, columns)
            return
        # PK chunking: the batch sent is not processed; one batch per chunk of records in Id order holds them.
        batch.state = "NotProcessed"
        ordered = sorted(records, key=lambda r: _record_id(r))
        size = job.pk_chunk_size
        for start in range(0, max(len(ordered), 1), size):
            chunk = Batch(self._id("751"), job.id, self._now(), batch.raw, modstamp=self._now())
            self._complete_query(chunk, ordered[start:start + size], columns)
            job.batches.append(chunk)

    def _complete_query(self, batch: Batch, records: list[dict], columns: list[str]) -> None:
        result_id = self._id("752")
        batch.result_ids = [result_id]
        batch.query_rows = {result_id: records}
        batch.columns = columns
        batch.processed = len(records)
        batch.state = "Completed"

    # -- results ---------------------------------------------------------------------------------------
    def ingest_results(self, job: Job, batch: Batch) -> str:
        self._require_complete(batch)
        return data.ingest_results(batch.results, job.content_type)

    def query_result(self, job: Job, batch: Batch, result_id: str) -> str:
        self._require_complete(batch)
        records = batch.query_rows.get(result_id)
        if records is None:
            raise Bulk1Error("InvalidBatch", f"Invalid result id: {result_id}")
        if job.content_type == "CSV":
            return data.query_csv(records, batch.columns)
        if job.content_type == "JSON":
            return data.query_json(records, self._field_kind)
        return data.query_xml(records)

    @staticmethod
    def _require_complete(batch: Batch) -> None:
        if batch.state != "Completed":
            raise Bulk1Error("InvalidBatch", f"Batch {batch.id} is {batch.state}: its results are not available")

    def _field_kind(self, sobject: str, name: str) -> str | None:
        obj = self.org.schema.get(sobject)
        found = obj.field(name) if obj is not None else None
        return found.describe.get("type") if found is not None else None


def _record_id(record: dict) -> str:
    url = (record.get("attributes") or {}).get("url") or ""
    return record.get("Id") or re.sub(r".*/", "", url)
