"""From SOQL text to the plain AST: sqlglot with the SOQL dialect, then a check that admits only SOQL.

sqlglot accepts much that Salesforce refuses (joins, DISTINCT, *, arithmetic, mixed AND/OR without
parentheses, which it would silently give SQL precedence); each is refused here as MALFORMED_QUERY.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .. import formats
from . import ast, typeof
from .dialect import SOQL, DATE_TOKEN, Excludes, Fields, Includes, TypeOf
from .errors import malformed, unexpected
from .escapes import EscapeError, unescape
from .strict import check_tokens, no_viable

MAX_OFFSET = 2000
_N_LITERAL = re.compile(r"^([A-Za-z_]+):(\d+)$")
_CURRENCY = re.compile(r"([A-Za-z]{3})(-?\d+(?:\.\d+)?)")
_OFFSET_MINUTES = re.compile(r"T.*[+-]\d{2}:?(\d{2})$")
_ALLOWED_SELECT_ARGS = {"expressions", "from_", "where", "group", "having", "order", "limit", "offset",
                        "soql_using", "soql_with", "soql_for", "soql_update", "kind", "joins"}
# Salesforce's list of SOQL keywords that can't be alias names (sforce_api_calls_soql_alias.htm); any other word can.
RESERVED_ALIASES = frozenset("AND ASC DESC EXCLUDES FIRST FROM GROUP HAVING IN INCLUDES LAST LIKE LIMIT NOT NULL "
                             "NULLS OR SELECT USING WHERE WITH".split())
_COMPARISONS = {exp.EQ: "=", exp.NEQ: "!=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


def _pos(node: exp.Expression | None) -> int | None:
    """Where a node starts in the query text: the first position any of its tokens carries."""
    if node is None:
        return None
    starts = [c.meta["start"] for c in (node, *node.find_all(exp.Identifier, exp.Literal, exp.Var))
              if c.meta.get("start") is not None]
    return min(starts) if starts else None


@lru_cache(maxsize=2048)
def parse(soql: str) -> ast.Query:
    """Parse one SOQL statement (cached: parsing costs a fraction of a millisecond)."""
    if not soql.strip():
        raise malformed("unexpected token: '<EOF>'", soql, 0)
    try:
        dialect = SOQL()
        toks = dialect.tokenize(soql)
        check_tokens(soql, toks)
        tree = dialect.parser().parse(toks, soql)
    except ParseError as exc:
        info = exc.errors[0] if exc.errors else {}
        token = (info.get("highlight") or "").strip() or "<EOF>"
        line, col = info.get("line", 1), info.get("col", 0)
        lines = soql.split("\n")
        offset = sum(len(l) + 1 for l in lines[: max(line - 1, 0)]) + max(col - len(token), 0)
        raise unexpected(token, soql, min(offset, len(soql))) from None
    except TokenError as exc:
        raise malformed(f"no viable alternative at character: {exc}", soql, None) from None
    except RecursionError:  # sqlglot parses nesting recursively (about 50 parentheses deep is its end)
        raise malformed("the query is nested too deeply", soql, None) from None
    except ValueError as exc:  # e.g. a number literal past Python's int-string limit
        raise malformed(f"no viable alternative: {exc}", soql, None) from None
    statements = [t for t in tree if t is not None]
    if len(statements) != 1:
        raise unexpected(";", soql, soql.find(";"))
    try:
        query = _Converter(soql).query(statements[0], top=True)
    except RecursionError:
        raise malformed("the query is nested too deeply", soql, None) from None
    typeof.check(query, soql)
    return query


class _Converter:
    def __init__(self, soql: str) -> None:
        self.soql = soql

    def fail(self, node: exp.Expression | None, token: str | None = None):
        text = token or (node.sql(dialect=SOQL) if node is not None and _printable(node) else type(node).__name__)
        raise unexpected(text.split()[0] if text else "?", self.soql, _pos(node))

    # -- query -----------------------------------------------------------------------------------
    def query(self, node: exp.Expression, top: bool = False) -> ast.Query:
        if isinstance(node, exp.Subquery):
            node = node.this
        if not isinstance(node, exp.Select):
            self.fail(node, node.key.upper() if isinstance(node, exp.Expression) else None)
        extra = {k for k, v in node.args.items() if v not in (None, [], False) and k not in _ALLOWED_SELECT_ARGS}
        if extra or node.args.get("distinct") or node.args.get("kind"):
            word = sorted(extra)[0].upper().rstrip("S") if extra else "DISTINCT"
            self.fail(node, word)
        source = node.args.get("from_")
        if source is None:
            raise malformed("unexpected token: '<EOF>'", self.soql, len(self.soql))
        table = source.this
        if not isinstance(table, exp.Table) or table.args.get("catalog") or (table.args.get("db") and top):
            self.fail(table)
        alias = self._alias(table.alias or None, table)
        prefix = table.args["db"].name if table.args.get("db") else None
        rel_aliases = self._relationship_aliases(node.args.get("joins") or [], table.name, alias)
        where = node.args.get("where")
        group = node.args.get("group")
        group_by: tuple[ast.Expr, ...] = ()
        group_kind = ""
        if group is not None:
            items = []
            for item in group.expressions:
                if isinstance(item, (exp.Rollup, exp.Cube)):
                    group_kind = type(item).__name__.upper()
                    items.extend(item.expressions)
                else:
                    items.append(item)
            if any(group.args.get(k) for k in group.args if k != "expressions"):
                self.fail(group, "GROUPING")
            group_by = tuple(self.expr(e) for e in items)
        limit = self._integer(node.args.get("limit"))
        offset = self._integer(node.args.get("offset"))
        if offset is not None and offset > MAX_OFFSET:
            from .errors import located

            raise located("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}", self.soql,
                          _pos(node.args["offset"]))
        clauses = {k: node.args[k].args["words"].name for k in ("soql_using", "soql_with", "soql_for", "soql_update")
                   if node.args.get(k) is not None}
        scope = clauses.get("soql_using")
        if scope is not None:
            words = scope.split()
            if len(words) != 2 or words[0].upper() != "SCOPE":
                raise unexpected(words[0], self.soql, None)
            scope = words[1].lower()
        return ast.Query(
            select=tuple(self.select_item(e) for e in node.expressions),
            sobject=table.name, sobject_pos=_pos(table) or 0, alias=alias, scope=scope,
            where=self.condition(where.this) if where is not None else None,
            with_clause=clauses.get("soql_with"),
            group_by=group_by, group_kind=group_kind,
            having=self.condition(node.args["having"].this) if node.args.get("having") is not None else None,
            order_by=self.order(node.args.get("order")),
            limit=limit, offset=offset,
            for_clause=clauses.get("soql_for"), update_clause=clauses.get("soql_update"),
            relationship_aliases=rel_aliases, sobject_prefix=prefix, text=self.soql,
        )

    def _relationship_aliases(self, joins: list, sobject: str, alias: str | None) -> tuple:
        """``FROM Contact c, c.Account a, a.Owner o``: each alias names a parent path from the queried object;
        anything else after a comma (a real join, a second object) is refused."""
        known: dict[str, tuple[str, ...]] = {sobject.lower(): ()}
        if alias:
            known[alias.lower()] = ()
        out = []
        for join in joins:
            rel = join.this
            if any(join.args.get(k) for k in ("on", "using", "kind", "side", "method")) \
                    or not isinstance(rel, exp.Table) or not rel.args.get("db") or not rel.alias \
                    or rel.args.get("catalog") or rel.args["db"].name.lower() not in known:
                self.fail(rel if isinstance(rel, exp.Expression) else join)
            start = _pos(rel) or 0
            if self.soql[:start].rstrip()[-1:] != ",":  # JOIN ... is SQL, never SOQL
                self.fail(join, "JOIN")
            self._alias(rel.alias, rel)
            path = (*known[rel.args["db"].name.lower()], rel.name)
            known[rel.alias.lower()] = path
            out.append((rel.alias, path))
        return tuple(out)

    def _alias(self, alias: str | None, node: exp.Expression) -> str | None:
        """An alias, unless it is one of SOQL's reserved words (then it is the unexpected token it reads as)."""
        if alias and alias.upper() in RESERVED_ALIASES:
            at = self.soql.upper().find(alias.upper(), _pos(node) or 0)
            raise unexpected(alias, self.soql, at if at >= 0 else None)
        return alias

    def _integer(self, clause: exp.Expression | None) -> int | None:
        if clause is None:
            return None
        value = clause.expression if isinstance(clause, (exp.Limit, exp.Offset)) else clause
        if not isinstance(value, exp.Literal) or value.is_string or not value.this.isdigit():
            self.fail(value)
        if len(value.this) > 30:  # far past any row count; Python's int() would refuse 4,300 digits
            self.fail(value)
        return int(value.this)

    def order(self, order: exp.Order | None) -> tuple[ast.OrderItem, ...]:
        if order is None:
            return ()
        items = []
        for o in order.expressions:
            if not isinstance(o, exp.Ordered):
                self.fail(o)
            desc = bool(o.args.get("desc"))
            items.append(ast.OrderItem(self.expr(o.this), desc, bool(o.args.get("nulls_first"))))
        return tuple(items)

    # -- select list -----------------------------------------------------------------------------
    def select_item(self, node: exp.Expression) -> ast.SelectItem:
        alias = None
        if isinstance(node, exp.Alias):
            alias, node = self._alias(node.alias, node), node.this
        if isinstance(node, (exp.Subquery, exp.Select)):
            if alias:
                self.fail(node, alias)
            return ast.SelectItem(self.query(node))
        if isinstance(node, Fields):
            return ast.SelectItem(ast.FieldsAll(node.this.name.upper(), _pos(node) or 0), alias)
        if isinstance(node, TypeOf):
            whens = tuple((w.expressions[0].name, tuple(self.path(c) for c in w.expressions[1:]))
                          for w in node.args["whens"])
            default = tuple(self.path(c) for c in node.args["default"].expressions) if node.args.get("default") \
                else ()
            return ast.SelectItem(ast.TypeOf(self.path(node.this), whens, default, _pos(node) or 0), alias)
        return ast.SelectItem(self.expr(node), alias)

    def path(self, node: exp.Expression) -> ast.Path:
        if isinstance(node, exp.Column):
            parts = [p.name for p in node.parts]
            if any(isinstance(p, exp.Identifier) and p.quoted for p in node.parts) or not all(parts):
                self.fail(node)
            return ast.Path(tuple(parts), _pos(node) or 0)
        if isinstance(node, exp.Dot):
            parts: list[str] = []
            current: exp.Expression = node
            while isinstance(current, exp.Dot):
                parts.insert(0, current.expression.name)
                current = current.this
            parts = [p.name for p in current.parts] + parts if isinstance(current, exp.Column) else self.fail(node)
            return ast.Path(tuple(parts), _pos(node) or 0)
        self.fail(node)
        raise AssertionError

    def expr(self, node: exp.Expression) -> ast.Expr:
        if isinstance(node, (exp.Column, exp.Dot)):
            return self.path(node)
        if isinstance(node, exp.Count):
            inner = node.this
            if inner is None:
                return ast.Call("COUNT", (), _pos(node) or 0)
            if isinstance(inner, exp.Distinct):  # COUNT_DISTINCT(x), never SQL's COUNT(DISTINCT x)
                if re.search(r"\bDISTINCT\s*$", self.soql[: _pos(inner) or 0], re.IGNORECASE):
                    self.fail(inner, "DISTINCT")
                return ast.Call("COUNT_DISTINCT", tuple(self.expr(e) for e in inner.expressions), _pos(node) or 0)
            if isinstance(inner, exp.Star):
                self.fail(inner, "*")
            if node.expressions:  # COUNT(a, b): SOQL's COUNT takes one field
                second = _pos(node.expressions[0])
                comma = self.soql.rfind(",", 0, second) if second is not None else -1
                raise unexpected(",", self.soql, comma if comma >= 0 else second)
            return ast.Call("COUNT", (self.expr(inner),), _pos(node) or 0)
        if isinstance(node, (exp.Sum, exp.Avg, exp.Min, exp.Max)):
            return ast.Call(type(node).__name__.upper(), (self.expr(node.this),), _pos(node) or 0)
        if isinstance(node, exp.Grouping):  # GROUPING(field): sqlglot keeps its argument in a list
            return ast.Call("GROUPING", tuple(self.expr(a) for a in node.expressions), _pos(node) or 0)
        if isinstance(node, exp.Anonymous):
            name = node.name.upper()
            if name in ("DISTANCE", "GEOLOCATION"):  # the only SOQL functions that take literals
                args = tuple(self.value(a) if isinstance(a, (exp.Literal, exp.Neg)) else self.expr(a)
                             for a in node.expressions)
                return ast.Call(name, args, _pos(node) or 0)  # type: ignore[arg-type]
            return ast.Call(name, tuple(self.expr(a) for a in node.expressions), _pos(node) or 0)
        if isinstance(node, exp.Func) and not isinstance(node, exp.Cast):
            args = [a for a in node.args.values() if isinstance(a, exp.Expression)]
            name = node.sql_name() if hasattr(node, "sql_name") else type(node).__name__.upper()
            return ast.Call(name.upper(), tuple(self.expr(a) for a in args), _pos(node) or 0)
        self.fail(node)
        raise AssertionError

    # -- conditions --------------------------------------------------------------------------------
    def condition(self, node: exp.Expression) -> ast.Condition:
        if isinstance(node, exp.Paren):
            return self.condition(node.this)
        if isinstance(node, (exp.And, exp.Or)):
            # A chain of one operator (a OR b OR ... 1,000 times) is walked with a stack, not recursion.
            kind = type(node)
            items = []
            stack: list[exp.Expression] = [node]
            while stack:
                current = stack.pop()
                if isinstance(current, kind):
                    for side in (current.this, current.expression):
                        if isinstance(side, (exp.And, exp.Or)) and type(side) is not kind:
                            # SOQL refuses AND and OR mixed without parentheses rather than guess precedence.
                            word = "AND" if kind is exp.And else "OR"
                            raise unexpected(word, self.soql, _pos(current.expression))
                    stack.extend((current.expression, current.this))  # the left side comes off first
                else:
                    items.append(self.condition(current))
            return ast.And(tuple(items)) if kind is exp.And else ast.Or(tuple(items))
        if isinstance(node, exp.Not):
            inner = node.this
            if isinstance(inner, exp.In):
                return self._in(inner, negated=True)
            if isinstance(inner, exp.Like):
                return ast.Not(self.condition(inner))
            return ast.Not(self.condition(inner))
        for kind, op in _COMPARISONS.items():
            if isinstance(node, kind):
                return ast.Compare(self.expr(node.this), op, self.value(node.expression))
        if isinstance(node, exp.Like):
            return ast.Compare(self.expr(node.this), "LIKE", self.value(node.expression, like=True))
        if isinstance(node, exp.In):
            return self._in(node, negated=False)
        if isinstance(node, (Includes, Excludes)):
            return ast.Includes(self.path(node.this), tuple(self.value(v) for v in node.expressions),
                                isinstance(node, Excludes))
        if isinstance(node, exp.Is):
            self.fail(node, "IS")
        self.fail(node)
        raise AssertionError

    def _in(self, node: exp.In, negated: bool) -> ast.Condition:
        query = node.args.get("query")
        if query is not None:
            return ast.InQuery(self.path(node.this), self.query(query), negated)
        if not node.expressions:
            self.fail(node, "IN")
        return ast.InList(self.expr(node.this), tuple(self.value(v) for v in node.expressions), negated)

    def value(self, node: exp.Expression, like: bool = False) -> ast.Value:
        pos = _pos(node) or 0
        if isinstance(node, exp.Literal):
            if node.is_string:
                start, end = node.meta.get("start"), node.meta.get("end")
                raw = (self.soql[start + 1: end] if isinstance(start, int) and isinstance(end, int)
                       and self.soql[start: start + 1] == "'" else node.this)
                try:
                    text = unescape(raw, like)
                except EscapeError as exc:
                    at = (start + 1 if isinstance(start, int) else pos) + exc.offset
                    raise malformed(f"Invalid string literal '{raw}'. Illegal character sequence "
                                    f"'{exc.sequence}' in string literal.", self.soql, at) from None
                return ast.Value(text, "string", text, pos)
            text = node.this
            try:
                number = float(text) if any(c in text for c in ".eE") else int(text)
            except ValueError:  # past Python's int-string limit (4300 digits)
                raise malformed(f"number too long: {text[:20]}...", self.soql, pos) from None
            return ast.Value(number, "number", text, pos)
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
            inner = self.value(node.this)
            return ast.Value(-inner.value, "number", "-" + inner.text, pos)
        if isinstance(node, exp.Boolean):
            return ast.Value(bool(node.this), "boolean", str(node.this).lower(), pos)
        if isinstance(node, exp.Null):
            return ast.Value(None, "null", "null", pos)
        if isinstance(node, exp.Column) and len(node.parts) == 1:
            text = node.name
            if DATE_TOKEN.fullmatch(text):
                offset_minutes = _OFFSET_MINUTES.search(text)
                if offset_minutes and int(offset_minutes.group(1)) > 59:
                    raise no_viable(text, self.soql, pos)
                if "T" in text:
                    try:  # out-of-range parts (month 13, hour 25, offset +25:00) are malformed, not a crash
                        moment = formats.parse_datetime(text)
                    except (ValueError, OverflowError):
                        raise no_viable(text, self.soql, pos) from None
                    return ast.Value(formats.format_datetime(moment), "datetime", text, pos)
                try:
                    return ast.Value(date.fromisoformat(text).isoformat(), "date", text, pos)
                except ValueError:
                    raise no_viable(text, self.soql, pos) from None
            currency = _CURRENCY.fullmatch(text)
            if currency:  # ISO code + amount: compared as the amount (fakeforce holds one currency)
                amount = currency.group(2)
                return ast.Value(float(amount) if "." in amount else int(amount), "currency", text, pos)
            match = _N_LITERAL.match(text)
            if match:
                return ast.Value((match.group(1).upper(), int(match.group(2))), "date_literal", text, pos)
            return ast.Value((text.upper(), None), "date_literal", text, pos)
        self.fail(node)
        raise AssertionError


def _printable(node: exp.Expression) -> bool:
    try:
        node.sql(dialect=SOQL)
    except Exception:  # custom SOQL nodes have no SQL generator
        return False
    return True
