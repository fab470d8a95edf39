"""Strict JSON for everything syncd is sent: text that can be stored and sent on, numbers that are numbers.

Python's ``json.loads`` accepts NaN and Infinity, turns ``1e400`` into ``inf``, and keeps a lone
surrogate (``"\\ud83d"``, half of a cut emoji) as a str that cannot be encoded to UTF-8 later: SQLite,
httpx and the logs then fail far from the request. ``loads`` refuses these at the door and says where
(a JSON pointer), so the sender never holds text it cannot deliver.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
"""Deeper nesting than any event or call syncd knows needs; refusing it keeps parsing out of recursion limits."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


class JsonProblem(ValueError):
    """Why a body is not acceptable JSON; ``pointer`` is where (None when the body does not parse)."""

    def __init__(self, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


def escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _refuse_constant(name: str) -> Any:
    raise JsonProblem(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonProblem(f"the number {text[:40]} is out of range")
    return value


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def _nesting_ok(text: str) -> bool:
    """Whether brackets outside strings nest at most MAX_DEPTH deep (regex scans, no recursion)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return True
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        else:
            depth -= 1
    return True


def loads(raw: bytes | str) -> Any:
    """Parse strict JSON; JsonProblem (a ValueError) for a body that does not parse or holds bad values."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError as exc:
        raise JsonProblem(f"the body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    if not _nesting_ok(text):
        raise JsonProblem(f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except JsonProblem:
        raise
    except RecursionError:
        raise JsonProblem("the body nests too deeply") from None
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"the body is not JSON: {exc}") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise JsonProblem(f"the body holds a number syncd cannot read: {str(exc)[:120]}") from None
    # a lone surrogate can only come from a \\uD800-\\uDFFF escape: walk the values only when one is there
    found = bad_value(data) if _SURROGATE_ESCAPE.search(text) else None
    if found is not None:
        pointer, why = found
        raise JsonProblem(why, pointer)
    return data


def bad_value(data: Any) -> tuple[str, str] | None:
    """The JSON pointer and the reason of the first string with a lone surrogate, or non-finite number."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return pointer, "the text holds a lone surrogate (a cut character); send whole UTF-8 characters"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return pointer, "the number is out of range (NaN and Infinity are not JSON numbers)"
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                here = f"{pointer}/{escape(key)}"
                if _SURROGATE.search(key):
                    return here, "the key holds a lone surrogate (a cut character)"
                stack.append((here, item))
        elif isinstance(value, list):
            for index in range(len(value) - 1, -1, -1):
                stack.append((f"{pointer}/{index}", value[index]))
    return None
