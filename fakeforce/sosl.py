"""SOSL: ``FIND {term} IN ... FIELDS RETURNING Obj(fields WHERE ... ORDER BY ... LIMIT n)``, enough for an
agent's global search by name, email or phone. Each RETURNING clause is compiled as SOQL and run over the
records the search term matches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import soql
from .errors import SalesforceError
from .schema import Field, SObject
from .soql.execute import matching_records, render, sort_rows
from .soql.filters import RunContext

if TYPE_CHECKING:
    from .org import Org

SEARCH_GROUPS = {"ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR"}
TEXT_TYPES = {"string", "email", "phone", "textarea", "picklist", "combobox", "url", "multipicklist"}
NAME_FIELDS = {"Name", "FirstName", "LastName", "CompanyName", "Company", "Title", "Subject", "CaseNumber"}
DEFAULT_OBJECTS = ("Account", "Contact", "Lead", "Case", "User")
MAX_LIMIT = 2000


def malformed(message: str) -> SalesforceError:
    return SalesforceError("MALFORMED_SEARCH", message, 400)


@dataclass
class Returning:
    sobject: str
    fields: str  # the field list as written, or "Id"
    rest: str  # WHERE / ORDER BY / LIMIT / OFFSET as written


@dataclass
class Search:
    term: str
    group: str
    returning: list[Returning]
    limit: int | None


def _split_top(text: str) -> list[str]:
    parts, depth, current, quote = [], 0, [], False
    for ch in text:
        if ch == "'" and (not current or current[-1] != "\\"):
            quote = not quote
        if not quote:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append("".join(current).strip())
                current = []
                continue
        current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def parse(text: str) -> Search:
    match = re.match(r"\s*FIND\s*\{((?:\\.|[^}\\])*)\}(.*)$", text, re.IGNORECASE | re.DOTALL)
    if not match:
        raise malformed("No search term found. The search term must be enclosed in braces.")
    term, rest = match.group(1), match.group(2).strip()
    group = "ALL"
    m = re.match(r"IN\s+(\w+)\s+FIELDS\b(.*)$", rest, re.IGNORECASE | re.DOTALL)
    if m:
        group, rest = m.group(1).upper(), m.group(2).strip()
        if group not in SEARCH_GROUPS:
            raise malformed(f"unexpected token: {m.group(1)}")
    limit = None
    m = re.search(r"\bLIMIT\s+(\d+)\s*$", rest, re.IGNORECASE)
    if m and rest[: m.start()].count("(") == rest[: m.start()].count(")"):
        limit, rest = int(m.group(1)), rest[: m.start()].strip()
    returning: list[Returning] = []
    m = re.match(r"RETURNING\s+(.*)$", rest, re.IGNORECASE | re.DOTALL)
    if m:
        for spec in _split_top(m.group(1)):
            sm = re.match(r"(\w+)\s*(?:\((.*)\))?\s*$", spec, re.DOTALL)
            if not sm:
                raise malformed(f"unexpected token: {spec.split()[0] if spec.split() else spec}")
            inner = (sm.group(2) or "").strip()
            cut = re.search(r"\b(WHERE|ORDER\s+BY|LIMIT|OFFSET)\b", inner, re.IGNORECASE)
            fields = inner[: cut.start()].strip().rstrip(",") if cut else inner
            returning.append(Returning(sm.group(1), fields or "Id", inner[cut.start():] if cut else ""))
    elif rest and not re.match(r"WITH\b", rest, re.IGNORECASE):
        raise malformed(f"unexpected token: {rest.split()[0]}")
    cleaned = re.sub(r"\\(.)", r"\1", term).strip()
    if len(cleaned.replace("*", "").replace("?", "").replace('"', "").strip()) < 2:
        raise malformed("search term must be longer than one character")
    return Search(cleaned, group, returning, limit)


def _term_matchers(term: str):
    """Words (or quoted phrases) that must all match; ``*`` and ``?`` are wildcards; OR between alternatives."""
    alternatives = re.split(r"\s+OR\s+", term)
    out = []
    for alternative in alternatives:
        words = re.findall(r'"[^"]+"|\S+', alternative)
        words = [w for w in words if w.upper() not in ("AND",)]
        patterns = []
        for word in words:
            word = word.strip('"')
            regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in word.casefold())
            patterns.append(re.compile(rf"(^|[^\w]){regex}($|[^\w])" if "*" not in word else rf"(^|[^\w]){regex}"))
        digits = re.sub(r"\D", "", alternative)
        out.append((patterns, digits))
    return out


def _fields(obj: SObject, group: str) -> list[Field]:
    fields = [f for f in obj.fields if f.type in TEXT_TYPES]
    if group == "NAME":
        return [f for f in fields if f.name in NAME_FIELDS or f.describe.get("nameField")]
    if group == "EMAIL":
        return [f for f in fields if f.type == "email"]
    if group == "PHONE":
        return [f for f in fields if f.type == "phone"]
    return fields


def _matches(record: dict, fields: list[Field], matchers) -> bool:
    values = [(f, record.get(f.name)) for f in fields if record.get(f.name)]
    for patterns, digits in matchers:
        ok = True
        for pattern in patterns:
            if not any(pattern.search(str(v).casefold()) for _, v in values):
                ok = False
                break
        if ok and patterns:
            return True
        if len(digits) >= 4 and any(f.type == "phone" and re.sub(r"\D", "", str(v)).endswith(digits)
                                    for f, v in values):
            return True
    return False


def search(org: "Org", text: str, *, user_id: str, version: str) -> dict:
    parsed = parse(text)
    matchers = _term_matchers(parsed.term)
    specs = parsed.returning or [Returning(name, "Id", "") for name in DEFAULT_OBJECTS if org.schema.get(name)]
    out: list[dict] = []
    remaining = min(parsed.limit or MAX_LIMIT, MAX_LIMIT)
    for spec in specs:
        plan = soql.compiled(org, f"SELECT {spec.fields} FROM {spec.sobject} {spec.rest}".strip())
        fields = _fields(plan.obj, parsed.group)
        with org.store.lock:
            ctx = RunContext(now=org.clock.now(), tz=soql._zone(org.settings.time_zone), lookup=org.lookup,
                             source=org.store, user_id=user_id, version=version, schema=org.schema)
            hits = [r for r in org.store.records(plan.obj.name) if not r.get("IsDeleted")
                    and _matches(r, fields, matchers)]
            rows = list(matching_records(plan, ctx, hits))
            if plan.order:
                rows = sort_rows(rows, plan.order, ctx)
            start = plan.offset or 0
            rows = rows[start: start + plan.limit] if plan.limit is not None else rows[start:]
            rows = rows[:remaining]
            out.extend(render(plan.node, plan.obj.name, r, ctx) for r in rows)
        remaining -= len(rows)
        if remaining <= 0:
            break
    return {"searchRecords": out}


def _count(value, what: str) -> int:
    """A positive whole number from a request, or Salesforce's complaint."""
    try:
        number = int(str(value))
    except ValueError:
        raise malformed(f"{what} must be a positive whole number, got {value!r}") from None
    if number < 1:
        raise malformed(f"{what} must be a positive whole number, got {value!r}")
    return number


