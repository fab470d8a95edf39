"""Bulk API 2.0 jobs: ingest (insert, update, upsert, delete from CSV) and query (CSV results with locators).

Jobs live in memory with the running server. An ingest job is processed when its upload completes, each
row on its own (Bulk API is never all-or-none) inside one transaction, so the data file is written once.
"""

from __future__ import annotations

import csv
import io
import itertools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import formats, soql
from .errors import MultipleMatches, SalesforceError, not_found, per_record
from .ids import make_id

if TYPE_CHECKING:
    from .org import Org

OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete"}
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
FINAL_STATES = {"JobComplete", "Failed", "Aborted"}
NULL_MARK = "#N/A"


def bad_request(message: str, code: str = "INVALIDJOB") -> SalesforceError:
    return SalesforceError(code, message, 400)


@dataclass
class Job:
    id: str
    kind: str  # ingest or query
    operation: str
    object: str
    created_by: str
    created: str
    version: str
    delimiter: str = "COMMA"
    line_ending: str = "LF"
    external_id: str | None = None
    query: str | None = None
    state: str = "Open"
    modstamp: str = ""
    uploads: list[bytes] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # query results
    error: str | None = None

    def info(self, *, full: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "operation": self.operation, "object": self.object,
                               "createdById": self.created_by, "createdDate": self.created,
                               "systemModstamp": self.modstamp or self.created, "state": self.state}
        if self.kind == "ingest":
            out["externalIdFieldName"] = self.external_id
        out.update({"concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(self.version)})
        if self.kind == "ingest":
            out.update({"jobType": "V2Ingest",
                        "contentUrl": f"services/data/v{self.version}/jobs/ingest/{self.id}/batches"})
        else:
            out["jobType"] = "V2Query"
        out.update({"lineEnding": self.line_ending, "columnDelimiter": self.delimiter})
        if full:
            processed = len(self.successes) + len(self.failures) if self.kind == "ingest" else len(self.rows)
            out.update({"numberRecordsProcessed": processed, "retries": 0, "totalProcessingTime": 0})
            if self.kind == "ingest":
                out.update({"numberRecordsFailed": len(self.failures), "apiActiveProcessingTime": 0,
                            "apexProcessingTime": 0})
            else:
                out["isPkChunkingSupported"] = True
            if self.error:
                out["errorMessage"] = self.error
        return out


def write_csv(header: list[str], rows: list[list[str]], delimiter: str = ",", line_ending: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_ending, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Bulk:
    def __init__(self, org: "Org") -> None:
        self.org = org
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._numbers = itertools.count(1)
        self._counts = {"ingest": 0, "query": 0}

    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._counts = {"ingest": 0, "query": 0}

    def _new_id(self) -> str:
        return make_id("750", self.org.settings.pod, next(self._numbers))

    def get(self, kind: str, job_id: str, user_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.kind != kind:
            raise not_found()
        return job

    def list(self, kind: str) -> list[Job]:
        return [j for j in self._jobs.values() if j.kind == kind]

    def delete(self, kind: str, job_id: str, user_id: str) -> None:
        job = self.get(kind, job_id, user_id)
        if job.state not in FINAL_STATES | {"UploadComplete"}:
            raise bad_request(f"Job {job_id} can not be deleted in state {job.state}", "INVALIDJOBSTATE")
        with self._lock:
            del self._jobs[job_id]

    # -- ingest ------------------------------------------------------------------------------------
    def create_ingest(self, body: Any, user_id: str, version: str) -> Job:
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object", "JSON_PARSER_ERROR")
        operation = body.get("operation")
        if not isinstance(operation, str) or operation not in OPERATIONS:
            raise bad_request(f"Invalid operation: {operation}. Use one of {', '.join(sorted(OPERATIONS))}")
        obj = self.org.schema.get(str(body.get("object", "")))
        if obj is None:
            raise bad_request(f"Invalid object: {body.get('object')}", "INVALIDENTITY")
        delimiter, line_ending = _format(body)
        if body.get("contentType", "CSV") != "CSV":  # anything else, of any type, is refused
            raise bad_request("contentType must be CSV")
        external = body.get("externalIdFieldName")
        if external is not None and not isinstance(external, str):
            raise bad_request("externalIdFieldName must be a field name")
        if operation == "upsert":
            if not external:
                raise bad_request("externalIdFieldName is required for upsert")
            external = self.org.external_field(obj, external).name
        now = self.org.now()
        job = Job(self._new_id(), "ingest", operation, obj.name, user_id, now, version, delimiter, line_ending,
                  external, modstamp=now)
        with self._lock:
            self._jobs[job.id] = job
            self._counts["ingest"] += 1
        return job

    def upload(self, job_id: str, data: bytes, user_id: str) -> None:
        job = self.get("ingest", job_id, user_id)
        if job.state != "Open":
            raise bad_request(f"Job {job_id} is not open for uploads (state {job.state})", "INVALIDJOBSTATE")
        if not data.strip():
            raise bad_request("The CSV is empty", "INVALIDBATCH")
        limit = self.org.settings.bulk_upload_max_bytes  # 150 MB base64-encoded, as Salesforce counts it
        if sum(len(u) for u in job.uploads) + len(data) > limit:
            raise bad_request(f"A job's data can be at most {limit} bytes (150 MB after base64 encoding)",
                              "INVALIDBATCH")
        job.uploads.append(data)

    def set_state(self, kind: str, job_id: str, state: Any, user_id: str) -> Job:
        job = self.get(kind, job_id, user_id)
        if state == "Aborted":
            if job.state in FINAL_STATES:
                raise bad_request(f"Job {job_id} is already {job.state}", "INVALIDJOBSTATE")
            job.state = "Aborted"
        elif state == "UploadComplete" and kind == "ingest":
            if job.state != "Open":
                raise bad_request(f"Job {job_id} is not open (state {job.state})", "INVALIDJOBSTATE")
            job.state = "UploadComplete"
            self._process(job)  # at once: a poll right after sees JobComplete (or Failed)
        else:
            raise bad_request(f"Invalid state: {state}", "INVALIDJOBSTATE")
        job.modstamp = self.org.now()
        return job

    def _process(self, job: Job) -> None:
        sep = DELIMITERS[job.delimiter]
        try:
            text = b"".join(job.uploads).decode("utf-8-sig")
        except UnicodeDecodeError:
            job.state, job.error = "Failed", "InvalidBatch : The CSV is not UTF-8"
            return
        try:
            rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if r]
        except csv.Error as exc:  # an unterminated quote, a field past the csv module's size limit
            job.state, job.error = "Failed", f"InvalidBatch : The CSV could not be read: {exc}"
            return
        if not rows:
            job.state, job.error = "Failed", "InvalidBatch : Empty CSV"
            return
        header, data = rows[0], rows[1:]
        obj = self.org.sobject(job.object)
        for column in header:
            base = column.split(".")[0]
            if obj.field(column) is None and obj.relationship(base) is None:
                job.state, job.error = "Failed", f"InvalidBatch : Field name not found : {column}"
                return
        job.columns = header
        org = self.org
        with org.store.transaction():
            for row in data:
                if len(row) != len(header):
                    job.failures.append(["", "INVALID_FIELD:Wrong number of columns in the row:--", *row])
                    continue
                try:
                    with org.store.transaction():
                        record_id, created = self._apply(job, obj, dict(zip(header, row)))
                    job.successes.append([record_id, "true" if created else "false", *row])
                except SalesforceError as exc:
                    exc = per_record(exc)
                    fields = ",".join(exc.fields or [])
                    job.failures.append(["", f"{exc.error_code}:{exc.message}:{fields} --", *row])
                except MultipleMatches as exc:
                    job.failures.append(["", f"DUPLICATE_EXTERNAL_ID:{len(exc.urls)} records match --", *row])
        job.state = "JobComplete"

    def _apply(self, job: Job, obj, row: dict[str, str]) -> tuple[str, bool]:
        org, user = self.org, job.created_by
        values: dict[str, Any] = {}
        for column, text in row.items():
            if text == "":
                continue  # an empty cell changes nothing
            if "." in column:
                rel_name, ext_name = column.split(".", 1)
                ref = obj.relationship(rel_name)
                target = org.sobject(ref.describe["referenceTo"][0])
                found = org.find_by(target, org.external_field(target, ext_name), text)
                if len(found) != 1:
                    raise SalesforceError("INVALID_FIELD", f"Foreign key external ID: {text} not found for field "
                                          f"{ext_name} in entity {target.name}", 400, [ref.name])
                values[ref.name] = found[0]["Id"]
            else:
                values[column] = None if text == NULL_MARK else text
        if job.operation == "insert":
            return org.create(obj.name, values, user), True
        record_id = values.pop("Id", None) or values.pop("id", None)
        if job.operation in ("delete", "hardDelete"):
            if not record_id:
                raise SalesforceError("MISSING_ARGUMENT", "Id not specified in a delete call", 400, ["Id"])
            org.delete(obj.name, record_id, user)
            return org.record_id(obj, record_id), False
        if job.operation == "update":
            if not record_id:
                raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call", 400, ["Id"])
            org.update(obj.name, record_id, values, user)
            return org.record_id(obj, record_id), False
        if job.external_id == "Id":  # upsert by Id: a row with an Id updates that record, a row without creates
            if record_id:
                org.update(obj.name, record_id, values, user)
                return org.record_id(obj, record_id), False
            return org.create(obj.name, values, user), True
        key = values.get(job.external_id)  # upsert
        if key in (None, ""):
            raise SalesforceError("MISSING_ARGUMENT", f"{job.external_id} not specified", 400, [job.external_id])
        created, rid = org.upsert(obj.name, job.external_id, str(key), values, user)
        return rid, created

    def results(self, job_id: str, which: str, user_id: str) -> str:
        job = self.get("ingest", job_id, user_id)
        sep, end = DELIMITERS[job.delimiter], LINE_ENDINGS[job.line_ending]
        if which == "successfulResults":
            return write_csv(["sf__Id", "sf__Created", *job.columns], job.successes, sep, end)
        if which == "failedResults":
            return write_csv(["sf__Id", "sf__Error", *job.columns], job.failures, sep, end)
        if job.state == "JobComplete":
            return write_csv(job.columns, [], sep, end) if job.columns else ""
        rows: list[list[str]] = []
        for upload in job.uploads:
            text = upload.decode("utf-8-sig", errors="replace")
            try:  # newline="": a carriage return inside a field is data, not a broken line
                rows.extend(r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if r)
            except csv.Error:
                continue  # unreadable data was never processed; there is nothing to hand back from it
        header = job.columns or (rows[0] if rows else [])
        data = [r for r in rows if r != header]
        return write_csv(header, data, sep, end) if header else ""

    # -- query -------------------------------------------------------------------------------------
    def create_query(self, body: Any, user_id: str, version: str) -> Job:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise bad_request("The request body must be a JSON object with a query", "JSON_PARSER_ERROR")
        operation = body.get("operation", "query")
        if not isinstance(operation, str) or operation not in ("query", "queryAll"):
            raise bad_request(f"Invalid operation: {operation}")
        delimiter, line_ending = _format(body)
        plan = soql.compiled(self.org, body["query"])  # SOQL errors answer now, as Salesforce does
        if plan.aggregation is not None or plan.count_only:
            raise bad_request("Aggregate queries are not supported by Bulk API 2.0", "API_ERROR")
        if _has_children(plan.node):
            raise bad_request("Nested queries are not supported by Bulk API 2.0", "API_ERROR")
        total, records = soql.query(self.org, body["query"], include_deleted=operation == "queryAll",
                                    user_id=user_id, version=version)
        now = self.org.now()
        job = Job(self._new_id(), "query", operation, plan.obj.name, user_id, now, version, delimiter, line_ending,
                  query=body["query"], modstamp=now)
        job.columns = _columns(plan.node)
        job.rows = [[_cell(value_at(r, c)) for c in job.columns] for r in records]
        job.state = "JobComplete"
        with self._lock:
            self._jobs[job.id] = job
            self._counts["query"] += 1
        return job

    def query_results(self, job_id: str, user_id: str, locator: str | None, max_records: str | None
                      ) -> tuple[str, str, int]:
        """(CSV, next locator or "null", rows in this page)."""
        job = self.get("query", job_id, user_id)
        if job.state != "JobComplete":
            raise bad_request(f"Job {job_id} is not complete (state {job.state})", "INVALIDJOBSTATE")
        start = 0
        if locator not in (None, "", "null"):
            if not str(locator).isdigit() or int(locator) > len(job.rows):
                raise bad_request("Invalid locator", "INVALID_QUERY_LOCATOR")
            start = int(locator)
        size = len(job.rows) - start
        if max_records not in (None, ""):
            if not str(max_records).isdigit() or int(max_records) < 1:
                raise bad_request("maxRecords must be a positive integer", "INVALIDREQUEST")
            size = min(size, int(max_records))
        page = job.rows[start: start + size]
        end = start + len(page)
        next_locator = str(end) if end < len(job.rows) else "null"
        return write_csv(job.columns, page, DELIMITERS[job.delimiter], LINE_ENDINGS[job.line_ending]), \
            next_locator, len(page)


def _format(body: dict) -> tuple[str, str]:
    delimiter = body.get("columnDelimiter", "COMMA")
    line_ending = body.get("lineEnding", "LF")
    if not isinstance(delimiter, str) or delimiter not in DELIMITERS:
        raise bad_request(f"columnDelimiter must be one of {', '.join(DELIMITERS)}")
    if not isinstance(line_ending, str) or line_ending not in LINE_ENDINGS:
        raise bad_request("lineEnding must be LF or CRLF")
    return delimiter, line_ending


def _has_children(node) -> bool:
    from .soql.plan import Children, Parent

    return any(isinstance(i, Children) or (isinstance(i, Parent) and _has_children(i.node))
               for i in node.items.values())


def _columns(node, prefix: str = "") -> list[str]:
    from .soql.plan import Parent

    out = []
    for key, item in node.items.items():
        if isinstance(item, Parent):
            out.extend(_columns(item.node, f"{prefix}{key}."))
        else:
            out.append(prefix + key)
    return out


def value_at(record: dict, column: str) -> Any:
    """The value at a dotted result column (``Account.Name``) of a rendered query record; None past a null."""
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


__all__ = ["Bulk", "Job", "formats"]
