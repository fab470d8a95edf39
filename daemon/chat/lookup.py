"""Identification as ONE composite request (M1-M4, O1), shared by the chat worker and the agent console.

``statements`` says which queries find a set of visitors (Contacts, Leads that are not converted, Accounts
of the Account rules, Users of agents not in the O1 cache); ``run`` sends them in as few composite
requests as Salesforce allows (25 subrequests each) and returns the rows per object. The rows are matched
back to visitors by the pure ``rules.find``."""

from __future__ import annotations

from typing import Callable, Iterable, Mapping
from urllib.parse import quote

from .. import identify
from ..owners import users_query
from ..salesforce.client import SalesforceClient
from ..salesforce.errors import SalesforceApiError, is_retryable_code
from .options import ChatOptions

SUBREQUESTS = 25


class QueryRefused(Exception):
    """Salesforce refused a query as written (a field the configuration names that the org lacks)."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retryable = code, message, retryable


def _merge(first: Iterable[str], more: Iterable[str]) -> list[str]:
    out = list(first)
    seen = {name.lower() for name in out}
    for name in more:
        if name.lower() not in seen:
            out.append(name)
            seen.add(name.lower())
    return out


def statements(options: ChatOptions, values: list[tuple], account_values: list[tuple], emails: list[str],
               select: Mapping[str, Iterable[str]] | None = None) -> list[tuple[str, str]]:
    """(object, SOQL) pairs. ``select``: more fields per object (Contact, Lead, Account) for a caller that
    shows them (the console's display fields); the worker reads what its update policy needs."""
    ident = options.identification
    select = select or {}
    out: list[tuple[str, str]] = []
    if values:
        policy = options.update_policy != "keep"
        contact_fields = _merge(["AccountId", *(options.mapping("Contact") if policy else [])],
                                select.get("Contact", []))
        lead_fields = _merge(options.mapping("Lead") if policy else [], select.get("Lead", []))
        out += [("Contact", q) for q in identify.queries("Contact", contact_fields, ident.conditions, values)]
        out += [("Lead", q) for q in identify.queries("Lead", lead_fields, ident.conditions, values,
                                                      extra="IsConverted = false")]  # M3
    if account_values:
        out += [("Account", q) for q in identify.queries("Account", list(select.get("Account", [])),
                                                         ident.account_conditions, account_values)]
    if emails:
        out.append(("User", users_query(emails)))  # O1
    return out


async def run(client: SalesforceClient, pairs: list[tuple[str, str]],
              on_request: Callable[[], None] = lambda: None) -> dict[str, list[dict]]:
    """Every statement in as few composite requests as allowed. Org-wide or retryable failures propagate
    as ``SalesforceApiError``; a query Salesforce refuses raises ``QueryRefused``."""
    rows: dict[str, list[dict]] = {}
    version = client.config.api_version
    for start in range(0, len(pairs), SUBREQUESTS):
        part = pairs[start: start + SUBREQUESTS]
        subrequests = [{"method": "GET", "referenceId": f"q{i}",
                        "url": f"/services/data/v{version}/query?q={quote(text, safe='')}"}
                       for i, (_, text) in enumerate(part)]
        on_request()
        try:
            answers = await client.composite(subrequests)
        except SalesforceApiError as exc:
            if exc.org_wide or exc.retryable:
                raise  # the caller's circuit (or the agent) decides when to try again
            raise QueryRefused(exc.code, exc.message, False) from None
        for (sobject, text), answer in zip(part, answers):
            body = answer.get("body")
            if answer.get("httpStatusCode", 500) >= 300:
                error = (body[0] if isinstance(body, list) and body else {}) or {}
                code = error.get("errorCode", f"HTTP_{answer.get('httpStatusCode')}")
                raise QueryRefused(code, f"{error.get('message', '')} (in: {text[:300]})",
                                   is_retryable_code(code) or answer.get("httpStatusCode", 500) >= 500)
            records = list(body["records"])
            while not body.get("done", True):  # a visitor shared by more than 2,000 records: page on
                on_request()
                body = await client.request("GET", body["nextRecordsUrl"])
                records.extend(body["records"])
            rows.setdefault(sobject, []).extend(records)
    return rows
