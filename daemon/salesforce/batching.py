"""Operations into as few requests as the API allows: sObject Collections upserts of up to 200 records,
and up to 5 such collections in one composite request (Salesforce's limit for collection subrequests)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..state.store import OutboxRow

COLLECTION_SIZE = 200
COLLECTIONS_PER_COMPOSITE = 5


@dataclass
class Chunk:
    sobject: str
    external_id_field: str
    rows: list[OutboxRow]

    def subrequest(self, version: str, reference: str) -> dict:
        records = [{"attributes": {"type": self.sobject}, **r.fields, self.external_id_field: r.external_id}
                   for r in self.rows]
        return {"method": "PATCH", "referenceId": reference,
                "url": f"/services/data/v{version}/composite/sobjects/{self.sobject}/{self.external_id_field}",
                "body": {"allOrNone": False, "records": records}}


def chunks(rows: list[OutboxRow]) -> list[Chunk]:
    groups: dict[tuple[str, str], list[OutboxRow]] = defaultdict(list)
    for row in rows:
        groups[(row.sobject, row.external_id_field)].append(row)
    out = []
    for (sobject, field), members in groups.items():
        for start in range(0, len(members), COLLECTION_SIZE):
            out.append(Chunk(sobject, field, members[start: start + COLLECTION_SIZE]))
    return out


def requests(rows: list[OutboxRow]) -> list[list[Chunk]]:
    """Chunks grouped into requests: each request is one composite of up to 5 collection upserts."""
    all_chunks = chunks(rows)
    return [all_chunks[i: i + COLLECTIONS_PER_COMPOSITE] for i in range(0, len(all_chunks), COLLECTIONS_PER_COMPOSITE)]
