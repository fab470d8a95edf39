"""SOQL: a sqlglot dialect (``dialect``), a parser to a plain AST (``parse``), binding and compiling
against the schema (``fields``, ``filters``, ``plan``), and an executor over the store (``execute``)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .. import content
from .columns import column_metadata
from .dates import DateLiteralError
from .errors import malformed
from .execute import run
from .filters import RunContext
from .cache import parse  # shape-keyed: new literals reuse the parsed tree
from .plan import Plan, compile_query

if TYPE_CHECKING:
    from ..org import Org


def compiled(org: "Org", soql: str) -> Plan:
    """Parse and bind once per (org schema, text): plans hold no data, only compiled rules."""
    cache = org.__dict__.setdefault("_soql_plans", {})
    plan = cache.get(soql)
    if plan is None:
        plan = compile_query(org.schema, parse(soql))
        if len(cache) > 2048:
            cache.clear()
        cache[soql] = plan
    return plan


@lru_cache(maxsize=32)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def query(org: "Org", soql: str, *, include_deleted: bool = False, user_id: str | None = None,
          version: str = "62.0") -> tuple[int, list[dict]]:
    """(totalSize, records) of a SOQL query against the org, as the REST API renders them."""
    plan = compiled(org, soql)
    if plan.obj.name == "ContentDocumentLink":
        content.check_query(parse(soql))  # an org refuses unfiltered ContentDocumentLink queries
    with org.store.lock:
        ctx = RunContext(now=org.clock.now(), tz=_zone(org.settings.time_zone), lookup=org.lookup,
                         source=org.store, include_deleted=include_deleted,
                         user_id=user_id or org.admin_user_id, version=version, schema=org.schema)
        try:
            total, rows = run(plan, ctx)
        except DateLiteralError as exc:  # a range valid at compile time that overflows at this clock
            raise malformed(str(exc), soql, None) from None
    content.query_blob_urls(org, soql, rows)  # VersionData/Body read as their URLs
    return total, rows


def columns(org: "Org", soql: str) -> dict:
    """The ``columns=true`` answer: column metadata of the query, no records (and no store access)."""
    return column_metadata(org.schema, compiled(org, soql), bool(parse(soql).group_by))


__all__ = ["query", "columns", "parse", "compile_query", "run", "RunContext"]
