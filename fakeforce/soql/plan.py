"""A parsed query bound to the schema and compiled: predicates, sort keys, what to render, which index to use.

Pure: nothing here reads records. ``execute`` runs a plan over a record source.
"""

from __future__ import annotations

from typing import Any

from ..records import compound_value
from ..schema import Schema, SObject
from . import ast
from .dates import DATE_FUNCTIONS, date_function_getter as _date_function
from .errors import located, malformed
from .geo import distance_getter, distance_parts
from .fields import Bound, PathResolver, read
from .filters import ConditionCompiler, Getter, Predicate, RunContext
from .shapes import Aggregation, Children, Leaf, Node, Parent, Plan, TypeLeaf

__all__ = ["Aggregation", "Children", "Compiler", "Leaf", "Node", "Parent", "Plan", "TypeLeaf", "compile_query"]

AGGREGATES = {"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"}
WRAPPERS = {"TOLABEL", "FORMAT", "CONVERTCURRENCY", "CONVERTTIMEZONE"}
FIELDS_LIMIT = 200
ALIASABLE = {"FORMAT", "CONVERTCURRENCY", "DISTANCE"}  # the functions a non-aggregate SELECT may alias (SOQL docs)


class Compiler:
    def __init__(self, schema: Schema, soql: str) -> None:
        self.schema = schema
        self.soql = soql

    # -- expressions -------------------------------------------------------------------------------
    def bind_expr(self, paths: PathResolver, expr: ast.Expr, *, allow_aggregate: bool = False) -> tuple[Getter, Bound]:
        if isinstance(expr, ast.Path):
            bound = paths.bind(expr.parts, expr.pos)
            if not bound.steps:
                name = bound.name
                if bound.compound_of is None and (bound.field is None or name != "Type"):
                    return (lambda r, ctx, n=name: r.get(n)), bound
            return (lambda r, ctx, b=bound: read(b, r, ctx.lookup)), bound
        name = expr.name
        if name in DATE_FUNCTIONS:
            arg = expr.args[0] if len(expr.args) == 1 else None
            local = isinstance(arg, ast.Call) and arg.name == "CONVERTTIMEZONE" and len(arg.args) == 1
            if local:  # convertTimezone(): the user's time zone; without it a date function reads UTC
                arg = arg.args[0]  # type: ignore[union-attr]
            if not isinstance(arg, ast.Path):
                raise malformed(f"unexpected token: '{name}'", self.soql, expr.pos)
            inner, bound = self.bind_expr(paths, arg)
            if local and bound.kind != "datetime":
                raise located("INVALID_FIELD", f"convertTimezone() can only be used on dateTime fields: "
                              f"{bound.name}", self.soql, expr.pos)
            if bound.kind not in ("date", "datetime") or (name in ("DAY_ONLY", "HOUR_IN_DAY")
                                                           and bound.kind != "datetime"):
                raise located("INVALID_FIELD", f"field '{bound.name}' does not support the date function {name}",
                              self.soql, expr.pos)
            out_type = "date" if name == "DAY_ONLY" else "int"
            return _date_function(name, inner, local), Bound(bound.steps, bound.name, out_type, None, bound.keys)
        if name == "DISTANCE":
            field, point, unit = distance_parts(expr, self.soql)
            bound = paths.bind(field.parts, field.pos)
            if bound.field is None or bound.field.type != "location" or bound.steps:
                raise located("INVALID_FIELD", f"DISTANCE() needs a geolocation field: {field.parts[-1]}",
                              self.soql, field.pos)
            location = (lambda r, ctx, b=bound, o=paths.obj: compound_value(o, r, b.field))
            return distance_getter(location, point, unit), Bound((), "DISTANCE", "double", None, ("expr0",))
        if name == "CONVERTTIMEZONE":  # "you can only use convertTimezone() in a date function"
            raise malformed(f"unexpected token: '{name.lower()}'", self.soql, expr.pos)
        if name in WRAPPERS:
            if not expr.args:
                raise malformed(f"unexpected token: '{name}'", self.soql, expr.pos)
            return self.bind_expr(paths, expr.args[0])  # type: ignore[arg-type]
        if name in AGGREGATES and not allow_aggregate:
            raise malformed(f"Aggregate functions are not supported here: {name}", self.soql, expr.pos)
        raise malformed(f"unexpected token: '{name}'", self.soql, expr.pos)

    # -- the query ---------------------------------------------------------------------------------
    def compile(self, q: ast.Query, *, parent_obj: SObject | None = None) -> tuple[Plan, str | None]:
        """The plan of a query; for a child subquery also the child's field that points at the parent."""
        child_field = None
        if parent_obj is not None:
            rel = parent_obj.child_relationship(q.sobject)
            obj = self.schema.get(rel["childSObject"]) if rel and rel.get("relationshipName") else None
            if obj is None:
                raise located("INVALID_TYPE", f"Didn't understand relationship '{q.sobject}' in FROM part of query "
                              "call. If you are attempting to use a custom relationship, be sure to append the '__r' "
                              "after the custom relationship name. Please reference your WSDL or the describe call "
                              "for the appropriate names.", self.soql, q.sobject_pos)
            child_field = rel["field"]
        else:
            obj = self.schema.get(q.sobject)
            if obj is None or not obj.properties.get("queryable", True):
                raise located("INVALID_TYPE", f"sObject type '{q.sobject}' is not supported. If you are attempting "
                              "to use a custom object, be sure to append the '__c' after the entity name. Please "
                              "reference your WSDL or the describe call for the appropriate names.", self.soql,
                              q.sobject_pos)
        paths = PathResolver(self.schema, obj, q.alias, self.soql)
        paths.rel_aliases = {a.lower(): p for a, p in q.relationship_aliases}
        if q.sobject_prefix is not None and parent_obj is not None \
                and q.sobject_prefix.lower() != parent_obj.name.lower():
            raise located("INVALID_TYPE", f"Didn't understand relationship '{q.sobject_prefix}.{q.sobject}' in FROM "
                          "part of query call.", self.soql, q.sobject_pos)
        plan = Plan(obj=obj, soql=self.soql, node=Node(), limit=q.limit, offset=q.offset,
                    scope_mine=(q.scope == "mine"))
        if q.offset is not None and parent_obj is not None:
            raise malformed("unexpected token: 'OFFSET'", self.soql, q.sobject_pos)

        aggregate = bool(q.group_by) or any(isinstance(_unwrap(i.expr), ast.Call) and _unwrap(i.expr).name
                                            in AGGREGATES for i in q.select)
        if aggregate:
            self._aggregate(plan, q, paths)
        else:
            self._select(plan, q, paths, obj)

        semi = ConditionCompiler(self.soql, lambda e: self.bind_expr(paths, e), self._semi_join(plan, paths))
        if q.where is not None:
            plan.predicate = semi.compile(q.where)
            plan.index_hints = self._index_hints(q.where, paths, semi)
        if not aggregate:
            for item in q.order_by:
                getter, bound = self.bind_expr(paths, item.expr)
                if bound.field is not None and bound.describe("sortable", True) is False:
                    raise located("INVALID_FIELD", f"field '{bound.name}' can not be sorted in a query call",
                                  self.soql, getattr(item.expr, "pos", 0))
                plan.order.append((getter, bound.kind, item.desc, item.nulls_first))
                if len(q.order_by) == 1 and isinstance(item.expr, ast.Path) and not bound.steps \
                        and bound.compound_of is None and bound.field is not None and bound.name != "Type":
                    plan.order_field = bound.name
        return plan, child_field

    def _semi_join(self, plan: Plan, paths: PathResolver):
        def make(cond: ast.InQuery):
            sub = cond.query
            if len(sub.select) != 1 or not isinstance(sub.select[0].expr, ast.Path):
                raise malformed("semi join sub-selects can only select one field", self.soql, cond.left.pos)
            sub_plan, _ = self.compile(sub)
            getter, bound = self.bind_expr(PathResolver(self.schema, sub_plan.obj, sub.alias, self.soql),
                                           sub.select[0].expr)
            if bound.kind != "id":
                raise located("INVALID_FIELD", "semi join sub selects can only select an ID field", self.soql,
                              sub.select[0].expr.pos)
            key = id(sub_plan)

            def ids(ctx: RunContext) -> set[str]:
                cache_key = ("semi", key)
                if cache_key not in ctx.cache:
                    from .execute import matching_records

                    ctx.cache[cache_key] = {v for r in matching_records(sub_plan, ctx)
                                            if (v := getter(r, ctx)) is not None}
                return ctx.cache[cache_key]

            return ids

        return make

    def _index_hints(self, cond: ast.Condition, paths: PathResolver, compiler: ConditionCompiler):
        """Top-level ``field = value`` / ``field IN (...)`` conjuncts that an index can answer."""
        items = cond.items if isinstance(cond, ast.And) else (cond,)
        hints = []
        for item in items:
            if isinstance(item, ast.Compare) and item.op == "=" and isinstance(item.left, ast.Path):
                bound = paths.bind(item.left.parts, item.left.pos)
                if not bound.steps and bound.field is not None:
                    value = compiler.normalise(bound, item.right)
                    if value is not None and not isinstance(value, ast.Value):
                        hints.append((bound.name, [value]))
            elif isinstance(item, ast.InList) and not item.negated and isinstance(item.left, ast.Path):
                bound = paths.bind(item.left.parts, item.left.pos)
                if not bound.steps and bound.field is not None:
                    values = [compiler.normalise(bound, v) for v in item.values]
                    if any(isinstance(v, ast.Value) for v in values):  # a date literal is a range, not a key
                        continue
                    hints.append((bound.name, [v for v in values if v is not None]))
        return hints

    # -- plain SELECT lists ------------------------------------------------------------------------
    def _select(self, plan: Plan, q: ast.Query, paths: PathResolver, obj: SObject) -> None:
        seen: set[tuple[str, ...]] = set()

        def place(keys: tuple[str, ...], leaf: Any, steps=(), pos: int = 0) -> None:
            lowered = tuple(k.lower() for k in keys)
            if lowered in seen:
                raise located("INVALID_FIELD", f"duplicate field selected: {'.'.join(keys)}", self.soql, pos)
            seen.add(lowered)
            node = plan.node
            for step in steps:
                existing = node.items.get(step.relationship)
                if not isinstance(existing, Parent):
                    existing = Parent(step.field_name, step.targets, Node())
                    node.items[step.relationship] = existing
                node = existing.node
            node.items[keys[-1]] = leaf

        for item in q.select:
            expr = item.expr
            if item.alias and not (isinstance(expr, ast.Call) and expr.name in ALIASABLE):
                raise malformed(f"unexpected token: '{item.alias}'", self.soql, getattr(expr, "pos", 0))
            if isinstance(expr, ast.Query):
                child_plan, child_field = self.compile(expr, parent_obj=obj)
                rel = obj.child_relationship(expr.sobject)
                place((rel["relationshipName"],), Children(child_plan, child_field), (), expr.sobject_pos)
            elif isinstance(expr, ast.FieldsAll):
                if expr.kind not in ("ALL", "STANDARD", "CUSTOM"):
                    raise malformed(f"unexpected token: '{expr.kind}'", self.soql, expr.pos)
                if expr.kind != "STANDARD" and (q.limit is None or q.limit > FIELDS_LIMIT):
                    raise malformed(f"The SOQL FIELDS function must have a LIMIT of at most {FIELDS_LIMIT}",
                                    self.soql, expr.pos)
                for f in obj.fields:
                    if expr.kind == "ALL" or (expr.kind == "CUSTOM") == f.describe.get("custom", False):
                        place((f.name,), Leaf((lambda r, ctx, c=f: compound_value(obj, r, c)) if f.type in
                                              ("address", "location") else (lambda r, ctx, n=f.name: r.get(n))),
                              (), expr.pos)
            elif isinstance(expr, ast.TypeOf):
                self._typeof(plan, expr, paths, place)
            elif isinstance(expr, ast.Call):
                if expr.name in AGGREGATES:
                    raise AssertionError("aggregate handled elsewhere")
                getter, bound = self.bind_expr(paths, expr)
                if item.alias:  # FORMAT(Amount) Amt: the alias is the key, at the top of the record
                    place((item.alias,), Leaf(getter), (), expr.pos)
                else:
                    place(bound.keys, Leaf(getter), bound.steps, expr.pos)
            else:
                getter, bound = self.bind_expr(paths, expr)
                if bound.field is None:
                    leaf: Any = TypeLeaf(bound.name)
                elif bound.steps and bound.compound_of is not None:  # an address built on the parent record
                    leaf = Leaf(lambda r, ctx, b=bound: compound_value(b.compound_of, r, b.field))
                elif bound.steps:  # rendered on the parent record itself
                    leaf = Leaf(lambda r, ctx, n=bound.name: r.get(n))
                else:
                    leaf = Leaf(getter)
                place(bound.keys, leaf, bound.steps, expr.pos)

    def _typeof(self, plan: Plan, expr: ast.TypeOf, paths: PathResolver, place) -> None:
        step, _ = paths.relationship(expr.field.parts, expr.pos)
        if len(step.targets) < 2:
            raise located("INVALID_FIELD", f"TYPEOF can only be used on polymorphic relationships: "
                          f"{step.relationship}", self.soql, expr.pos)
        by_type: dict[str, Node] = {}
        for type_name, fields in expr.whens:
            target = self.schema.get(type_name)
            if target is None or target.name not in step.targets:
                raise located("INVALID_TYPE", f"sObject type '{type_name}' is not supported in TYPEOF "
                              f"{step.relationship}", self.soql, expr.pos)
            by_type[target.name] = self._sub_node(PathResolver(self.schema, target, None, self.soql), fields)
        default = None
        if expr.default:
            default = Node()
            for path in expr.default:
                from .fields import NAME_OBJECT_FIELDS

                name = next((n for n in NAME_OBJECT_FIELDS if n.lower() == path.parts[-1].lower()), None)
                if name is None or len(path.parts) != 1:
                    raise paths.no_such_column(path.parts[-1], "Name", path.pos)
                default.items[name] = TypeLeaf(name)
        place((step.relationship,), Parent(step.field_name, step.targets, Node(), by_type, default), (), expr.pos)

    def _sub_node(self, paths: PathResolver, fields: tuple[ast.Path, ...]) -> Node:
        node = Node()
        for path in fields:
            getter, bound = self.bind_expr(paths, path)
            current = node
            for step in bound.steps:
                existing = current.items.get(step.relationship)
                if not isinstance(existing, Parent):
                    existing = Parent(step.field_name, step.targets, Node())
                    current.items[step.relationship] = existing
                current = existing.node
            current.items[bound.name] = TypeLeaf(bound.name) if bound.field is None else \
                Leaf(lambda r, ctx, n=bound.name: r.get(n))
        return node

    # -- aggregate queries -------------------------------------------------------------------------
    def _aggregate(self, plan: Plan, q: ast.Query, paths: PathResolver) -> None:
        items = q.select
        if any(isinstance(i.expr, ast.Call) and i.expr.name == "COUNT" and not i.expr.args for i in items):
            if len(items) != 1:
                raise malformed("COUNT() must be the only element in the SELECT list.", self.soql,
                                getattr(items[0].expr, "pos", 0))
            plan.count_only = True
            if not q.group_by:
                return
        keys: list[tuple[str, Getter, Bound | None]] = []
        group_exprs = []
        for expr in q.group_by:
            getter, bound = self.bind_expr(paths, expr)
            if bound.field is not None and bound.describe("groupable", True) is False:
                raise located("INVALID_FIELD", f"field '{bound.name}' can not be grouped in a query call",
                              self.soql, getattr(expr, "pos", 0))
            keys.append((_expr_key(expr), getter, bound))
            group_exprs.append(_expr_key(expr))
        outputs = []
        counter = 0
        for item in items:
            expr = _unwrap(item.expr)
            if isinstance(expr, ast.Call) and expr.name == "GROUPING":
                key = self._grouping_key(expr, q, group_exprs)
                name = item.alias or f"expr{counter}"
                if not item.alias:
                    counter += 1
                outputs.append((name, "GROUPING:" + key, None, None))
            elif isinstance(expr, ast.Call) and expr.name in AGGREGATES:
                getter = bound = None
                if expr.args:
                    getter, bound = self.bind_expr(paths, expr.args[0])
                    if expr.name in ("SUM", "AVG") and bound.kind != "number":
                        raise located("INVALID_FIELD", f"field {bound.name} does not support aggregate operator "
                                      f"{expr.name}", self.soql, expr.pos)
                name = item.alias or f"expr{counter}"
                if not item.alias:
                    counter += 1
                outputs.append((name, expr.name, getter, bound))
            elif isinstance(expr, (ast.Path, ast.Call)):
                key = _expr_key(expr)
                if key not in group_exprs:
                    label = ".".join(expr.parts) if isinstance(expr, ast.Path) else expr.name
                    raise malformed(f"Field must be grouped or aggregated: {label}", self.soql, expr.pos)
                getter, bound = self.bind_expr(paths, expr)
                if isinstance(expr, ast.Call):
                    name = item.alias or f"expr{counter}"
                    if not item.alias:
                        counter += 1
                else:
                    name = item.alias or bound.name
                outputs.append((name, "GROUP:" + key, getter, bound))
            else:
                raise malformed("unexpected token in an aggregate query", self.soql, getattr(expr, "pos", 0))
        plan.aggregation = Aggregation(keys, outputs, q.group_kind)
        if q.having is not None:
            plan.aggregation.having = self._having(q.having, paths, plan.aggregation)
        for item in q.order_by:
            plan.order.append((self._group_value(item.expr, paths, plan.aggregation), "", item.desc,
                               item.nulls_first))

    def _group_value(self, expr: ast.Expr, paths: PathResolver, agg: Aggregation) -> Getter:
        """A getter over one aggregated row (a dict of group keys and aggregate values) for HAVING/ORDER BY."""
        expr = _unwrap(expr)
        key = _expr_key(expr)
        if isinstance(expr, ast.Call) and expr.name == "GROUPING":
            slot = ("GROUPING", self._grouping_key(expr, None, [k[0] for k in agg.keys], agg.kind))
            return lambda row, ctx: row.get(slot)
        if isinstance(expr, ast.Call) and expr.name in AGGREGATES:
            getter = bound = None
            if expr.args:
                getter, bound = self.bind_expr(paths, expr.args[0])
            slot = ("AGG", key)
            if all(o[0] != slot for o in agg.outputs):
                agg.outputs.append((slot, expr.name, getter, bound))  # hidden: computed, not rendered
            return lambda row, ctx: row.get(slot)
        if key not in [k[0] for k in agg.keys]:
            raise malformed(f"Field must be grouped or aggregated: {key}", self.soql, getattr(expr, "pos", 0))
        return lambda row, ctx: row.get(("KEY", key))

    def _grouping_key(self, expr: ast.Call, q: ast.Query | None, group_exprs: list[str], kind: str = "") -> str:
        """GROUPING(field): the field must be a group key of a ROLLUP or CUBE (SOQL's GROUPING() page)."""
        kind = q.group_kind if q is not None else kind
        if len(expr.args) != 1 or not isinstance(expr.args[0], ast.Path):
            raise malformed("unexpected token: 'GROUPING'", self.soql, expr.pos)
        key = _expr_key(expr.args[0])
        if not kind:
            raise malformed("GROUPING() can only be used with GROUP BY ROLLUP or CUBE", self.soql, expr.pos)
        if key not in group_exprs:
            raise malformed(f"Field must be grouped or aggregated: {'.'.join(expr.args[0].parts)}", self.soql,
                            expr.pos)
        return key

    def _having(self, cond: ast.Condition, paths: PathResolver, agg: Aggregation):
        def bind(expr: ast.Expr):
            getter = self._group_value(expr, paths, agg)
            if isinstance(expr, ast.Call) and expr.name in ("COUNT", "COUNT_DISTINCT", "GROUPING"):
                return getter, Bound((), expr.name, "int", None, ())
            if isinstance(expr, ast.Call) and expr.name in AGGREGATES and expr.args:
                _, bound = self.bind_expr(paths, expr.args[0])
                return getter, bound
            return getter, self.bind_expr(paths, expr)[1]

        return ConditionCompiler(self.soql, bind).compile(cond)


def _unwrap(expr: Any) -> Any:
    """FORMAT(MIN(CloseDate)) and convertCurrency(SUM(Amount)) aggregate like the aggregate they wrap."""
    if isinstance(expr, ast.Call) and expr.name in ALIASABLE and len(expr.args) == 1 \
            and isinstance(expr.args[0], ast.Call) and _unwrap(expr.args[0]).name in AGGREGATES:
        return _unwrap(expr.args[0])
    return expr


def _expr_key(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Path):
        return ".".join(p.lower() for p in expr.parts)
    return f"{expr.name}({','.join(_expr_key(a) for a in expr.args)})"


def compile_query(schema: Schema, q: ast.Query) -> Plan:
    plan, _ = Compiler(schema, q.text).compile(q)
    return plan

