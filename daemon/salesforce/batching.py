"""Operations into as few requests as the API allows: sObject Collections upserts of up to 200 records,
and up to 5 such collections in one composite request (Salesforce's limit for collection subrequests).

Two upserts of the same record in one batch become one record (later fields win, as if applied in order):
that is how a burst of P3 status updates costs at most one Case write per Case per batch, and it keeps a
collection free of duplicate external ids, which Salesforce refuses. Each collection is all-or-none, so a
failure never lets a key's later records land before its earlier ones in that collection (P4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..state.store import OutboxRow

COLLECTION_SIZE = 200
COLLECTIONS_PER_COMPOSITE = 5


@dataclass
class Record:
    """One record of a collection and the outbox rows it carries (more than one when merged)."""

    external_id: str
    fields: dict
    rows: list[OutboxRow] = field(default_factory=list)


@dataclass
class Chunk:
    sobject: str
    external_id_field: str
    records: list[Record]
    op: str = "upsert"
    """``upsert`` by ``external_id_field``, or ``update`` by Id (a found record's M5 changes)."""

    @property
    def rows(self) -> list[OutboxRow]:
        return [row for record in self.records for row in record.rows]

    def subrequest(self, version: str, reference: str) -> dict:
        if self.op == "update":
            records = [{"attributes": {"type": self.sobject}, **r.fields, "Id": r.external_id} for r in self.records]
            return {"method": "PATCH", "referenceId": reference, "url": f"/services/data/v{version}/composite/sobjects",
                    "body": {"allOrNone": True, "records": records}}
        records = [{"attributes": {"type": self.sobject}, **r.fields, self.external_id_field: r.external_id}
                   for r in self.records]
        return {"method": "PATCH", "referenceId": reference,
                "url": f"/services/data/v{version}/composite/sobjects/{self.sobject}/{self.external_id_field}",
                "body": {"allOrNone": True, "records": records}}

    def halves(self) -> list["Chunk"]:
        middle = len(self.records) // 2
        return [Chunk(self.sobject, self.external_id_field, part, self.op)
                for part in (self.records[:middle], self.records[middle:]) if part]


def encodable(row: OutboxRow) -> str | None:
    """Why a row cannot be sent as JSON (a lone surrogate, NaN...), or None. Checked per row before a
    request is built, so one bad operation becomes a dead letter instead of failing its whole batch."""
    try:
        json.dumps(row.fields, ensure_ascii=False, allow_nan=False).encode("utf-8")
        row.external_id.encode("utf-8")
    except (TypeError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def chunks(rows: list[OutboxRow]) -> list[Chunk]:
    groups: dict[tuple[str, str, str], dict[str, Record]] = {}
    for row in rows:
        records = groups.setdefault((row.op, row.sobject, row.external_id_field), {})
        record = records.get(row.external_id)
        if record is None:
            records[row.external_id] = Record(row.external_id, dict(row.fields), [row])
        else:  # the same record again in this batch: one write with the later values
            record.fields.update(row.fields)
            record.rows.append(row)
    out = []
    for (op, sobject, field_name), records in groups.items():
        members = list(records.values())
        for start in range(0, len(members), COLLECTION_SIZE):
            out.append(Chunk(sobject, field_name, members[start: start + COLLECTION_SIZE], op))
    return out


def requests(rows: list[OutboxRow]) -> list[list[Chunk]]:
    """Chunks grouped into requests: each request is one composite of up to 5 collection upserts."""
    all_chunks = chunks(rows)
    return [all_chunks[i: i + COLLECTIONS_PER_COMPOSITE] for i in range(0, len(all_chunks), COLLECTIONS_PER_COMPOSITE)]
