"""A parse cache keyed on the query's shape, so that a new literal in every query does not defeat it.

A lookup by Id sends new text each time (``... WHERE Id = '003...'``); caching on the whole text misses
every time and each miss costs a full sqlglot parse (about 0.5 ms and thousands of short-lived objects,
which is what wakes the garbage collector). Here each string literal's content is blanked to the same
number of ``x`` characters, the blanked text (the shape) is parsed once, and each use swaps the real
literals back into that tree. Blanking keeps every position, so error offsets stay those of the real text.

Queries with a backslash anywhere (escapes change a literal's length and meaning) skip the cache, as does
a shape whose parse fails or whose literals do not all come back as plain string values: those go to the
plain parser with the real text, so its errors are exactly the ones the user's text deserves.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import OrderedDict
from typing import Any, Iterator

from . import ast
from .parse import parse as parse_text

_STRING = re.compile(r"'([^'\\]*)'")
MAX_SHAPES = 1024
_UNCACHEABLE = object()
_shapes: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()
_FIELDS: dict[type, tuple[str, ...]] = {}


def shape_of(soql: str) -> tuple[str, dict[int, str]] | None:
    """The blanked text and the real literals by the position of their opening quote; None: do not cache."""
    if "\\" in soql or "'" not in soql:
        return None
    literals: dict[int, str] = {}
    parts: list[str] = []
    last = 0
    for match in _STRING.finditer(soql):
        literals[match.start()] = match.group(1)
        parts.append(soql[last: match.start(1)])
        parts.append("x" * len(match.group(1)))
        last = match.end(1)
    parts.append(soql[last:])
    return "".join(parts), literals


def parse(soql: str) -> ast.Query:
    """Parse one SOQL statement, through the shape cache when the text allows it."""
    shaped = shape_of(soql)
    if shaped is None:
        return parse_text(soql)
    shape, literals = shaped
    with _lock:
        template = _shapes.get(shape)
        if template is not None:
            _shapes.move_to_end(shape)
    if template is None:
        template = _template(shape, len(literals))
        with _lock:
            _shapes[shape] = template
            if len(_shapes) > MAX_SHAPES:
                _shapes.popitem(last=False)
    if template is _UNCACHEABLE:
        return parse_text(soql)
    tree, hot = template
    return _fill(tree, hot, literals, soql)


def _template(shape: str, literal_count: int) -> Any:
    """The parsed shape and the ids of its nodes on a path to a string literal (the only ones to rebuild)."""
    try:
        tree = parse_text(shape)
    except Exception:  # the real text gets its own parse, and its own error
        return _UNCACHEABLE
    hot: set[int] = set()
    blanks = sum(1 for node in _walk(tree) if isinstance(node, ast.Value) and node.kind == "string")
    _mark(tree, hot)
    return (tree, frozenset(hot)) if blanks == literal_count else _UNCACHEABLE


def _mark(node: Any, hot: set[int]) -> int:
    """Count the string literals under ``node``; add to ``hot`` every node (or tuple) above a literal or a
    query (each query's text is the real one). A query counts 0.5 so that its parents are marked too."""
    if isinstance(node, ast.Value):
        found: float = 1 if node.kind == "string" else 0
    elif isinstance(node, tuple):
        found = sum(_mark(item, hot) for item in node)
    elif dataclasses.is_dataclass(node):
        found = sum(_mark(getattr(node, name), hot) for name in _fields(type(node)))
        if isinstance(node, ast.Query):
            found += 0.5
    else:
        return 0
    if found:
        hot.add(id(node))
    return found


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, tuple):
        for item in node:
            yield from _walk(item)
    elif dataclasses.is_dataclass(node):
        yield node
        for name in _fields(type(node)):
            yield from _walk(getattr(node, name))


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _fill(node: Any, hot: frozenset[int], literals: dict[int, str], soql: str) -> Any:
    """The template with the real literals (and text) in place; subtrees without literals are shared."""
    if id(node) not in hot:
        return node
    if isinstance(node, ast.Value):
        real = literals.get(node.pos)
        return node if real is None else ast.Value(real, "string", real, node.pos)
    if isinstance(node, tuple):
        return tuple(_fill(item, hot, literals, soql) for item in node)
    changes = {name: _fill(getattr(node, name), hot, literals, soql) for name in _fields(type(node))
               if id(getattr(node, name)) in hot}
    if isinstance(node, ast.Query):
        changes["text"] = soql
    return dataclasses.replace(node, **changes)


def clear() -> None:
    with _lock:
        _shapes.clear()
