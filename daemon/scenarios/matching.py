"""Comparing what happened with what a scenario expects, and filling in its references."""

from __future__ import annotations

import re
from typing import Any

VAR = re.compile(r"\$\{([A-Za-z0-9_.:/|-]+)\}")


class Mismatch(AssertionError):
    pass


def substitute(value: Any, refs: dict[str, str], variables: dict[str, Any]) -> Any:
    """``@ref`` -> a seeded record's id, ``${name}`` -> a saved value (recursively)."""
    if isinstance(value, dict):
        return {substitute(k, refs, variables): substitute(v, refs, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, refs, variables) for v in value]
    if not isinstance(value, str):
        return value
    if value.startswith("@") and not value.startswith("@@") and value[1:] in refs:
        return refs[value[1:]]
    whole = VAR.fullmatch(value)
    if whole:
        return lookup(variables, whole.group(1))
    return VAR.sub(lambda m: str(lookup(variables, m.group(1))), value)


def lookup(data: Any, dotted: str) -> Any:
    current = data
    for part in dotted.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise Mismatch(f"no value at {dotted!r}")
    return current


def matches(expected: Any, actual: Any, path: str = "") -> None:
    """``expected`` is a subset of ``actual``: dict keys (dotted keys allowed) and list items in order;
    ``"*"`` matches any non-null value; ``{contains: [...]}`` a text holding each part; strings compare
    exactly, numbers numerically."""
    if expected == "*":
        if actual is None:
            raise Mismatch(f"{path or 'value'}: expected a value, got null")
        return
    if isinstance(expected, dict) and set(expected) == {"contains"} and isinstance(actual, str):
        wanted = expected["contains"] if isinstance(expected["contains"], list) else [expected["contains"]]
        for part in wanted:
            if str(part) not in actual:
                raise Mismatch(f"{path.rstrip('.') or 'value'}: {part!r} not in {actual[:300]!r}")
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise Mismatch(f"{path or 'value'}: expected an object, got {actual!r}")
        for key, value in expected.items():
            if "." in key and key not in actual:
                try:
                    found = lookup(actual, key)
                except Mismatch:
                    raise Mismatch(f"{path}{key}: missing") from None
            elif key not in actual:
                raise Mismatch(f"{path}{key}: missing in {sorted(actual)}")
            else:
                found = actual[key]
            matches(value, found, f"{path}{key}.")
        return
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            raise Mismatch(f"{path or 'value'}: expected {len(expected)} items, got "
                           f"{len(actual) if isinstance(actual, list) else actual!r}: {actual!r}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            matches(e, a, f"{path}[{i}].")
        return
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and isinstance(actual, (int, float)):
        if float(expected) != float(actual):
            raise Mismatch(f"{path.rstrip('.') or 'value'}: expected {expected!r}, got {actual!r}")
        return
    if expected != actual:
        raise Mismatch(f"{path.rstrip('.') or 'value'}: expected {expected!r}, got {actual!r}")


def seconds(value: Any) -> float:
    """``90d``, ``12h``, ``30m``, ``45s`` or a number of seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*([dhms]?)\s*", str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r}")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
