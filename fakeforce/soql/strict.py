"""Grammar checks that sqlglot is too lenient for, run over the SOQL tokens before parsing.

sqlglot accepts trailing commas, ``==``, clauses in any order, an empty GROUP BY and a closing ``;``;
Salesforce's parser refuses each (its grammar fixes the clause order: SELECT, FROM, USING SCOPE, WHERE,
WITH, GROUP BY [HAVING], ORDER BY, LIMIT, OFFSET, FOR VIEW|REFERENCE, UPDATE TRACKING|VIEWSTAT,
FOR UPDATE). The first offending token is reported the way Salesforce does: ``unexpected token: 'X'``
with a caret under it, or ``no viable alternative at character`` for a character SOQL has no token for.
"""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

from ..errors import SalesforceError
from .errors import malformed, unexpected

# Rank of each clause in Salesforce's grammar; a clause may only follow clauses of lower rank.
_RANK = {TokenType.USING: 1, TokenType.WHERE: 2, TokenType.WITH: 3, TokenType.GROUP_BY: 4,
         TokenType.HAVING: 5, TokenType.ORDER_BY: 6, TokenType.LIMIT: 7, TokenType.OFFSET: 8,
         TokenType.FOR: 9, TokenType.UPDATE: 10}
_FOR_UPDATE = 11
# Tokens after which an expression (or list item) must follow, never a clause word or the end.
_NEEDS_OPERAND = {TokenType.COMMA, TokenType.WHERE, TokenType.GROUP_BY, TokenType.HAVING, TokenType.ORDER_BY}
_ENDS = {TokenType.FROM, TokenType.R_PAREN, *_RANK}


def no_viable(char: str, soql: str, pos: int) -> SalesforceError:
    """The lexer's answer to a character it has no token for (``"`` or ``;``), as orgs word it."""
    row = soql.count("\n", 0, pos) + 1
    col = pos - (soql.rfind("\n", 0, pos) + 1) + 1
    return malformed(f"line {row}:{col} no viable alternative at character '{char}'", soql, pos)


def check_tokens(soql: str, toks: list[Token]) -> None:
    """Raise MALFORMED_QUERY at the first token Salesforce's grammar would not accept there."""
    ranks: list[int] = [0]  # the last clause seen, per parenthesis depth (subqueries start afresh)
    for i, tok in enumerate(toks):
        kind = tok.token_type
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if kind == TokenType.SEMICOLON:
            raise no_viable(";", soql, tok.start)
        if kind == TokenType.EQ and tok.text == "==":
            raise unexpected("=", soql, tok.start + 1)
        if kind == TokenType.SELECT and nxt is not None and nxt.token_type == TokenType.FROM:
            raise unexpected(nxt.text, soql, nxt.start)
        if kind in _NEEDS_OPERAND and (nxt is None or nxt.token_type in _ENDS):
            if nxt is None:
                raise unexpected("<EOF>", soql, len(soql))
            raise unexpected(nxt.text, soql, nxt.start)
        if kind == TokenType.L_PAREN:
            ranks.append(0)
        elif kind == TokenType.R_PAREN:
            if len(ranks) > 1:
                ranks.pop()
        elif kind in _RANK:
            if kind == TokenType.UPDATE and i > 0 and toks[i - 1].token_type == TokenType.FOR:
                ranks[-1] = _FOR_UPDATE  # FOR UPDATE: the last clause of all
                continue
            rank = _RANK[kind]
            if kind == TokenType.FOR and nxt is not None and nxt.token_type == TokenType.UPDATE:
                rank = _FOR_UPDATE
            if rank <= ranks[-1] or (kind == TokenType.HAVING and ranks[-1] != _RANK[TokenType.GROUP_BY]):
                raise unexpected(tok.text, soql, tok.start)
            ranks[-1] = rank
