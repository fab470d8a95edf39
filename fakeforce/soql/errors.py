"""SOQL errors as Salesforce words them: the query, a caret under the problem, row and column."""

from __future__ import annotations

from ..errors import SalesforceError


def located(code: str, message: str, soql: str, pos: int | None, status: int = 400) -> SalesforceError:
    """``\\n{line}\\n{spaces}^\\nERROR at Row:{r}:Column:{c}\\n{message}`` (row and column are 1-based)."""
    if pos is None or pos < 0:
        return SalesforceError(code, message, status)
    pos = min(pos, len(soql))
    row = soql.count("\n", 0, pos) + 1
    line_start = soql.rfind("\n", 0, pos) + 1
    line_end = soql.find("\n", pos)
    line = soql[line_start: line_end if line_end != -1 else len(soql)]
    col = pos - line_start + 1
    return SalesforceError(code, f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:{row}:Column:{col}\n{message}", status)


def malformed(message: str, soql: str, pos: int | None) -> SalesforceError:
    return located("MALFORMED_QUERY", message, soql, pos)


def unexpected(token: str, soql: str, pos: int | None) -> SalesforceError:
    return malformed(f"unexpected token: '{token}'", soql, pos)
