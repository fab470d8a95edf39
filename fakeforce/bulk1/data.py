"""A batch's data and its results: CSV, XML or JSON rows in; per-row results and query records out.

Rows come out flat (``{"LastName": "X", "Account.Ext__c": "A-1"}``), which is the form the shared per-row
apply of Bulk API 2.0 takes: CSV's ``#N/A`` and XML's ``xsi:nil`` become None, JSON values keep their types.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from typing import Any, Callable
from xml.sax.saxutils import escape

from ..bulk import value_at
from .codec import XSI, local, parse_xml, xml_value
from .model import MAX_RECORDS, NAMESPACE, RowResult

NULL_MARK = "#N/A"
NO_RECORDS = "Records not found for this query"
"""What a CSV query result holds when the query matched nothing (Bulk API 1.0 writes this line, not a header)."""


class BatchDataError(ValueError):
    """The batch's data cannot be read: the batch fails with this message as its stateMessage."""


def read_rows(raw: bytes, content_type: str) -> list[dict[str, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchDataError("InvalidBatch : The data is not UTF-8") from None
    if not text.strip():
        raise BatchDataError("InvalidBatch : Empty batch")
    if content_type == "CSV":
        return _csv_rows(text)
    if content_type == "JSON":
        return _json_rows(text)
    return _xml_rows(raw)


def _csv_rows(text: str) -> list[dict[str, Any]]:
    """The records, read one row at a time and no further than ``MAX_RECORDS + 1``: enough for the caller
    to refuse an oversized batch without first turning all of it into dicts."""
    reader = (r for r in csv.reader(io.StringIO(text, newline="")) if r)
    out: list[dict[str, Any]] = []
    try:
        header = next(reader)
        for number, row in enumerate(reader, start=1):
            if len(row) != len(header):
                raise BatchDataError(f"InvalidBatch : Record {number} has {len(row)} columns, the header has "
                                     f"{len(header)}")
            out.append({k: (None if v == NULL_MARK else v) for k, v in zip(header, row)})
            if len(out) > MAX_RECORDS:
                break
    except csv.Error as exc:
        raise BatchDataError(f"InvalidBatch : Failed to parse CSV: {exc}") from None
    return out


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise BatchDataError(f"InvalidBatch : Failed to parse JSON: {exc}") from None
    if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
        raise BatchDataError("InvalidBatch : The JSON must be an array of records")
    return [_flatten(r) for r in body]


def _xml_rows(raw: bytes) -> list[dict[str, Any]]:
    try:
        root = parse_xml(raw)
    except Exception as exc:  # Bulk1Error from the parser: here it fails the batch, not the request
        raise BatchDataError(f"InvalidBatch : {exc}") from None
    if local(root.tag) != "sObjects":
        raise BatchDataError(f"InvalidBatch : Expected sObjects, found {local(root.tag)}")
    rows = []
    for element in root:
        if local(element.tag) != "sObject":
            raise BatchDataError(f"InvalidBatch : Expected sObject, found {local(element.tag)}")
        rows.append(_xml_record(element))
    return rows


def _xml_record(element: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in element:
        name = prefix + local(child.tag)
        if len(child):
            out.update(_xml_record(child, f"{name}."))
        elif child.get(f"{{{XSI}}}nil") == "true":
            out[name] = None
        else:
            out[name] = child.text or ""
    return out


# -- ingest results ------------------------------------------------------------------------------------
def ingest_results(results: list[RowResult], content_type: str) -> str:
    if content_type == "JSON":
        return json.dumps([{"success": r.success, "created": r.created, "id": r.id,
                            "errors": [] if r.error is None else
                            [{"statusCode": r.error[0], "message": r.error[1], "fields": r.error[2]}]}
                           for r in results], separators=(",", ":"))
    if content_type == "CSV":
        rows = [["Id", "Success", "Created", "Error"]]
        for r in results:
            error = "" if r.error is None else f"{r.error[0]}:{r.error[1]}:{','.join(r.error[2])} --"
            rows.append([r.id or "", _bool(r.success), _bool(r.created), error])
        return _quoted_csv(rows)
    parts = []
    for r in results:
        head = f"<id>{escape(r.id)}</id>" if r.id else ""
        errors = ""
        if r.error is not None:
            fields = "".join(f"<fields>{escape(f)}</fields>" for f in r.error[2])
            errors = (f"<errors>{fields}<message>{escape(r.error[1])}</message>"
                      f"<statusCode>{escape(r.error[0])}</statusCode></errors>")
        parts.append(f"<result>{head}{errors}<success>{_bool(r.success)}</success>"
                     f"<created>{_bool(r.created)}</created></result>")
    return f'<?xml version="1.0" encoding="UTF-8"?><results xmlns="{NAMESPACE}">{"".join(parts)}</results>'


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _quoted_csv(rows: list[list[str]]) -> str:
    """Bulk API 1.0 quotes every CSV cell, header included."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


# -- query results -------------------------------------------------------------------------------------
def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _bool(value)
    if isinstance(value, str) and value.endswith("+0000") and "T" in value:
        return value[:-5] + "Z"
    return str(value)


def query_csv(records: list[dict], columns: list[str]) -> str:
    if not records:
        return NO_RECORDS
    return _quoted_csv([columns, *[[_csv_cell(value_at(r, c)) for c in columns] for r in records]])


def epoch_ms(value: Any, kind: str) -> Any:
    """Bulk API 1.0 JSON gives date and dateTime values as milliseconds since 1970 (UTC)."""
    if not isinstance(value, str):
        return value
    try:
        if kind == "date":
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        else:
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return value
    return int(moment.timestamp() * 1000)


def query_json(records: list[dict], kind_of: Callable[[str, str], str | None]) -> str:
    """``kind_of(sobject, field)`` names a field's type, so that only date and dateTime fields turn numeric."""
    def convert(record: dict) -> dict:
        sobject = (record.get("attributes") or {}).get("type", "")
        out: dict[str, Any] = {}
        for key, value in record.items():
            if isinstance(value, dict) and key != "attributes":
                out[key] = convert(value)
            elif key != "attributes" and kind_of(sobject, key) in ("date", "datetime"):
                out[key] = epoch_ms(value, str(kind_of(sobject, key)))
            else:
                out[key] = value
        return out

    return json.dumps([convert(r) for r in records], separators=(",", ":"), ensure_ascii=False)


def query_xml(records: list[dict]) -> str:
    def fields(record: dict) -> str:
        parts = [f"<type>{escape(str((record.get('attributes') or {}).get('type', '')))}</type>"]
        for key, value in record.items():
            if key == "attributes":
                continue
            if isinstance(value, dict):
                parts.append(f'<{key} xsi:type="sObject">{fields(value)}</{key}>')
            elif value is None:
                parts.append(f'<{key} xsi:nil="true"/>')
            else:
                parts.append(f"<{key}>{xml_value(_csv_cell(value))}</{key}>")
        return "".join(parts)

    inner = "".join(f'<records xsi:type="sObject">{fields(r)}</records>' for r in records)
    return (f'<?xml version="1.0" encoding="UTF-8"?><queryResult xmlns="{NAMESPACE}" xmlns:xsi="{XSI}">'
            f"{inner}</queryResult>")
