"""Request bodies as JSON, refused the way Salesforce refuses them: JSON_PARSER_ERROR, never a crash.

Python's ``json`` accepts ``NaN`` and ``Infinity`` (JSON has neither), turns ``1e999`` into infinity,
raises ``ValueError`` for integers past the int-string digit limit and ``RecursionError`` for deep
nesting. Salesforce's parser refuses all of these with ``400 JSON_PARSER_ERROR``; so does this one.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import SalesforceError

MAX_DEPTH = 100
"""Arrays and objects nested deeper than this are refused (no Salesforce body comes close)."""
MAX_INT_DIGITS = 4000
"""Longer integer literals are refused before Python's own int-string limit (4300 digits) is reached."""


class _Refused(ValueError):
    """A literal JSON allows in Python but not in Salesforce."""


def _constant(name: str) -> Any:
    raise _Refused(f"Non-standard token '{name}': NaN and Infinity are not valid JSON numbers")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"Numeric value ({text[:40]}) out of range of double")
    return value


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Refused(f"Number value length ({digits}) exceeds the maximum allowed ({MAX_INT_DIGITS})")
    return int(text)


def _too_deep(value: Any) -> bool:
    """Whether containers nest deeper than MAX_DEPTH (walked iteratively: no recursion to overflow)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_error(message: str) -> SalesforceError:
    return SalesforceError("JSON_PARSER_ERROR", message, 400)


def loads(raw: bytes | str) -> Any:
    """Parse a request body; any input that is not plain JSON raises SalesforceError JSON_PARSER_ERROR."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise parse_error("Invalid UTF-8 start byte at [line:1, column:1]") from None
    else:
        text = raw
    if not text.strip():
        raise parse_error("No content to map due to end-of-input at [line:1, column:0]")
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except json.JSONDecodeError as exc:
        bad = text[exc.pos] if exc.pos < len(text) else ""
        detail = f"Unexpected character ('{bad}' (code {ord(bad)}))" if bad else "Unexpected end-of-input"
        raise parse_error(f"{detail}: {exc.msg} at [line:{exc.lineno}, column:{exc.colno}]") from None
    except _Refused as exc:
        raise parse_error(str(exc)) from None
    except RecursionError:
        raise parse_error(f"Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})") from None
    except ValueError as exc:  # any other literal Python cannot represent
        raise parse_error(str(exc)) from None
    if _too_deep(value):
        raise parse_error(f"Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})")
    return value
