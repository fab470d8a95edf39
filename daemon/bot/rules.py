"""The bot actions (B1-B4) as pure functions: the SOQL each action sends, what Salesforce's answer means
for the bot author, the answers flattened into bot variables, and the routing lookup's query and answer.

Values enter SOQL only through ``identify.soql_literal``; names (objects, fields) only after they matched
``NAME`` / ``FIELD_PATH`` here, so no input can add a clause. B3's statement is handled in
``statement.py``."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .. import identify
from .options import FIELD_PATH, BotOptions

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
"""An object or field API name: standard (``Contact``), custom (``Tier__c``), namespaced (``ns__Tier__c``)."""
FIND_ORDER = "ORDER BY CreatedDate ASC, Id ASC"
"""B2 and B4: of several matches, the oldest record first, then the lowest Id (as M3 decides)."""
ROUTE_CANDIDATES = 20
"""B4: matches fetched for one visitor; the oldest wins, and Salesforce sorts them already."""

HINTS = {
    "NOT_FOUND": "the org has no object of that name: correct the object's API name (custom objects end in __c)",
    "INVALID_TYPE": "the org has no object of that name (or the integration user cannot see it): correct the "
                    "object's API name (custom objects end in __c)",
    "INVALID_FIELD": "a field name is not a field of the object that the integration user can use: correct its "
                     "API name (custom fields end in __c) or give the user access to it",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "a field cannot be written (a formula, auto-number or system field): "
                                       "remove it from the action",
    "REQUIRED_FIELD_MISSING": "give the action a value for every required field",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "use one of the field's picklist values (Setup, or the object's "
                                               "describe, lists them)",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "a validation rule of the org refused the values: change them so that "
                                         "the rule holds (its message says what it needs)",
    "STRING_TOO_LONG": "shorten the value to the field's length",
    "INVALID_EMAIL_ADDRESS": "give a valid email address",
    "MALFORMED_ID": "a lookup field holds something that is not a record id",
    "INVALID_CROSS_REFERENCE_KEY": "a lookup field holds the id of a record that does not exist or is of "
                                   "another object",
    "FIELD_INTEGRITY_EXCEPTION": "a lookup field holds the id of a record of another object",
    "DUPLICATES_DETECTED": "a duplicate rule of the org blocks the record: find the existing one instead",
    "DUPLICATE_VALUE": "a unique field already holds this value on another record",
    "MALFORMED_QUERY": "correct the statement's syntax; Salesforce's message shows where it stopped reading",
    "INVALID_QUERY_FILTER_OPERATOR": "the operator does not apply to the field's type",
    "NUMBER_OUTSIDE_VALID_RANGE": "a number is outside what Salesforce allows (OFFSET is at most 2000)",
}
NO_SUCH_COLUMN = re.compile(r"No such column '([^']+)'")


@dataclass(frozen=True)
class Refusal:
    """How a call is refused: HTTP status, a stable code, what to fix, where (a JSON pointer), and
    Salesforce's own errors when it was Salesforce that refused."""

    status: int
    code: str
    detail: str
    pointer: str | None = None
    salesforce: list[dict] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


def unavailable(status: int, code: str, retryable: bool, login: bool) -> bool:
    """S3: Salesforce (or the way to it) failed, not the action: the caller may try the same again later."""
    return login or retryable or status in (0, 401) or status >= 500


OBJECT_CODES = {"NOT_FOUND", "INVALID_TYPE"}
"""Salesforce's answers to an object name it does not know (create: NOT_FOUND; a query: INVALID_TYPE)."""


def salesforce_refusal(action: str, errors: list[dict], pointers: Mapping[str, str] | None = None,
                       default: str | None = None, object_pointer: str | None = "/object") -> Refusal:
    """B1-B3: Salesforce refused what the bot author wrote: a 422 with Salesforce's errorCode, message and
    fields, and a sentence saying what to change. ``pointers``: field name (lower case) -> the JSON pointer
    of the input that named it, so the answer points at the field to correct."""
    shown = [{"errorCode": str(e.get("errorCode") or e.get("statusCode") or "UNKNOWN"),
              "message": str(e.get("message") or ""), "fields": list(e.get("fields") or [])}
             for e in errors if isinstance(e, dict)] or [{"errorCode": "UNKNOWN", "message": "", "fields": []}]
    first = shown[0]
    named = [f for e in shown for f in e["fields"]]
    named += [m.group(1) for e in shown if (m := NO_SUCH_COLUMN.search(e["message"]))]
    named = list(dict.fromkeys(named))
    pointers = pointers or {}
    pointer = next((pointers[n.lower()] for n in named if n.lower() in pointers), default)
    if first["errorCode"] in OBJECT_CODES and object_pointer:
        pointer = object_pointer
    hint = HINTS.get(first["errorCode"], "Salesforce refused the action as sent: change it as its message says")
    message = first["message"].strip().rstrip(".")
    detail = f"Salesforce refused the {action} ({first['errorCode']}): {message}. To fix: {hint}."
    return Refusal(422, first["errorCode"], detail, pointer, shown, named)


