"""SOQL as a sqlglot dialect: a Tokenizer and a Parser subclass with SOQL's own constructs.

sqlglot parses most of SOQL already (paths, child subqueries, semi-joins, NULLS FIRST/LAST,
ROLLUP). What it lacks is added here, in the shape of sqlglot's own dialect files:

- unquoted date and datetime literals (``2026-01-31``, ``2026-01-31T09:00:00Z``) and ``NAME:n``
  date literals are joined into single VAR tokens, so they are not read as arithmetic;
- ``TYPEOF ... WHEN ... THEN ... ELSE ... END``, ``FIELDS(ALL|STANDARD|CUSTOM)``;
- ``INCLUDES``/``EXCLUDES``; ``USING SCOPE``; ``WITH SECURITY_ENFORCED|USER_MODE|SYSTEM_MODE|
  DATA CATEGORY``; ``FOR VIEW|REFERENCE|UPDATE``; ``UPDATE TRACKING|VIEWSTAT``;
- backslash escapes in strings and no comments.

The hooks are sqlglot internals, which is why sqlglot is pinned exactly in pyproject.toml.
"""

from __future__ import annotations

import re
import typing as t

from sqlglot import exp, parser, tokens
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token, TokenType

DATE_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))?(?![\w:.-])")
N_LITERAL = re.compile(r"[A-Za-z_]+:\s*\d+")
CURRENCY_TOKEN = re.compile(r"[A-Za-z]{3}(?:-\d+(?:\.\d+)?|\d+\.\d+)(?![\w.])")


class TypeOf(exp.Expression):
    """``TYPEOF What WHEN Account THEN Name ELSE Id END``."""

    arg_types = {"this": True, "whens": True, "default": False}


class Fields(exp.Expression):
    """``FIELDS(ALL)`` / ``FIELDS(STANDARD)`` / ``FIELDS(CUSTOM)``."""

    arg_types = {"this": True}


class Includes(exp.Expression):
    arg_types = {"this": True, "expressions": True}


class Excludes(exp.Expression):
    arg_types = {"this": True, "expressions": True}


class Clause(exp.Expression):
    """A SOQL clause kept as words: USING SCOPE x, WITH ..., FOR VIEW, UPDATE TRACKING."""

    arg_types = {"this": True, "words": True}


class SOQLTokenizer(tokens.Tokenizer):
    QUOTES = ["'"]
    IDENTIFIERS: t.ClassVar = ["`"]  # not SOQL: the validator refuses quoted identifiers
    STRING_ESCAPES = ["\\"]
    COMMENTS: t.ClassVar = []
    KEYWORDS = {
        **tokens.Tokenizer.KEYWORDS,
        "INCLUDES": TokenType.GLOB,   # GLOB and RLIKE are not SOQL: their token types carry SOQL's operators
        "EXCLUDES": TokenType.RLIKE,
    }
    for _word in ("GLOB", "RLIKE", "REGEXP", "ILIKE"):
        KEYWORDS.pop(_word, None)

    def tokenize(self, sql: str) -> list[Token]:
        return _join_literals(sql, super().tokenize(sql))


