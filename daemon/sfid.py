"""Salesforce record ids as syncd accepts them before putting one into a URL.

An id is 15 case-sensitive base-62 characters, or those 15 and a 3-character case-safety suffix (one
bit per uppercase letter in each group of five, spelled from ``A-Z0-5``). Its first three characters
are the key prefix of its object (``003`` Contact, ``500`` Case, ``005`` User). Anything else, such as
``../Opportunity/006...``, is refused here, so that no caller can steer syncd's session to another
object or route. Own code on purpose: daemon code does not import fakeforce.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_ID = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
KEY_PREFIXES = {"Contact": "003", "Account": "001", "Case": "500", "User": "005", "Lead": "00Q"}


class InvalidId(ValueError):
    """Not an id of the expected object; ``field`` is the JSON pointer of the input that held it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field, self.detail = field, detail


def checksum(id15: str) -> str:
    out = []
    for start in (0, 5, 10):
        bits = sum(1 << pos for pos, ch in enumerate(id15[start:start + 5]) if "A" <= ch <= "Z")
        out.append(_SUFFIX[bits])
    return "".join(out)


def check_id(value: object, sobject: str, field: str) -> str:
    """``value`` when it is an id of ``sobject`` (15 or 18 characters, right prefix and suffix); else InvalidId."""
    if not isinstance(value, str) or _ID.fullmatch(value) is None:  # fullmatch: no trailing newline
        raise InvalidId(field, f"{field or 'the value'} must be a Salesforce id of 15 or 18 letters and digits")
    prefix = KEY_PREFIXES.get(sobject)
    if prefix is not None and not value.startswith(prefix):
        raise InvalidId(field, f"{field} must be a {sobject} id (starting with {prefix})")
    if len(value) == 18 and value[15:].upper() != checksum(value[:15]):
        raise InvalidId(field, f"{field} is not a valid Salesforce id (its last three characters do not match)")
    return value


def segment(value: str) -> str:
    """One URL path segment, every reserved character encoded (``/`` included)."""
    return quote(value, safe="")