def fingerprint(body: Mapping[str, Any]) -> str:
    """B1: what makes two requests with one Idempotency-Key the same request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


# -- B2 -----------------------------------------------------------------------------------------------
def select_list(fields: Iterable[str], first: Sequence[str] = ("Id",)) -> list[str]:
    """The fields once each (SOQL refuses a field selected twice), in the order given."""
    out: dict[str, str] = {}
    for name in [*first, *fields]:
        out.setdefault(name.lower(), name)
    return list(out.values())


def find_query(sobject: str, field_name: str, value: Any, fields: Iterable[str]) -> str:
    """B2: the first record (oldest CreatedDate, then Id) whose ``field_name`` equals ``value``."""
    if NAME.fullmatch(sobject) is None or FIELD_PATH.fullmatch(field_name) is None:
        raise ValueError("names are checked by the caller")
    return (f"SELECT {', '.join(select_list(fields))} FROM {sobject} WHERE {field_name} = "
            f"{identify.soql_literal(value)} {FIND_ORDER} LIMIT 1")


# -- flattening (B2, B3, B4) ----------------------------------------------------------------------------
def _child_rows(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("records"), list) and "totalSize" in value


def flatten(record: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """A query row as bot variables: parent fields as paths (``Account.Owner.Email``), child rows by
    position (``Contacts.0.Email``, with ``Contacts.totalSize``); ``attributes`` left out."""
    out: dict[str, Any] = {}
    for key, value in (record or {}).items():
        if key == "attributes":
            continue
        name = f"{prefix}{key}"
        if _child_rows(value):
            out[f"{name}.totalSize"] = value["totalSize"]
            for index, child in enumerate(value["records"]):
                out.update(flatten(child, f"{name}.{index}."))
        elif isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def path_value(record: Mapping[str, Any] | None, path: str) -> Any:
    """The value at ``Owner.Email`` in a row, whatever the letter case of the path (None if absent)."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value if not isinstance(value, Mapping) else None


# -- B4 -------------------------------------------------------------------------------------------------
def route_context(body: Mapping[str, Any]) -> dict[str, Any]:
    """The sources ``[chat.identification]`` names, from a routing request shaped like a chat event."""
    return {"visitor": body.get("visitor") or {}, "session": body.get("session") or {},
            "custom": body.get("customVariables") or {}, "prechat": body.get("preChat") or {}}


def route_key(ident: Any, values: tuple, account_values: tuple | None, options: BotOptions) -> str:
    """The cache key: the visitor's identification values (as Salesforce compares them) and what is asked."""
    data = [[c.salesforce.lower() for c in ident.conditions], [identify.norm(v) for v in values],
            [c.salesforce.lower() for c in ident.account_conditions],
            [identify.norm(v) for v in account_values or ()],
            [f.lower() for f in options.routing_contact_fields], [f.lower() for f in options.routing_account_fields]]
    return hashlib.sha256(json.dumps(data).encode("utf-8")).hexdigest()


def route_queries(ident: Any, options: BotOptions, values: tuple,
                  account_values: tuple | None) -> tuple[str, str | None]:
    """B4: one SOQL for the Contact with its Account's fields as relationship fields; with Account rules
    (M4) and values for them, a second for the Account (both go in one composite request)."""
    select = ["AccountId", *options.routing_contact_fields, *(f"Account.{f}" for f in options.routing_account_fields)]
    contact = identify.queries("Contact", select, ident.conditions, [values])[0] + f" LIMIT {ROUTE_CANDIDATES}"
    if not (ident.account_conditions and account_values):
        return contact, None
    account = identify.queries("Account", options.routing_account_fields, ident.account_conditions,
                               [account_values])[0] + f" LIMIT {ROUTE_CANDIDATES}"
    return contact, account


def route_answer(ident: Any, options: BotOptions, values: tuple, account_values: tuple | None,
                 contacts: list[dict], accounts: list[dict]) -> dict[str, Any]:
    """B4 (M3, M4): the oldest matching Contact; the Account of the Account rules, else the Contact's.
    Every configured field is in ``variables``, null when there is no value, so a routing rule can test
    it."""
    contact = identify.pick(contacts, ident.conditions, values)
    rule_account = identify.pick(accounts, ident.account_conditions, account_values) if account_values else None
    if rule_account is not None:
        account, account_id, matched_by = rule_account, rule_account.get("Id"), "account_conditions"
    elif contact is not None and contact.get("AccountId"):
        account, account_id, matched_by = contact.get("Account"), contact.get("AccountId"), "contact"
    else:
        account, account_id, matched_by = None, None, None
    variables: dict[str, Any] = {"Contact.Id": contact.get("Id") if contact else None}
    variables.update({f"Contact.{f}": path_value(contact, f) for f in options.routing_contact_fields})
    variables["Account.Id"] = account_id
    variables.update({f"Account.{f}": path_value(account, f) for f in options.routing_account_fields})
    return {"found": contact is not None, "contactId": variables["Contact.Id"], "accountId": account_id,
            "accountMatchedBy": matched_by, "variables": variables}
