"""What a compiled query is made of: the output tree (leaves, parents, children), the aggregation, and
the plan that ``execute`` runs. Plain data; ``plan`` builds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..schema import SObject
from .fields import Bound
from .filters import Getter, Predicate, RunContext


@dataclass
class Leaf:
    getter: Getter


@dataclass
class TypeLeaf:
    """A field of the polymorphic Name object (``What.Type``, ``What.Name``): read from the real record."""

    name: str = "Type"


@dataclass
class Parent:
    """A parent relationship in the output: follow ``field_name`` and render ``node`` (or null)."""

    field_name: str
    targets: tuple[str, ...]
    node: "Node"
    by_type: dict[str, "Node"] | None = None  # TYPEOF branches
    default: "Node | None" = None


@dataclass
class Children:
    plan: "Plan"
    field_name: str


@dataclass
class Node:
    items: dict[str, Any] = field(default_factory=dict)  # key -> Leaf | Parent | Children, in output order


@dataclass
class Aggregation:
    keys: list[tuple[str, Getter, Bound | None]]  # group keys: output name, getter, bound
    outputs: list[tuple[str, str, Getter | None, Bound | None]]  # name, function (or GROUP), getter, bound
    kind: str  # "", ROLLUP, CUBE
    having: Callable[[dict, RunContext], bool] | None = None


@dataclass
class Plan:
    obj: SObject
    soql: str
    node: Node
    predicate: Predicate | None = None
    index_hints: list[tuple[str, list[Any]]] = field(default_factory=list)
    order: list[tuple[Getter, str, bool, bool]] = field(default_factory=list)
    order_field: str | None = None
    """The field of a single ORDER BY key when it is a plain field of the object (an ordered index can serve it)."""
    limit: int | None = None
    offset: int | None = None
    count_only: bool = False
    aggregation: Aggregation | None = None
    scope_mine: bool = False
