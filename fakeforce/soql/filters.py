"""WHERE and HAVING conditions compiled into predicates, with Salesforce's checks of each filter value."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Callable

from .. import formats
from ..ids import to18
from . import ast
from .errors import located, malformed, unexpected
from .fields import Bound

Getter = Callable[[Any, "RunContext"], Any]
Predicate = Callable[[Any, "RunContext"], bool]


class RunContext:
    """What a running query needs besides the records: the clock, the time zone and per-run caches."""

    def __init__(self, now: datetime, tz, lookup, source, include_deleted: bool = False, user_id: str = "",
                 version: str = "62.0", schema=None) -> None:
        self.schema = schema
        self.now = now
        self.tz = tz
        self.lookup = lookup
        self.source = source
        self.include_deleted = include_deleted
        self.user_id = user_id
        self.version = version
        self.cache: dict[Any, Any] = {}


def _check_range(name: str, n: int | None, value: ast.Value, soql: str) -> None:
    """A literal whose range falls outside years 1..9999 (``LAST_N_DAYS:99999999999``) is refused when the
    query is compiled, whatever rows there are, rather than when the first row is compared."""
    from .dates import DateLiteralError, local_days

    try:
        local_days(name, n, date.today())
    except DateLiteralError as exc:
        raise malformed(str(exc), soql, value.pos) from None


def literal_range(ctx: RunContext, name: str, n: int | None) -> tuple[str, str, str, str]:
    """A date literal's [start, end) as datetime strings and as date strings, computed once per run."""
    key = ("literal", name, n)
    if key not in ctx.cache:
        from .dates import literal_range as compute

        start, end = compute(name, n, ctx.now, ctx.tz)
        ctx.cache[key] = (formats.format_datetime(start), formats.format_datetime(end),
                          start.astimezone(ctx.tz).date().isoformat(), end.astimezone(ctx.tz).date().isoformat())
    return ctx.cache[key]


def like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "%_\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _type_word(kind: str, field_type: str) -> str:
    return {"text": "string", "number": "integer" if field_type in ("int", "long") else "double",
            "boolean": "boolean", "date": "date", "datetime": "dateTime"}.get(kind, "string")


