"""Salesforce record ids: 15 case-sensitive base-62 characters plus a 3-character case-safety suffix."""

from __future__ import annotations

import re

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Z]{3})?\Z")  # \Z: $ would allow a trailing newline

EMPTY_KEY = "000000000000000AAA"
MASTER_RECORD_TYPE_ID = "012000000000000AAA"


def checksum(id15: str) -> str:
    """The suffix that makes an id unique case-insensitively: one bit per uppercase letter, per chunk of 5."""
    out = []
    for chunk in range(3):
        bits = 0
        for pos, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << pos
        out.append(_SUFFIX_CHARS[bits])
    return "".join(out)


def to18(value: str) -> str:
    """Normalise a 15- or 18-character id to 18 characters; raises ValueError when it is not an id."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ValueError(f"not a Salesforce id: {value!r}")
    id15 = value[:15]
    full = id15 + checksum(id15)
    if len(value) == 18 and value[15:].upper() != full[15:]:
        raise ValueError(f"bad id checksum: {value!r}")
    return full


def is_id(value: object) -> bool:
    try:
        to18(value)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def encode62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(BASE62[rem])
    text = "".join(reversed(digits)) or "0"
    if len(text) > width:
        raise OverflowError("id space exhausted")
    return text.rjust(width, "0")


def make_id(key_prefix: str, pod: str, number: int) -> str:
    """Build an 18-character id from a key prefix, a 2-character pod code and a record number."""
    return to18(key_prefix + pod + encode62(number, 10))
