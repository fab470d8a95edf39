"""``/query?q=...&columns=true``: a query's column metadata instead of its records.

The Salesforce CLI (``sf data query``) asks for this after the records to lay out its table: it reads
``columnMetadata`` and walks ``joinColumns`` (a parent relationship's fields, or a child subquery's when the
column is ``aggregate``); an aggregate column without ``joinColumns`` is a function, shown by its
``displayName`` and keyed by ``columnName`` (``expr0``... or its alias). Built from the compiled plan, so it
names exactly the keys the records carry; nothing is read from the store.
"""

from __future__ import annotations

import re
from typing import Any

from ..schema import Field, Schema, SObject
from .fields import NAME_OBJECT_FIELDS, NUMBER_TYPES, TEXT_TYPES
from .plan import Children, Leaf, Node, Parent, Plan, TypeLeaf

APEX_TYPES = {
    "id": "Id", "reference": "Id", "boolean": "Boolean", "int": "Integer", "long": "Long", "double": "Double",
    "currency": "Double", "percent": "Double", "date": "Date", "datetime": "Datetime", "time": "Time",
    "address": "Address", "location": "Location", "base64": "Blob", "multipicklist": "String",
}
FUNCTION_TYPES = {"COUNT": "Integer", "COUNT_DISTINCT": "Integer"}


def column_metadata(schema: Schema, plan: Plan, group_by: bool) -> dict[str, Any]:
    """The whole answer: the columns and what the org says about the query's root object."""
    if plan.aggregation is not None:
        columns = _aggregate_columns(plan)
    elif plan.count_only:
        columns = []
    else:
        columns = _node_columns(schema, plan.node, plan.obj, "")
    return {"columnMetadata": columns, "entityName": plan.obj.name, "groupBy": group_by,
            "idSelected": "Id" in plan.node.items, "keyPrefix": plan.obj.key_prefix}


def _column(name: str, display: str, field_type: str | None, field: Field | None, *, aggregate: bool = False,
            apex_type: str | None = None, joins: list[dict] | None = None) -> dict[str, Any]:
    describe = field.describe if field is not None else {}
    return {
        "aggregate": aggregate,
        "apexType": apex_type if apex_type is not None or field_type is None
        else APEX_TYPES.get(field_type, "String"),
        "booleanType": field_type == "boolean",
        "columnName": name,
        "custom": bool(describe.get("custom", False)),
        "displayName": display,
        "foreignKeyName": None,
        "insertable": bool(describe.get("createable", False)),
        "joinColumns": joins or [],
        "numberType": field_type in NUMBER_TYPES,
        "textType": field_type in TEXT_TYPES or field_type == "multipicklist",
        "updatable": bool(describe.get("updateable", False)),
    }


def _node_columns(schema: Schema, node: Node, obj: SObject | None, prefix: str) -> list[dict[str, Any]]:
    out = []
    for key, item in node.items.items():
        display = prefix + key
        if isinstance(item, Leaf):
            field = obj.field(key) if obj is not None else None
            out.append(_column(key, display, field.type if field is not None else None, field))
        elif isinstance(item, TypeLeaf):
            out.append(_column(key, display, NAME_OBJECT_FIELDS.get(key, "string"), None))
        elif isinstance(item, Parent):
            target = schema.get(item.targets[0]) if len(item.targets) == 1 else None
            joins = _node_columns(schema, item.node, target, display + ".")
            for branch in (item.by_type or {}).values():  # TYPEOF: every branch's fields, once each
                seen = {c["columnName"] for c in joins}
                joins += [c for c in _node_columns(schema, branch, None, display + ".") if c["columnName"] not in seen]
            out.append(_column(key, display, None, None, apex_type=target.name if target else None, joins=joins))
        elif isinstance(item, Children):
            joins = _node_columns(schema, item.plan.node, item.plan.obj, "")
            out.append(_column(key, display, None, None, aggregate=True, joins=joins))
    return out


def _aggregate_columns(plan: Plan) -> list[dict[str, Any]]:
    assert plan.aggregation is not None
    out = []
    for name, function, _getter, bound in plan.aggregation.outputs:
        if function.startswith("GROUP:"):
            field = bound.field if bound is not None else None
            field_type = bound.type if bound is not None else None
            out.append(_column(name, name, field_type, field))
            continue
        argument = bound.name if bound is not None else ""
        display = f"{function}({argument})" if re.fullmatch(r"expr\d+", name) else name
        if function in FUNCTION_TYPES:
            apex = FUNCTION_TYPES[function]
        elif bound is not None:
            apex = "Double" if function == "AVG" else APEX_TYPES.get(bound.type, "String")
        else:
            apex = "Integer"
        field_type = "int" if function in FUNCTION_TYPES else ("double" if function == "AVG" else
                                                               bound.type if bound is not None else None)
        out.append(_column(name, display, field_type, None, aggregate=True, apex_type=apex))
    return out