class ConditionCompiler:
    """Compiles conditions of one query level; ``bind(expr)`` gives (getter, Bound) for its expressions."""

    def __init__(self, soql: str, bind: Callable[[ast.Expr], tuple[Getter, Bound]],
                 semi_join: Callable[[ast.InQuery], Callable[["RunContext"], set[str]]] | None = None) -> None:
        self.soql = soql
        self.bind = bind
        self.semi_join = semi_join

    def compile(self, cond: ast.Condition) -> Predicate:
        if isinstance(cond, ast.And):
            parts = [self.compile(c) for c in cond.items]
            return lambda r, ctx: all(p(r, ctx) for p in parts)
        if isinstance(cond, ast.Or):
            parts = [self.compile(c) for c in cond.items]
            return lambda r, ctx: any(p(r, ctx) for p in parts)
        if isinstance(cond, ast.Not):
            inner = self.compile(cond.item)
            return lambda r, ctx: not inner(r, ctx)
        if isinstance(cond, ast.Compare):
            return self._compare(cond)
        if isinstance(cond, ast.InList):
            return self._in_list(cond)
        if isinstance(cond, ast.InQuery):
            return self._in_query(cond)
        if isinstance(cond, ast.Includes):
            return self._includes(cond)
        raise AssertionError(cond)

    # -- values --------------------------------------------------------------------------------------
    def _check_filterable(self, bound: Bound, pos: int) -> None:
        if bound.field is not None and bound.describe("filterable", True) is False:
            raise located("INVALID_FIELD", f"field '{bound.name}' can not be filtered in a query call", self.soql, pos)

    def normalise(self, bound: Bound, value: ast.Value) -> Any:
        """The filter value in the form stored values take, or Salesforce's complaint about its type."""
        kind = bound.kind
        if value.kind == "null":
            return None
        if kind in ("date", "datetime") and value.kind == "date_literal":
            name, n = value.value
            from .dates import LITERALS, LITERALS_WITH_N

            if name not in (LITERALS if n is None else LITERALS_WITH_N):
                raise unexpected(value.text, self.soql, value.pos)
            _check_range(name, n, value, self.soql)
            return value
        if value.kind == "currency":  # USD5000: only a currency field takes a currency literal
            if bound.type != "currency":
                raise located("INVALID_FIELD", f"value of filter criterion for field '{bound.name}' must be of "
                              f"type {_type_word(kind, bound.type)}", self.soql, value.pos)
            return value.value
        expected = {"text": "string", "id": "string", "multipicklist": "string", "number": "number",
                    "boolean": "boolean", "date": "date", "datetime": "datetime", "other": "string"}[kind]
        if value.kind != expected:
            quoted = "should be enclosed in quotes" if expected == "string" else "should not be enclosed in quotes"
            raise located("INVALID_FIELD", f"value of filter criterion for field '{bound.name}' must be of type "
                          f"{_type_word(kind, bound.type)} and {quoted}", self.soql, value.pos)
        if kind == "id":
            try:
                return to18(value.value)
            except ValueError:
                if value.value == "":
                    return None
                raise located("INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {value.value}", self.soql,
                              value.pos) from None
        if kind in ("text", "other", "multipicklist"):
            return value.value.casefold()
        return value.value

    @staticmethod
    def key(kind: str, stored: Any) -> Any:
        """Stored values in comparable form (text case-insensitive)."""
        if stored is None:
            return None
        if kind in ("text", "other", "multipicklist") and isinstance(stored, str):
            return stored.casefold()
        return stored

    # -- operators -----------------------------------------------------------------------------------
    def _compare(self, cond: ast.Compare) -> Predicate:
        get, bound = self.bind(cond.left)
        pos = getattr(cond.left, "pos", 0)
        self._check_filterable(bound, pos)
        kind = bound.kind
        if cond.op == "LIKE":
            if kind not in ("text", "id", "other") or cond.right.kind != "string":
                raise located("INVALID_FIELD", f"invalid operator on {bound.type} field: LIKE" if kind not in
                              ("text", "id", "other") else f"value of filter criterion for field '{bound.name}' must "
                              "be of type string and should be enclosed in quotes", self.soql, cond.right.pos)
            regex = like_regex(cond.right.value)
            return lambda r, ctx: (v := get(r, ctx)) is not None and regex.fullmatch(str(v)) is not None
        want = self.normalise(bound, cond.right)
        op = cond.op
        if isinstance(want, ast.Value):  # a date literal: a range
            name, n = want.value
            date_field = kind == "date"

            def in_range(r, ctx) -> bool:
                v = get(r, ctx)
                if v is None:
                    return op == "!="
                start_dt, end_dt, start_d, end_d = literal_range(ctx, name, n)
                lo, hi = (start_d, end_d) if date_field else (start_dt, end_dt)
                return {"=": lo <= v < hi, "!=": not lo <= v < hi, "<": v < lo, "<=": v < hi,
                        ">": v >= hi, ">=": v >= lo}[op]

            return in_range
        if kind == "multipicklist" and op in ("=", "!="):
            wanted = frozenset(p.strip() for p in want.split(";")) if want is not None else None

            def multi(r, ctx) -> bool:
                v = get(r, ctx)
                have = frozenset(p.strip() for p in v.casefold().split(";")) if v else None
                return (have == wanted) == (op == "=")

            return multi
        if want is None:
            if op == "=":
                return lambda r, ctx: get(r, ctx) is None
            if op == "!=":
                return lambda r, ctx: get(r, ctx) is not None
            return lambda r, ctx: False
        key = self.key
        tests = {"=": lambda a: a == want, "!=": lambda a: a != want, "<": lambda a: a < want,
                 "<=": lambda a: a <= want, ">": lambda a: a > want, ">=": lambda a: a >= want}
        test = tests[op]
        if op == "!=":
            return lambda r, ctx: (v := get(r, ctx)) is None or test(key(kind, v))
        return lambda r, ctx: (v := get(r, ctx)) is not None and test(key(kind, v))

    def _in_list(self, cond: ast.InList) -> Predicate:
        get, bound = self.bind(cond.left)
        self._check_filterable(bound, getattr(cond.left, "pos", 0))
        normalised = [self.normalise(bound, v) for v in cond.values]
        literals = tuple(v.value for v in normalised if isinstance(v, ast.Value))
        values = {v for v in normalised if not isinstance(v, ast.Value)}
        kind, key, negated = bound.kind, self.key, cond.negated
        if not literals:
            return lambda r, ctx: (key(kind, get(r, ctx)) in values) != negated
        # ``CreatedDate IN (TODAY, LAST_N_DAYS:7)``: a value matches a date literal when it falls in its range.
        # Not on the IN page, but reported as valid against orgs (soql-parser-js #92, Moxygen #125).
        date_field = kind == "date"

        def within(r, ctx) -> bool:
            v = get(r, ctx)
            if v is None:
                return None in values
            for name, n in literals:
                start_dt, end_dt, start_d, end_d = literal_range(ctx, name, n)
                lo, hi = (start_d, end_d) if date_field else (start_dt, end_dt)
                if lo <= v < hi:
                    return True
            return v in values

        return lambda r, ctx: within(r, ctx) != negated

    def _in_query(self, cond: ast.InQuery) -> Predicate:
        get, bound = self.bind(cond.left)
        if bound.kind != "id" or self.semi_join is None:
            raise located("INVALID_FIELD", "semi join sub selects are only allowed on ID fields", self.soql,
                          cond.left.pos)
        ids_of = self.semi_join(cond)
        negated = cond.negated
        return lambda r, ctx: ((v := get(r, ctx)) is not None and v in ids_of(ctx)) != negated

    def _includes(self, cond: ast.Includes) -> Predicate:
        get, bound = self.bind(cond.left)
        if bound.type != "multipicklist":
            raise located("INVALID_QUERY_FILTER_OPERATOR", "includes or excludes operator only valid on "
                          "multipicklist field", self.soql, cond.left.pos)
        wanted = [frozenset(p.strip() for p in self.normalise(bound, v).split(";") if p.strip())
                  for v in cond.values if v.kind != "null"]
        exclude = cond.exclude

        def test(r, ctx) -> bool:
            v = get(r, ctx)
            have = frozenset(p.strip() for p in v.casefold().split(";")) if v else frozenset()
            hit = any(w <= have for w in wanted)
            return not hit if exclude else hit

        return test
