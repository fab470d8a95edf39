"""Running a plan over a record source: candidates (from an index when a filter allows), filter, sort,
page, aggregate, render. Pure over the source it is given; no writes."""

from __future__ import annotations

import heapq
import itertools
import sys
from typing import Any, Iterable, Iterator

from .fields import name_object_value
from .filters import RunContext
from .ordered import ordered_ids
from .plan import Aggregation, Children, Leaf, Node, Parent, Plan, TypeLeaf


def _candidates(plan: Plan, ctx: RunContext) -> Iterable[dict]:
    source, type_name = ctx.source, plan.obj.name
    chosen: set[str] | None = None
    for field_name, values in plan.index_hints:
        if field_name == "Id":
            ids = set(values)
        elif source.indexed(type_name, field_name):
            ids = set().union(*(source.lookup_index(type_name, field_name, v) for v in values)) if values else set()
        else:
            continue
        chosen = ids if chosen is None else chosen & ids
    if chosen is None:
        return source.records(type_name)
    return (r for i in sorted(chosen) if (r := source.get(type_name, i)) is not None)


def matching_records(plan: Plan, ctx: RunContext, rows: Iterable[dict] | None = None) -> Iterator[dict]:
    predicate, include_deleted = plan.predicate, ctx.include_deleted
    mine = ctx.user_id if plan.scope_mine else None
    for record in _candidates(plan, ctx) if rows is None else rows:
        if record.get("IsDeleted") and not include_deleted:
            continue
        if mine is not None and record.get("OwnerId") != mine:
            continue
        if predicate is None or predicate(record, ctx):
            yield record


def _sort_key(kind: str):
    if kind in ("text", "other", "multipicklist"):
        return str.casefold  # these fields only ever hold strings
    if kind == "":
        return lambda v: v.casefold() if isinstance(v, str) else v
    return None


def sort_rows(rows: list, order: list, ctx: RunContext) -> list:
    """Stable sorts from the last key to the first; nulls first or last per key (SOQL: ASC nulls first)."""
    for getter, kind, desc, nulls_first in reversed(order):
        norm = _sort_key(kind)
        keyed = [(getter(r, ctx), r) for r in rows]
        nulls = [r for v, r in keyed if v is None]
        values = [(norm(v) if norm else v, r) for v, r in keyed if v is not None]
        try:
            values.sort(key=lambda p: p[0], reverse=desc)
        except TypeError:
            values.sort(key=lambda p: str(p[0]), reverse=desc)
        ordered = [r for _, r in values]
        rows = nulls + ordered if nulls_first else ordered + nulls
    return rows


def _page(rows: list, plan: Plan) -> list:
    start = plan.offset or 0
    end = start + plan.limit if plan.limit is not None else None
    return rows[start:end]


def run(plan: Plan, ctx: RunContext) -> tuple[int, list[dict]]:
    """(totalSize, rendered records) of a top-level query."""
    if plan.aggregation is not None:
        rows = aggregate(plan, ctx)
        if plan.count_only:
            return len(rows), []
        return len(rows), rows
    wanted = (plan.offset or 0) + plan.limit if plan.limit is not None else None
    if wanted is not None and plan.order_field and not plan.index_hints and not plan.count_only:
        served = _from_ordered_index(plan, ctx, wanted)
        if served is not None:
            return served
    matches = matching_records(plan, ctx)
    if wanted is not None and not plan.order:
        matches = itertools.islice(matches, min(wanted, sys.maxsize))  # no order to honour: stop at the last row needed
    records = list(matches)
    if plan.count_only:
        total = len(records) - (plan.offset or 0)
        total = max(total, 0)
        return (min(total, plan.limit) if plan.limit is not None else total), []
    if plan.order:
        records = top_rows(records, plan.order, ctx, wanted)
    records = _page(records, plan)
    return len(records), [render(plan.node, plan.obj.name, r, ctx) for r in records]


def _from_ordered_index(plan: Plan, ctx: RunContext, wanted: int) -> tuple[int, list[dict]] | None:
    """ORDER BY one plain field with a LIMIT, served by walking the ordered index and stopping at the last
    row needed; None when the source keeps no index for it."""
    _getter, kind, desc, nulls_first = plan.order[0]
    ids = ordered_ids(ctx.source, plan.obj.name, plan.order_field, kind, desc, nulls_first, _sort_key(kind))
    if ids is None:
        return None
    source, type_name = ctx.source, plan.obj.name
    rows = (r for i in ids if (r := source.get(type_name, i)) is not None)
    records = _page(list(itertools.islice(matching_records(plan, ctx, rows), wanted)), plan)
    return len(records), [render(plan.node, type_name, r, ctx) for r in records]


def top_rows(rows: list, order: list, ctx: RunContext, wanted: int | None) -> list:
    """Sorted rows; with a LIMIT on one sort key only the first ``wanted`` are sorted (a heap selects them)."""
    if wanted is None or len(order) != 1 or wanted * 4 > len(rows):
        return sort_rows(rows, order, ctx)
    getter, kind, desc, nulls_first = order[0]
    norm = _sort_key(kind)
    keyed = [(getter(r, ctx), r) for r in rows]
    nulls = [r for v, r in keyed if v is None]
    if nulls_first and len(nulls) >= wanted:
        return nulls[:wanted]
    values = [(norm(v) if norm else v, i, r) for i, (v, r) in enumerate(keyed) if v is not None]
    room = wanted - len(nulls) if nulls_first else wanted
    try:
        if desc:
            # largest first, ties in original order: negate the index so heapq.nlargest keeps it stable
            picked = [r for _, _, r in heapq.nlargest(room, ((k, -i, r) for k, i, r in values),
                                                      key=lambda t: (t[0], t[1]))]
        else:
            picked = [r for _, _, r in heapq.nsmallest(room, values, key=lambda t: (t[0], t[1]))]
    except TypeError:
        return sort_rows(rows, order, ctx)
    return nulls + picked if nulls_first else (picked + nulls)[:wanted]


