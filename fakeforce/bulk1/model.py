"""Bulk API 1.0 data: jobs, batches, their info documents (field order as Salesforce sends them), errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "http://www.force.com/2009/06/asyncapi/dataload"
OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete", "query", "queryAll")
CONTENT_TYPES = ("CSV", "XML", "JSON")
UNSUPPORTED_TYPES = ("ZIP_CSV", "ZIP_XML", "ZIP_JSON")
JOB_STATES = ("Open", "Closed", "Aborted", "Failed")
MAX_RECORDS = 10_000
"""Records in one ingest batch (Salesforce's Bulk API 1.0 limit)."""
MAX_BATCH_CHARS = 10_000_000
"""Characters in one batch's data (Salesforce's Bulk API 1.0 limit)."""
MAX_PK_CHUNK = 250_000
DEFAULT_PK_CHUNK = 100_000


@dataclass
class Bulk1Error(Exception):
    """An error answered in Bulk API 1.0's own shape: ``<error>`` (or JSON) with exceptionCode/Message."""

    code: str
    message: str
    status: int = 400

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.message}")


def stamp(rest_time: str) -> str:
    """The org's REST timestamp (``...000+0000``) as Bulk API 1.0 writes it (``...000Z``)."""
    return rest_time[:-5] + "Z" if rest_time.endswith("+0000") else rest_time


@dataclass
class RowResult:
    """One ingest row's outcome: the record id (if any), whether it was created, the error (if it failed)."""

    id: str | None
    created: bool
    error: tuple[str, str, list[str]] | None = None  # (statusCode, message, fields)

    @property
    def success(self) -> bool:
        return self.error is None


@dataclass
class Batch:
    id: str
    job_id: str
    created: str
    raw: bytes
    state: str = "Queued"
    state_message: str | None = None
    modstamp: str = ""
    processed: int = 0
    failed: int = 0
    results: list[RowResult] = field(default_factory=list)
    result_ids: list[str] = field(default_factory=list)
    query_rows: dict[str, list[dict]] = field(default_factory=dict)  # result id -> records (query jobs)
    columns: list[str] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "jobId": self.job_id, "state": self.state}
        if self.state_message:
            out["stateMessage"] = self.state_message
        out.update({"createdDate": self.created, "systemModstamp": self.modstamp or self.created,
                    "numberRecordsProcessed": self.processed, "numberRecordsFailed": self.failed,
                    "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0})
        return out


@dataclass
class Job:
    id: str
    operation: str
    object: str
    created_by: str
    created: str
    version: str
    content_type: str = "XML"
    concurrency: str = "Parallel"
    external_id: str | None = None
    pk_chunk_size: int | None = None
    state: str = "Open"
    modstamp: str = ""
    batches: list[Batch] = field(default_factory=list)

    @property
    def is_query(self) -> bool:
        return self.operation in ("query", "queryAll")

    def info(self) -> dict[str, Any]:
        counts = {s: sum(1 for b in self.batches if b.state == s) for s in ("Queued", "InProgress", "Completed",
                                                                            "Failed")}
        out: dict[str, Any] = {"id": self.id, "operation": self.operation, "object": self.object,
                               "createdById": self.created_by, "createdDate": self.created,
                               "systemModstamp": self.modstamp or self.created, "state": self.state}
        if self.external_id:
            out["externalIdFieldName"] = self.external_id
        out.update({"concurrencyMode": self.concurrency, "contentType": self.content_type,
                    "numberBatchesQueued": counts["Queued"], "numberBatchesInProgress": counts["InProgress"],
                    "numberBatchesCompleted": counts["Completed"], "numberBatchesFailed": counts["Failed"],
                    "numberBatchesTotal": len(self.batches),
                    "numberRecordsProcessed": sum(b.processed for b in self.batches), "numberRetries": 0,
                    "apiVersion": float(self.version),
                    "numberRecordsFailed": sum(b.failed for b in self.batches), "totalProcessingTime": 0,
                    "apiActiveProcessingTime": 0, "apexProcessingTime": 0})
        return out
