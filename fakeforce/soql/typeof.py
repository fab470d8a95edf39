"""Where TYPEOF may stand: the documented limits, checked on the parsed query before it is planned.

Salesforce's TYPEOF page lists what a TYPEOF query can't do: it is only a SELECT-clause item (WHERE and
ORDER BY never parse it), it can't be nested (never parses either), and it is refused in a query that
returns no objects (COUNT(), aggregate functions), with GROUP BY / ROLLUP / CUBE / HAVING, and in the SELECT of
a semi-join. Parent-to-child subqueries and FOR VIEW / FOR REFERENCE are not on that list, so they are allowed.
The page also says the TYPEOF field can't be referenced elsewhere in the field list, and gives one WHEN per type.
The error codes for these refusals are not documented; MALFORMED_QUERY for the clause limits and INVALID_FIELD
for the field-list clash (as for any duplicate field) are fakeforce's choice.
"""

from __future__ import annotations

from typing import Iterator

from . import ast
from .errors import located, malformed

AGGREGATE_CALLS = {"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX", "GROUPING"}


def check(query: ast.Query, soql: str) -> None:
    """Refuse TYPEOF wherever Salesforce does, in the query and every subquery it holds."""
    _check_query(query, soql, semi_join=False)


def _check_query(q: ast.Query, soql: str, semi_join: bool) -> None:
    typeofs = [i.expr for i in q.select if isinstance(i.expr, ast.TypeOf)]
    if typeofs:
        first = typeofs[0]
        if semi_join:
            raise malformed("TYPEOF is not allowed in the SELECT clause of a semi-join query", soql, first.pos)
        if q.group_by or q.group_kind or q.having is not None:
            raise malformed("TYPEOF can't be used in a query with GROUP BY, GROUP BY ROLLUP, GROUP BY CUBE or "
                            "HAVING", soql, first.pos)
        if any(_has_aggregate(i.expr) for i in q.select if isinstance(i.expr, ast.Call)):
            raise malformed("TYPEOF can't be used in a query that doesn't return objects, such as COUNT() or "
                            "an aggregate function", soql, first.pos)
        for t in typeofs:
            _check_branches(t, q, soql)
    for item in q.select:
        if isinstance(item.expr, ast.Query):
            _check_query(item.expr, soql, semi_join=False)
    for sub in _semi_joins(q.where):
        _check_query(sub, soql, semi_join=True)
    for sub in _semi_joins(q.having):
        _check_query(sub, soql, semi_join=True)


def _check_branches(t: ast.TypeOf, q: ast.Query, soql: str) -> None:
    """One WHEN per object type, and the TYPEOF field not also reached through a path in the field list."""
    seen: set[str] = set()
    for type_name, _ in t.whens:
        if type_name.lower() in seen:
            raise malformed(f"duplicate WHEN type in TYPEOF: {type_name}", soql, t.pos)
        seen.add(type_name.lower())
    relationship = t.field.parts[-1].lower()
    prefixes = {q.sobject.lower(), (q.alias or "").lower()}
    for item in q.select:
        path = item.expr
        if not isinstance(path, ast.Path):
            continue
        parts = [p.lower() for p in path.parts]
        if len(parts) > 2 and parts[0] in prefixes:
            parts = parts[1:]
        if len(parts) > 1 and parts[0] == relationship:
            raise located("INVALID_FIELD", f"duplicate field selected: {t.field.parts[-1]} (a TYPEOF field can't "
                          "also be referenced in the field list)", soql, path.pos)


def _has_aggregate(call: ast.Call) -> bool:
    """COUNT(Id), SUM(Amount), and the same inside FORMAT() or convertCurrency()."""
    return call.name in AGGREGATE_CALLS or any(isinstance(a, ast.Call) and _has_aggregate(a) for a in call.args)


def _semi_joins(cond: ast.Condition | None) -> Iterator[ast.Query]:
    if cond is None:
        return
    if isinstance(cond, ast.InQuery):
        yield cond.query
    elif isinstance(cond, (ast.And, ast.Or)):
        for item in cond.items:
            yield from _semi_joins(item)
    elif isinstance(cond, ast.Not):
        yield from _semi_joins(cond.item)
