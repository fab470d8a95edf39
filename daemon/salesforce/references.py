"""Lookups to records that syncd is creating in the same flow (a Task of a new visitor's Contact).

An operation may carry ``{"$ref": {"sobject", "field", "value"}}`` as a field's value: the record that
another operation upserts by that external id. The sender sends the referenced operation first (both share
an ordering key), then fills in the Id that Salesforce answered for it. Pure helpers; the sender does I/O.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable, Protocol

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def find(fields: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(field, reference) for every value of ``fields`` that names another operation's record."""
    out = []
    for name, value in fields.items():
        if isinstance(value, dict) and isinstance(value.get("$ref"), dict):
            ref = value["$ref"]
            if NAME.match(str(ref.get("sobject", ""))) and NAME.match(str(ref.get("field", ""))) \
                    and isinstance(ref.get("value"), str):
                out.append((name, ref))
    return out


def substitute(fields: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    return {name: ids.get(name, value) for name, value in fields.items()}


class Row(Protocol):
    ordering_key: str
    fields: dict[str, Any]


async def resolve(rows: list, reference: Callable[[str, str, str], dict | None],
                  lookup: Callable[[dict], Awaitable[str | None]], dead: Callable[[Any, str], None]) -> list:
    """The rows that can go now, with their references filled in. A row whose record is not created yet
    waits, and so do the later rows of its ordering key (their order holds); one whose record became a
    dead letter becomes one too, saying which. ``reference`` finds the latest operation that writes a
    record; ``lookup`` asks Salesforce when that operation is gone (pruned long ago)."""
    out, held = [], set()
    for row in rows:
        if row.ordering_key in held:
            continue
        refs = find(row.fields)
        if not refs:
            out.append(row)
            continue
        ids: dict[str, str] = {}
        for name, ref in refs:
            found = reference(ref["sobject"], ref["field"], ref["value"])
            if found is not None and found["status"] == "done" and found["record_id"]:
                ids[name] = found["record_id"]
                continue
            if found is not None and found["status"] == "pending":
                held.add(row.ordering_key)
                break
            if found is not None:
                dead(row, f"the {ref['sobject']} this record belongs to ({ref['field']} = {ref['value']}) was "
                          f"not created: outbox #{found['id']} is a dead letter ({found['last_error_code']}: "
                          f"{found['last_error']}); replay it first")
                held.add(row.ordering_key)
                break
            record_id = await lookup(ref)
            if record_id is None:
                dead(row, f"no {ref['sobject']} with {ref['field']} = {ref['value']} in Salesforce")
                held.add(row.ordering_key)
                break
            ids[name] = record_id
        else:
            row.fields = substitute(row.fields, ids)
            out.append(row)
    return out
