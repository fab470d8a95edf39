"""Whether a mapped source can fit a Salesforce field (F3), judged from the field's describe alone. Pure.

A source (see daemon/mapping.py) is ``=text`` (a constant), a path whose kind may be known (``chat.endDate``
is a date, ``visitor.visits`` a number), or alternatives ``a|b|=c``: every alternative may become the
value, so every one must fit. Only certain mismatches are reported: a path of unknown kind (the data of a
pre-chat form, a custom variable) is left to Salesforce, and so is a kind that Salesforce converts (a date
into a date/time field). What Salesforce refuses, and so what is reported: text that does not parse as the
field's type (``JSON_PARSER_ERROR``/``MALFORMED_ID``), a constant longer than the field (``STRING_TOO_LONG``;
syncd never asks Salesforce to truncate), a constant outside a restricted picklist's active values
(``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``) and an invalid email address (``INVALID_EMAIL_ADDRESS``)."""

from __future__ import annotations

import re
from datetime import date, datetime, time

NUMBER_TYPES = frozenset({"int", "long", "double", "currency", "percent"})
TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox",
                        "encryptedstring"})
"""Field types whose value is text (their ``length`` applies)."""
DATE_TYPES = frozenset({"date", "datetime", "time"})
REFERENCE_TYPES = frozenset({"reference", "id"})

_ANY_TEXT = TEXT_TYPES - {"email", "picklist", "multipicklist"}
_DATES_OK = _ANY_TEXT | {"date", "datetime"}
FITS: dict[str, frozenset[str]] = {
    # kind of the source -> the field types it fits (text fields take anything written as text; a
    # picklist takes text unless restricted, which needs the value, so only constants are checked there)
    "text": _ANY_TEXT | {"picklist", "multipicklist"},
    "email": TEXT_TYPES,
    "number": _ANY_TEXT | NUMBER_TYPES | {"picklist", "multipicklist"},
    "boolean": _ANY_TEXT | {"boolean", "picklist"},
    "date": _DATES_OK,
    "datetime": _DATES_OK,
    "id": _ANY_TEXT | REFERENCE_TYPES,
}
"""Kinds of source values (see ``*_KINDS`` in the checks) and the field types they fit."""

KIND_WORDS = {"text": "text", "email": "an email address", "number": "a number", "boolean": "true or false",
              "date": "a date", "datetime": "a date/time", "id": "a Salesforce id"}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")


def active_values(field: dict) -> list[str]:
    """A picklist's active values, in the org's order."""
    return [str(entry.get("value")) for entry in field.get("picklistValues") or [] if entry.get("active", True)]


def _parses(text: str, ftype: str) -> bool:
    """Whether Salesforce can read ``text`` as a value of ``ftype`` (text types always can)."""
    try:
        if ftype == "boolean":
            return text.lower() in ("true", "false")
        if ftype in ("int", "long"):
            int(text)
        elif ftype in NUMBER_TYPES:
            float(text)
        elif ftype == "date":
            date.fromisoformat(text)
        elif ftype == "datetime":
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        elif ftype == "time":
            time.fromisoformat(text.replace("Z", ""))
        elif ftype in REFERENCE_TYPES:
            return bool(_ID.match(text))
        elif ftype == "email":
            return bool(_EMAIL.match(text))
    except ValueError:
        return False
    return True


def constant_problem(field: dict, text: str) -> str | None:
    """Why the constant ``text`` cannot be the value of ``field`` (None: it can)."""
    ftype = field.get("type", "string")
    name = field.get("name", "?")
    if not _parses(text, ftype):
        return f"the constant {text!r} is not a valid {ftype} (the type of {name})"
    length = field.get("length") or 0
    if ftype in TEXT_TYPES and length and len(text) > length:
        return f"the constant {text!r} has {len(text)} characters; {name} holds at most {length}"
    if ftype in ("picklist", "multipicklist") and field.get("restrictedPicklist"):
        allowed = active_values(field)
        parts = [p.strip() for p in text.split(";") if p.strip()] if ftype == "multipicklist" else [text]
        bad = [p for p in parts if p not in allowed]
        if bad:
            return (f"{bad[0]!r} is not an active value of the restricted picklist {name} "
                    f"(active: {', '.join(allowed) or 'none'})")
    return None


def kind_problem(field: dict, path: str, kind: str) -> str | None:
    """Why a source of ``kind`` cannot be the value of ``field`` (None: it can, or Salesforce decides)."""
    ftype = field.get("type", "string")
    allowed = FITS.get(kind)
    if allowed is None or ftype in allowed or ftype not in (TEXT_TYPES | NUMBER_TYPES | DATE_TYPES
                                                             | REFERENCE_TYPES | {"boolean"}):
        return None
    return f"{path} holds {KIND_WORDS.get(kind, kind)}; {field.get('name', '?')} is a {ftype} field"


def source_problems(field: dict, source: str, kinds: dict[str, str]) -> list[str]:
    """Why some alternative of ``source`` cannot fit ``field``; ``kinds``: the known kind of each path."""
    alternatives = [source] if source.startswith("=") else source.split("|")
    problems = []
    for alternative in alternatives:
        if alternative.startswith("="):
            problem = constant_problem(field, alternative[1:])
        elif alternative in kinds:
            problem = kind_problem(field, alternative, kinds[alternative])
        else:
            problem = None
        if problem is not None:
            problems.append(problem)
    return problems
