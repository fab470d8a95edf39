"""Lookups to records that syncd is creating in the same flow (a Task of a new visitor's Contact).

An operation may carry ``{"$ref": {"sobject", "field", "value"}}`` as a field's value: the record that
another operation upserts by that external id. The sender sends the referenced operation first (both share
an ordering key), then fills in the Id that Salesforce answered for it. Pure helpers; the sender does I/O.
"""

from __future__ import annotations

import re
from typing import Any

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
