"""A bot author's SOQL statement (B3), made safe before it reaches Salesforce. Pure.

1. ``scan`` splits the statement into tokens the way SOQL reads it: single-quoted strings (with backslash
   escapes) are one token each, so nothing inside quotes is ever taken for a placeholder or a keyword.
2. ``check_read_only`` admits one SELECT and nothing else: no second statement (``;``), no comments (SOQL
   has none: ``--``, ``//`` and ``/* */`` could only hide text), no double quotes (SOQL strings use single
   quotes), and none of the clauses that write or lock (``FOR VIEW`` and ``FOR REFERENCE`` update
   LastViewedDate / LastReferencedDate and RecentlyViewed, ``UPDATE TRACKING|VIEWSTAT`` update article
   statistics, ``FOR UPDATE`` locks rows).
3. ``bind`` replaces each ``:name`` placeholder outside string literals with the variable's value as a
   literal built by ``identify.soql_literal`` (the only way a value enters SOQL): quotes and backslashes are
   escaped, so a value such as ``x' OR Name != '`` stays one string. A placeholder without a variable, or
   with none or an empty value, is an error: a missing value never turns into a filter that matches more.
   A ``:`` followed by a digit is SOQL's own (``LAST_N_DAYS:30``, ``10:00:00Z``, ``+01:00``), not a placeholder.
4. ``cap`` enforces the row cap on the top-level query: it adds ``LIMIT`` or lowers a larger one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..identify import soql_literal

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*")
WRITING_WORDS = {"FOR": "FOR VIEW, FOR REFERENCE and FOR UPDATE", "UPDATE": "UPDATE TRACKING and UPDATE VIEWSTAT"}
MAX_STATEMENT = 20_000
"""Characters of the author's statement; the bound one must also fit a query URL (see ``MAX_BOUND``)."""
MAX_BOUND = 12_000
"""Characters of the statement as sent: a REST query travels in the URL, and URL plus headers may be at
most 16,384 bytes (Salesforce knowledge article 000386264)."""


class StatementRefused(ValueError):
    """Why the statement cannot be sent; ``code`` is stable for callers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Token:
    kind: str
    """``string``, ``word``, ``number``, ``placeholder``, ``space``, ``open``, ``close`` or ``punct``."""
    text: str
    depth: int
    """Parentheses around the token: 0 is the top-level query, 1 a child subquery or a list..."""


def _string_end(soql: str, start: int) -> int:
    """The index just past the string literal that opens at ``start``."""
    index = start + 1
    while index < len(soql):
        char = soql[index]
        if char == "\\":
            index += 2
            continue
        if char == "'":
            return index + 1
        index += 1
    raise StatementRefused("UNTERMINATED_STRING", f"the string literal that starts at character {start + 1} "
                           "is not closed: end it with ' (write \\' for a quote inside it)")


def scan(soql: str) -> list[Token]:
    tokens: list[Token] = []
    depth = index = 0
    while index < len(soql):
        char = soql[index]
        rest = soql[index: index + 2]
        if char == "'":
            end = _string_end(soql, index)
            tokens.append(Token("string", soql[index:end], depth))
            index = end
            continue
        if char.isspace():
            end = index
            while end < len(soql) and soql[end].isspace():
                end += 1
            tokens.append(Token("space", soql[index:end], depth))
            index = end
            continue
        if rest in ("--", "//", "/*", "*/"):
            raise StatementRefused("COMMENT_NOT_ALLOWED", f"{rest!r} at character {index + 1}: SOQL has no "
                                   "comments; remove it")
        if char == ";":
            raise StatementRefused("ONE_STATEMENT_ONLY", f"';' at character {index + 1}: send one SELECT "
                                   "statement, without ';'")
        if char == '"':
            raise StatementRefused("DOUBLE_QUOTE", f"'\"' at character {index + 1}: SOQL strings are in single "
                                   "quotes ('text')")
        if char == ":":
            following = soql[index + 1: index + 2]
            if not following.isdigit():  # LAST_N_DAYS:30, 10:00:00Z and +01:00 are SOQL's own colons
                match = NAME.match(soql, index + 1)
                if match is None:
                    raise StatementRefused("BAD_PLACEHOLDER", f"':' at character {index + 1} is not followed by "
                                           "a variable name (write :email, :visitor.email)")
                tokens.append(Token("placeholder", match.group(0), depth))
                index = match.end()
                continue
        match = WORD.match(soql, index) or NUMBER.match(soql, index)
        if match is not None:
            tokens.append(Token("word" if match.re is WORD else "number", match.group(0), depth))
            index = match.end()
            continue
        if char == "(":
            tokens.append(Token("open", char, depth))
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise StatementRefused("UNBALANCED_PARENTHESES", f"')' at character {index + 1} closes nothing")
            tokens.append(Token("close", char, depth))
        else:
            tokens.append(Token("punct", char, depth))
        index += 1
    if depth:
        raise StatementRefused("UNBALANCED_PARENTHESES", "a '(' is not closed")
    return tokens


def _code(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.kind != "space"]


def check_read_only(tokens: list[Token]) -> None:
    """One SELECT that neither writes nor locks, or StatementRefused."""
    code = _code(tokens)
    if not code or code[0].kind != "word" or code[0].text.upper() != "SELECT":
        first = code[0].text if code else "nothing"
        raise StatementRefused("NOT_A_SELECT", f"the statement must be a SOQL SELECT; it starts with {first[:40]!r}")
    for token in code:
        if token.kind == "word" and token.text.upper() in WRITING_WORDS:
            raise StatementRefused("WRITES_NOT_ALLOWED", f"{token.text!r}: {WRITING_WORDS[token.text.upper()]} "
                                   "change data or lock records; a bot's statement may only read")


def placeholders(tokens: list[Token]) -> list[str]:
    return list(dict.fromkeys(t.text for t in tokens if t.kind == "placeholder"))


def _variable(variables: Mapping[str, Any], name: str) -> Any:
    if name in variables:
        return variables[name]
    value: Any = variables
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise StatementRefused("UNKNOWN_VARIABLE", f":{name} has no variable; send it in variables "
                                   f"(known: {', '.join(sorted(variables)) or 'none'})")
        value = value[part]
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def literal(name: str, value: Any) -> str:
    """The SOQL text of a variable's value: a literal, or ``(a, b)`` for a list (``Id IN :ids``)."""
    if isinstance(value, list):
        if not value:
            raise StatementRefused("EMPTY_VARIABLE", f":{name} is an empty list; IN () matches nothing and is "
                                   "not SOQL: leave the condition out of the flow instead")
        if any(isinstance(item, list) for item in value):
            raise StatementRefused("BAD_VARIABLE", f":{name} holds a list inside a list; IN takes one list")
        return "(" + ", ".join(literal(name, item) for item in value) + ")"
    if isinstance(value, dict):
        raise StatementRefused("BAD_VARIABLE", f":{name} is an object; a variable is a text, number, boolean "
                               "or a list of them")
    if isinstance(value, float) and not math.isfinite(value):
        raise StatementRefused("BAD_VARIABLE", f":{name} is not a finite number")
    if _blank(value):
        raise StatementRefused("EMPTY_VARIABLE", f":{name} has no value; a missing value is not compared (it "
                               "would match every record where the field is empty)")
    return soql_literal(value)


