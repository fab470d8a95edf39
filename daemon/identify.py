"""Identification shared by chat, console, bot and interactions (M1-M4), as pure functions.

Values a visitor typed go into SOQL only as string literals built here: quotes, backslashes and control
characters are escaped, so no input can end the literal and change the query. Conditions use ``=`` (never
LIKE), so ``%`` and ``_`` are ordinary characters. Salesforce compares text case-insensitively with ``=``;
the rows are matched back to visitors the same way here. Several visitors share one query (``IN`` for one
condition, ``OR`` of ``AND`` groups for several), cut so that no query grows past ``MAX_WHERE`` characters.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable, Sequence

from .mapping import resolve

MAX_WHERE = 8000
"""Characters of WHERE per query: composite GET subrequests carry the query in their URL."""

ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def soql_literal(value: Any) -> str:
    """A SOQL literal for a value: booleans and numbers as themselves, everything else a quoted string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = "".join(ESCAPES.get(ch, ch) for ch in str(value) if ch >= " " or ch in ESCAPES)
    return f"'{text}'"


def norm(value: Any) -> str:
    """How Salesforce's ``=`` compares text: without regard to letter case."""
    return str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()


def values_of(conditions: Sequence[Any], context: dict[str, Any]) -> tuple | None:
    """The visitor's values for the conditions (M2: all must hold), or None if one is missing."""
    out = []
    for condition in conditions:
        value = resolve(condition.visitor, context)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        out.append(value.strip() if isinstance(value, str) else value)
    return tuple(out)


def visitor_key(conditions: Sequence[Any], values: tuple | None, fallback: str) -> str:
    """The external id of the Contact or Lead syncd creates for a visitor: the same identification values
    give the same key, so two chats of one new visitor (even at the same moment) create one record."""
    if values is None:
        return f"v:{fallback}"[:255]
    if len(conditions) == 1 and conditions[0].salesforce.lower() == "email":
        key = f"e:{norm(values[0])}"
        if len(key) <= 255:
            return key
    joined = "\x1f".join(f"{c.salesforce.lower()}={norm(v)}" for c, v in zip(conditions, values))
    return "h:" + hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _group(conditions: Sequence[Any], values: tuple) -> str:
    if len(conditions) == 1:
        return soql_literal(values[0])
    return "(" + " AND ".join(f"{c.salesforce} = {soql_literal(v)}" for c, v in zip(conditions, values)) + ")"


def queries(sobject: str, select: Iterable[str], conditions: Sequence[Any], all_values: Iterable[tuple],
            extra: str | None = None) -> list[str]:
    """SELECT statements finding every given visitor's candidates, oldest first (M3's order)."""
    fields = ["Id", "CreatedDate", *[c.salesforce for c in conditions]]
    for name in select:
        if name.lower() not in {f.lower() for f in fields}:
            fields.append(name)
    head = f"SELECT {', '.join(fields)} FROM {sobject} WHERE "
    tail = " ORDER BY CreatedDate ASC, Id ASC"
    distinct: dict[tuple, tuple] = {}
    for values in all_values:
        distinct.setdefault(tuple(norm(v) for v in values), values)
    groups = [_group(conditions, values) for values in distinct.values()]
    out, current, size = [], [], 0
    for group in groups:
        if current and size + len(group) > MAX_WHERE:
            out.append(current)
            current, size = [], 0
        current.append(group)
        size += len(group) + 4
    if current:
        out.append(current)
    statements = []
    for part in out:
        where = (f"{conditions[0].salesforce} IN ({', '.join(part)})" if len(conditions) == 1
                 else " OR ".join(part))
        if extra:
            where = f"{extra} AND ({where})"
        statements.append(head + where + tail)
    return statements


def pick(rows: Iterable[dict], conditions: Sequence[Any], values: tuple) -> dict | None:
    """M3: of the records where every condition holds, the oldest (CreatedDate, then Id)."""
    wanted = [norm(v) for v in values]
    matching = [row for row in rows
                if all(row.get(c.salesforce) is not None and norm(row.get(c.salesforce)) == w
                       for c, w in zip(conditions, wanted))]
    if not matching:
        return None
    return min(matching, key=lambda row: (str(row.get("CreatedDate") or ""), str(row.get("Id") or "")))
