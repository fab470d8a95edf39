"""Field mapping shared by every integration (F1, F2): a Salesforce field takes its value from a source.

A source is a dotted path into the context (``visitor.email``, ``prechat.phone``, ``case.status``),
``=text`` for a constant, and ``a|b|=c`` for alternatives: the first that has a value wins. Pure.
"""

from __future__ import annotations

from typing import Any


def _path(path: str, context: dict[str, Any]) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def resolve_source(source: str, context: dict[str, Any]) -> tuple[Any, bool]:
    """(value, whether it came from a constant); (None, False) when no alternative has a value."""
    for alternative in source.split("|") if not source.startswith("=") else [source]:
        if alternative.startswith("="):
            return alternative[1:], True
        value = _path(alternative, context)
        if value is not None and value != "":
            return value, False
    return None, False


def resolve(source: str, context: dict[str, Any]) -> Any:
    return resolve_source(source, context)[0]


def map_fields(mapping: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
    """Every mapped field whose source has a value (a missing value is left out, never written as null)."""
    return {field: value for field, source in mapping.items() if (value := resolve(source, context)) is not None}


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def policy_changes(policy: str, mapping: dict[str, str], context: dict[str, Any], current: dict[str, Any],
                   skip: set[str] = frozenset()) -> dict[str, Any]:
    """M5: what a found record gets. ``keep``: nothing. ``overwrite``: every mapped field the chat has a
    value for (constants and fallbacks excluded: a placeholder never replaces real data) that differs from
    Salesforce. ``fill_blanks``: only those mapped fields that are empty in Salesforce. ``skip``: fields
    that identified the record (equal already, perhaps in another letter case)."""
    if policy == "keep":
        return {}
    changes: dict[str, Any] = {}
    lowered = {k.lower(): v for k, v in current.items()}
    for field, source in mapping.items():
        if field.lower() in skip:
            continue
        # overwrite takes only the first alternative: ``visitor.name|visitor.email`` must not put an
        # email address into a real LastName when the visitor gave no name
        value, constant = resolve_source(source.split("|")[0] if policy == "overwrite" else source, context)
        if value is None or constant:
            continue
        now = lowered.get(field.lower())
        if policy == "fill_blanks" and not blank(now):
            continue
        if now == value:
            continue
        changes[field] = value
    return changes