def bind(tokens: list[Token], variables: Mapping[str, Any]) -> list[Token]:
    """The tokens with each placeholder replaced by its literal (a ``literal`` token)."""
    out = []
    for token in tokens:
        if token.kind == "placeholder":
            token = Token("literal", literal(token.text, _variable(variables, token.text)), token.depth)
        out.append(token)
    return out


def _counts_only(code: list[Token]) -> bool:
    """``SELECT COUNT() FROM ...``: Salesforce answers a number and no rows, so no row cap applies."""
    texts = [t.text.upper() for t in code[:5]]
    return texts == ["SELECT", "COUNT", "(", ")", "FROM"]


def cap(tokens: list[Token], max_rows: int) -> tuple[list[Token], int | None]:
    """The statement with a top-level ``LIMIT`` of at most ``max_rows``, and the number of rows that means
    the cap cut the answer (None: the author's own LIMIT holds, nothing is cut). syncd asks for one row
    more than the cap, so that it can tell the caller when rows were left out."""
    code = _code(tokens)
    if _counts_only(code):
        return tokens, None
    out = list(tokens)
    for position, token in enumerate(out):
        if token.depth == 0 and token.kind == "word" and token.text.upper() == "LIMIT":
            following = next((i for i in range(position + 1, len(out)) if out[i].kind != "space"), None)
            number = out[following] if following is not None else None
            if number is None or number.kind not in ("number", "literal") or not number.text.isdigit():
                raise StatementRefused("BAD_LIMIT", "LIMIT must be followed by a whole number")
            if int(number.text) <= max_rows:
                return out, None
            out[following] = Token("number", str(max_rows + 1), 0)
            return out, max_rows
    clause = [Token("space", " ", 0), Token("word", "LIMIT", 0), Token("space", " ", 0),
              Token("number", str(max_rows + 1), 0)]
    offset = next((i for i, t in enumerate(out) if t.depth == 0 and t.kind == "word" and t.text.upper() == "OFFSET"),
                  None)
    if offset is None:
        while out and out[-1].kind == "space":
            out.pop()
        return out + clause, max_rows
    return out[:offset] + clause[1:] + [Token("space", " ", 0)] + out[offset:], max_rows


def text(tokens: list[Token]) -> str:
    return "".join(t.text for t in tokens)


def prepare(soql: str, variables: Mapping[str, Any], max_rows: int) -> tuple[str, int | None]:
    """B3 as one step: the statement Salesforce gets, and the row count past which it was cut (or None)."""
    if not soql.strip():
        raise StatementRefused("NOT_A_SELECT", "the statement is empty")
    if len(soql) > MAX_STATEMENT:
        raise StatementRefused("STATEMENT_TOO_LONG", f"the statement has {len(soql)} characters; at most "
                               f"{MAX_STATEMENT}")
    tokens = scan(soql)
    check_read_only(tokens)
    bound, cut = cap(bind(tokens, variables), max_rows)
    sent = text(bound).strip()
    if len(sent) > MAX_BOUND:
        raise StatementRefused("STATEMENT_TOO_LONG", f"with its variables bound the statement has {len(sent)} "
                               f"characters; a query URL holds at most {MAX_BOUND}: shorten it or its values")
    return sent, cut
