"""What the console shows, read through the same REST resources an API client uses (describe, query,
limits), run in-process as the org's admin user: the console sees exactly what the API would answer,
Salesforce's errors included. These calls are not API requests: they are neither counted against the
daily limit nor kept in the request journal."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .. import API_VERSIONS, rest
from ..auth.sessions import Session
from ..instance import Fakeforce

PAGE_SIZE = 25
MAX_COLUMNS = 8
ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


@dataclass
class Result:
    """A REST answer: ``ok`` with its body, or Salesforce's error array as it came."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def call(ff: Fakeforce, path: str, params: dict[str, str] | None = None) -> Result:
    session = Session(token="", user_id=ff.org.admin_user_id, client_id=None, issued_at_ms=0,
                      expires_at=math.inf, kind="console")
    answer = rest.dispatch(rest.Call(ff=ff, session=session, version=API_VERSIONS[-1], method="GET", path=path,
                                     params=params or {}))
    return Result(answer.status, answer.body)


def objects(ff: Fakeforce) -> list[dict]:
    """describeGlobal's sObjects, each with its record count (from the store: no query per object)."""
    found = call(ff, "/sobjects")
    counts = {t.lower(): ff.org.store.count(t) for t in ff.org.store.tables()}
    return [{**o, "count": counts.get(o["name"].lower(), 0)} for o in (found.body or {}).get("sobjects", [])]


def describe(ff: Fakeforce, name: str) -> Result:
    return call(ff, f"/sobjects/{name}/describe")


def columns(described: dict) -> list[str]:
    """The record list's columns: Id, the name field, the first few fields a user can set, then when the
    record last changed (system fields such as IsDeleted say little in a list)."""
    fields = described.get("fields", [])
    names = [f["name"] for f in fields if f.get("nameField") and f["name"] != "Id"]
    rest_ = [f["name"] for f in fields if f["name"] not in ("Id", *names) and f.get("createable")
             and f.get("type") not in ("address", "location", "base64", "textarea")]
    stamp = ["LastModifiedDate"] if any(f["name"] == "LastModifiedDate" for f in fields) else []
    return ["Id", *names, *rest_][:MAX_COLUMNS - len(stamp)] + stamp


def records(ff: Fakeforce, name: str, cols: list[str], after: str | None) -> Result:
    """One page of records, by Id (keyset paging: no OFFSET, so no 2,000-row ceiling)."""
    if after and not ID.fullmatch(after):
        raise ValueError("after: a record Id (15 or 18 letters and digits)")
    where = f" WHERE Id > '{after}'" if after else ""
    return query(ff, f"SELECT {', '.join(cols)} FROM {name}{where} ORDER BY Id LIMIT {PAGE_SIZE}")


def query(ff: Fakeforce, soql: str) -> Result:
    return call(ff, "/query", {"q": soql})


def limits(ff: Fakeforce) -> dict:
    return call(ff, "/limits").body or {}


def flatten(record: dict, prefix: str = "") -> dict[str, Any]:
    """A query row as columns: ``attributes`` dropped, parent relationships as ``Account.Name``."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict) and "attributes" in value and "records" not in value:
            out.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, dict) and "records" in value:
            out[prefix + key] = f"{value.get('totalSize', len(value['records']))} rows"
        else:
            out[prefix + key] = value
    return out
