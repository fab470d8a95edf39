"""A parsed SOQL query as plain, immutable data: what the resolver and executor work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Path:
    """A field reference, ``Account.Owner.Name`` -> ("Account", "Owner", "Name")."""

    parts: tuple[str, ...]
    pos: int


@dataclass(frozen=True)
class Call:
    """A function: aggregate (COUNT, SUM...), date function (CALENDAR_YEAR...), toLabel, FORMAT..."""

    name: str
    args: tuple["Expr", ...]
    pos: int


@dataclass(frozen=True)
class FieldsAll:
    kind: str  # ALL, STANDARD, CUSTOM
    pos: int


@dataclass(frozen=True)
class TypeOf:
    field: Path
    whens: tuple[tuple[str, tuple[Path, ...]], ...]
    default: tuple[Path, ...]
    pos: int


Expr = Union[Path, Call]


@dataclass(frozen=True)
class Value:
    """A literal: kind is string, number, boolean, null, date, datetime or date_literal."""

    value: Any
    kind: str
    text: str
    pos: int


@dataclass(frozen=True)
class Compare:
    left: Expr
    op: str  # = != < <= > >= LIKE
    right: Value


@dataclass(frozen=True)
class InList:
    left: Expr
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class InQuery:
    left: Path
    query: "Query"
    negated: bool


@dataclass(frozen=True)
class Includes:
    left: Path
    values: tuple[Value, ...]
    exclude: bool


@dataclass(frozen=True)
class And:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    item: "Condition"


Condition = Union[Compare, InList, InQuery, Includes, And, Or, Not]


@dataclass(frozen=True)
class SelectItem:
    expr: Union[Path, Call, FieldsAll, TypeOf, "Query"]
    alias: str | None = None


@dataclass(frozen=True)
class OrderItem:
    expr: Expr
    desc: bool
    nulls_first: bool


@dataclass(frozen=True)
class Query:
    select: tuple[SelectItem, ...]
    sobject: str
    sobject_pos: int
    alias: str | None = None
    scope: str | None = None
    where: Condition | None = None
    with_clause: str | None = None
    group_by: tuple[Expr, ...] = ()
    group_kind: str = ""  # "", ROLLUP, CUBE
    having: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    for_clause: str | None = None
    update_clause: str | None = None
    relationship_aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # FROM Contact c, c.Account a
    sobject_prefix: str | None = None  # (SELECT ... FROM Account.Contacts): the parent named before the relationship
    text: str = field(default="", compare=False)