def parameterized(params: dict) -> str:
    """The SOSL text that a parameterizedSearch request (GET parameters or POST body) stands for."""
    term = params.get("q")
    if not isinstance(term, str) or not term:
        raise malformed("No search term found. The search term must be enclosed in braces.")
    escaped = re.sub(r"([?&|!{}\[\]()^~*:\\\"'+-])", r"\\\1", str(term))
    group = str(params.get("in", "ALL")).upper()
    specs = []
    sobjects = params.get("sobjects")
    if isinstance(sobjects, list):
        for item in sobjects:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise malformed("each sobjects entry needs a name")
            fields = item.get("fields") or params.get("fields") or ["Id"]
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise malformed("fields must be a list of field names")
            limit = f" LIMIT {_count(item['limit'], 'limit')}" if item.get("limit") else ""
            specs.append(f"{item['name']}({', '.join(fields)}{limit})")
    else:
        names = [s for s in str(params.get("sobject", "")).split(",") if s] if "sobject" in params else []
        for name in names:
            fields = str(params.get(f"{name}.fields") or params.get("fields") or "Id")
            raw = params.get(f"{name}.limit")
            limit = f" LIMIT {_count(raw, name + '.limit')}" if raw else ""
            specs.append(f"{name}({fields}{limit})")
    text = f"FIND {{{escaped}}} IN {group} FIELDS"
    if specs:
        text += " RETURNING " + ", ".join(specs)
    if params.get("overallLimit"):
        text += f" LIMIT {_count(params['overallLimit'], 'overallLimit')}"
    return text