def _join_literals(sql: str, toks: list[Token]) -> list[Token]:
    """Merge the tokens of ``2026-01-31T09:00:00Z`` and of ``LAST_N_DAYS:30`` into one VAR token."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        match = None
        if tok.token_type == TokenType.NUMBER and len(tok.text) == 4:
            match = DATE_TOKEN.match(sql, tok.start)
        elif tok.token_type == TokenType.VAR and i + 1 < len(toks) and toks[i + 1].token_type == TokenType.COLON:
            match = N_LITERAL.match(sql, tok.start)
        elif tok.token_type == TokenType.VAR and i + 1 < len(toks) and toks[i + 1].token_type in (
                TokenType.DOT, TokenType.DASH) and toks[i + 1].start == tok.end + 1:
            match = CURRENCY_TOKEN.match(sql, tok.start)  # USD5000.01, USD-500: one literal, not a path
        if match:
            end = match.end() - 1
            j = i
            while j + 1 < len(toks) and toks[j + 1].start <= end:
                j += 1
            text = re.sub(r"\s+", "", match.group(0))
            out.append(Token(TokenType.VAR, text, tok.line, tok.col, tok.start, end, tok.comments))
            i = j + 1
            continue
        out.append(tok)
        i += 1
    return out


def _parse_typeof(self: "SOQLParser") -> TypeOf:
    field = self._parse_column()
    whens = []
    while self._match(TokenType.WHEN):
        type_name = self._parse_id_var(any_token=True)
        self._match(TokenType.THEN, expression=None) or self.raise_error("Expecting THEN")
        whens.append(exp.Tuple(expressions=[type_name, *self._parse_csv(self._parse_column)]))
    default = None
    if self._match(TokenType.ELSE):
        default = exp.Tuple(expressions=self._parse_csv(self._parse_column))
    if not self._match(TokenType.END):
        self.raise_error("Expecting END")
    return self.expression(TypeOf(this=field, whens=whens, default=default))


def _parse_fields(self: "SOQLParser") -> Fields:
    kind = self._advance_any(ignore_reserved=True)
    if kind is None:
        self.raise_error("Expecting ALL, STANDARD or CUSTOM")
    return self.expression(Fields(this=exp.var(kind.text.upper())))


# The words Salesforce's grammar allows first after each clause keyword (WITH DATA CATEGORY runs on).
CLAUSE_WORDS = {"FOR": {"VIEW", "REFERENCE", "UPDATE"}, "UPDATE": {"TRACKING", "VIEWSTAT"},
                "WITH": {"SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE", "DATA"}}


def _words(self: "SOQLParser", lead: str, count: int | None) -> Clause:
    """The words after a clause keyword: ``count`` of them, or up to the next clause; an unknown first
    word is an unexpected token, and WITH takes one word unless it is WITH DATA CATEGORY."""
    self._advance()
    allowed = CLAUSE_WORDS.get(lead)
    if allowed is not None and self._curr is not None:
        first = self._curr.text.upper()
        if first not in allowed:
            self.raise_error(f"unexpected token: {self._curr.text}")
        if lead == "WITH" and first != "DATA":
            count = 1
        elif lead == "WITH" and (self._next is None or self._next.text.upper() != "CATEGORY"):
            self._advance()
            self.raise_error("unexpected token")
    words: list[str] = []
    while self._curr and (count is None or len(words) < count):
        if count is None and self._curr.token_type in self.QUERY_MODIFIER_PARSERS:
            break
        words.append(self._curr.text)
        self._advance()
    if not words:
        self.raise_error(f"unexpected token: {lead}")
    return Clause(this=exp.var(lead), words=exp.var(" ".join(words)))


def _includes(kind: type[exp.Expression]):
    def parse(self: "SOQLParser", this: exp.Expression) -> exp.Expression:
        self._match(TokenType.L_PAREN) or self.raise_error("Expecting (")
        values = self._parse_csv(self._parse_primary)
        self._match(TokenType.R_PAREN) or self.raise_error("Expecting )")
        return self.expression(kind(this=this, expressions=values))

    return parse


class SOQLParser(parser.Parser):
    NO_PAREN_FUNCTION_PARSERS = {**parser.Parser.NO_PAREN_FUNCTION_PARSERS, "TYPEOF": _parse_typeof}
    FUNCTION_PARSERS = {**parser.Parser.FUNCTION_PARSERS, "FIELDS": _parse_fields}
    RANGE_PARSERS = {**parser.Parser.RANGE_PARSERS, TokenType.GLOB: _includes(Includes),
                     TokenType.RLIKE: _includes(Excludes)}
    QUERY_MODIFIER_PARSERS = {
        **parser.Parser.QUERY_MODIFIER_PARSERS,
        TokenType.USING: lambda self: ("soql_using", _words(self, "USING", 2)),
        TokenType.WITH: lambda self: ("soql_with", _words(self, "WITH", None)),
        TokenType.FOR: lambda self: ("soql_for", _words(self, "FOR", 1)),
        TokenType.UPDATE: lambda self: ("soql_update", _words(self, "UPDATE", 1)),
    }
    QUERY_MODIFIER_TOKENS = set(QUERY_MODIFIER_PARSERS)
    # ``FROM Account UPDATE TRACKING``: UPDATE starts a clause, it is never the object's alias.
    # DISTINCT is a keyword to SQL but not among SOQL's reserved words, so it can name a column or an object
    # (``COUNT_DISTINCT(Company) distinct``); SOQL's reserved words are refused as aliases in parse.py.
    TABLE_ALIAS_TOKENS = (parser.Parser.TABLE_ALIAS_TOKENS - {TokenType.UPDATE}) | {TokenType.DISTINCT}
    ALIAS_TOKENS = parser.Parser.ALIAS_TOKENS | {TokenType.DISTINCT}


class SOQL(Dialect):
    NULL_ORDERING = "nulls_are_small"  # ASC puts nulls first, DESC last: SOQL's defaults
    NORMALIZATION_STRATEGY = "case_insensitive"  # type: ignore[assignment]
    Tokenizer = SOQLTokenizer
    Parser = SOQLParser