def render(node: Node, type_name: str, record: dict, ctx: RunContext) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {"type": type_name,
                                          "url": f"/services/data/v{ctx.version}/sobjects/{type_name}/{record['Id']}"}}
    for key, item in node.items.items():
        if isinstance(item, Leaf):
            out[key] = item.getter(record, ctx)
        elif isinstance(item, TypeLeaf):
            out[key] = name_object_value(ctx.schema.get(type_name), record, item.name)
        elif isinstance(item, Parent):
            out[key] = _render_parent(item, record, ctx)
        elif isinstance(item, Children):
            out[key] = _render_children(item, record, ctx)
    return out


def _render_parent(item: Parent, record: dict, ctx: RunContext) -> dict | None:
    ref = record.get(item.field_name)
    found = ctx.lookup(ref) if ref else None
    if found is None or found[1].get("IsDeleted") or found[0].name not in item.targets:
        return None
    obj, parent = found
    node = item.node
    if item.by_type is not None:
        node = item.by_type.get(obj.name) or item.default or Node()
    return render(node, obj.name, parent, ctx)


def _render_children(item: Children, record: dict, ctx: RunContext) -> dict | None:
    plan, source = item.plan, ctx.source
    type_name = plan.obj.name
    if source.indexed(type_name, item.field_name):
        ids = source.lookup_index(type_name, item.field_name, record["Id"])
        rows: Iterable[dict] = [r for i in sorted(ids) if (r := source.get(type_name, i)) is not None]
    else:
        rows = (r for r in source.records(type_name) if r.get(item.field_name) == record["Id"])
    children = list(matching_records(plan, ctx, rows))
    if plan.order:
        children = sort_rows(children, plan.order, ctx)
    children = _page(children, plan)
    if not children:
        return None
    return {"totalSize": len(children), "done": True,
            "records": [render(plan.node, type_name, r, ctx) for r in children]}


# -- aggregates ------------------------------------------------------------------------------------
def _grouping_sets(count: int, kind: str) -> list[tuple[bool, ...]]:
    """Which group keys each level keeps: all; plus ROLLUP's prefixes or CUBE's subsets."""
    full = tuple([True] * count)
    if kind == "ROLLUP":
        return [tuple([True] * k + [False] * (count - k)) for k in range(count, -1, -1)]
    if kind == "CUBE":
        return sorted({tuple(c) for c in itertools.product([True, False], repeat=count)}, key=lambda m: -sum(m))
    return [full]


def _aggregate_value(func: str, values: list, bound) -> Any:
    present = [v for v in values if v is not None]
    if func == "COUNT":
        return len(present) if bound is not None else len(values)
    if func == "COUNT_DISTINCT":
        return len({v.casefold() if isinstance(v, str) else v for v in present})
    if not present:
        return None
    if func == "SUM":
        return sum(present)
    if func == "AVG":
        return sum(present) / len(present)
    if func == "MIN":
        return min(present)
    if func == "MAX":
        return max(present)
    raise AssertionError(func)


def aggregate(plan: Plan, ctx: RunContext) -> list[dict]:
    agg: Aggregation = plan.aggregation  # type: ignore[assignment]
    records = list(matching_records(plan, ctx))
    key_getters = [(name, getter) for name, getter, _ in agg.keys]
    rows: list[dict] = []
    for mask in _grouping_sets(len(key_getters), agg.kind):
        groups: dict[tuple, list[dict]] = {}
        for record in records:
            key = tuple(_group_key(g(record, ctx)) if keep else None for (_, g), keep in zip(key_getters, mask))
            groups.setdefault(key, []).append(record)
        if not key_getters and not groups:
            groups[()] = []
        for key, members in groups.items():
            row: dict[Any, Any] = {}
            for (name, getter), keep, value in zip(key_getters, mask, key):
                row[("KEY", name)] = getter(members[0], ctx) if keep and members else None
                row[("GROUPING", name)] = 0 if keep else 1  # GROUPING(): 1 on a subtotal row for this key
            for name, func, getter, bound in agg.outputs:
                if func.startswith("GROUPING:"):
                    row[name] = row[("GROUPING", func[9:])]
                elif func.startswith("GROUP:"):
                    row[name] = row.get(("KEY", func[6:]))
                else:
                    values = [getter(r, ctx) for r in members] if getter is not None else [None] * len(members)
                    row[name] = _aggregate_value(func, values, bound)
            if agg.having is None or agg.having(row, ctx):
                rows.append(row)
    if plan.order:
        rows = sort_rows(rows, plan.order, ctx)
    rows = _page(rows, plan)
    out = []
    for row in rows:
        record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for name, *_ in agg.outputs:
            if isinstance(name, str):
                record[name] = row[name]
        out.append(record)
    return out


def _group_key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value
