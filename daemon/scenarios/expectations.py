"""The expectations of a scenario's ``then``: the org's rows by SOQL, syncd's outbox and dead letters, its
care calls' answers, and values saved by earlier steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..state.store import State
from .files import check_file
from .matching import Mismatch, matches

if TYPE_CHECKING:
    from .runner import Run


def check(run: "Run", item: dict) -> None:
    """One item of a scenario's ``then``: raises Mismatch when the org or syncd disagree."""
    item = run.sub(item)
    if "soql" in item:
        total, rows = run.query(item["soql"])
        if "count" in item and total != item["count"]:
            raise Mismatch(f"{item['soql']}: {total} rows, expected {item['count']}: {rows[:5]}")
        if "rows" in item:
            stripped = [_strip(r) for r in rows]
            matches(item["rows"], stripped)
        return
    if "outbox" in item:
        matches(item["outbox"], run.outbox())
        return
    if "case" in item:
        case_id = run.case_id(item["case"])
        response = run.call("GET", f"/v1/care/cases/{quote(case_id, safe='')}")
        matches(item.get("expect", {}), response.json())
        return
    if "cases" in item:
        response = run.call("GET", f"/v1/care/customers/{quote(run.customer(item['cases']), safe='')}/cases")
        matches(item.get("expect", {}), response.json())
        return
    if "variable" in item:
        value = run.variables.get(item["variable"])
        if "at_least" in item:
            if not isinstance(value, (int, float)) or value < item["at_least"]:
                raise Mismatch(f"{item['variable']}: {value!r}, expected at least {item['at_least']}")
        if "equals" in item:
            matches(item["equals"], value)
        return
    if "dead_letters" in item:
        state = State(run.config.service.state_path)
        try:
            dead = [{"sobject": r.sobject, "external_id": r.external_id, "code": r.last_error_code,
                     "error": r.last_error} for r in state.dead_letters()]
        finally:
            state.close()
        matches(item["dead_letters"], dead)
        return
    if "file" in item:  # F4
        check_file(run, item["file"])
        return
    raise Mismatch(f"unknown expectation {item!r}")


def _strip(record: Any) -> Any:
    if isinstance(record, dict):
        return {k: _strip(v) for k, v in record.items() if k != "attributes"}
    if isinstance(record, list):
        return [_strip(v) for v in record]
    return record
