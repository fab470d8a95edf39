"""Interactions as pure functions (I1-I4): what to ask Salesforce, and what its answers mean.

One read (a composite of SOQL queries: the Task by its external id with its people, the Accounts, the
Case, the customers' Contacts, the agent's User) gives everything the decision needs:

* **I1** the Account: the one given, else the Case's, else the primary contact's; none is a refusal.
* **I2** the Case: the one given (closed ones too: the history belongs with it, the answer says it was
  closed), or a new one created from the interaction. A Task has one WhatId: the Case when there is one,
  else the Account. With a Case, Salesforce derives Task.AccountId from the primary contact (Object
  Reference, Task.AccountId), and the Account stays reachable through the Case (Case.AccountId) and
  through each person's TaskRelation.AccountId.
* **I3** every customer is a Contact: given by id, found by email (case-insensitively; several: the one in
  the customer's Account, else in the interaction's, else the oldest, then the lowest Id), or
* **I4** created under its Account (``accountId``, else the interaction's) by an upsert on the contact key
  (``e:<email>``, or a hash of the account, name and phone), so a retry finds the same Contact.

Ids are compared on their first 15 characters (Salesforce answers 18, callers may send 15).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..identify import norm, soql_literal
from ..owners import users_query
from .options import InteractionOptions

TITLES = {"phone": "Phone call", "chat": "Chat", "email": "Email"}
SUBTYPES = {"phone": "Call", "email": "Email", "chat": "Task"}
ORIGINS = {"phone": "Phone", "email": "Email", "chat": "Web"}
CALL_TYPES = {"inbound": "Inbound", "outbound": "Outbound", "internal": "Internal"}


class Refusal(Exception):
    """An interaction syncd cannot log as sent: its HTTP status, a stable code, what to fix, the rule."""

    def __init__(self, status: int, code: str, message: str, rule: str | None = None,
                 pointer: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.rule, self.pointer = status, code, message, rule, pointer


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a[:15] == b[:15]  # type: ignore[index]


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def context(data: dict, key: str, now: datetime) -> dict[str, Any]:
    """The mapping context of an interaction (sources ``interaction.*`` and ``case.*``)."""
    channel = data["channel"]
    start, end = _when(data.get("startTime")), _when(data.get("endTime"))
    moment = (end or start or now).astimezone(timezone.utc)
    phone = channel == "phone"
    duration = int((end - start).total_seconds()) if phone and start and end and end >= start else None
    interaction = {
        "id": data["interactionId"], "key": key, "channel": channel, "direction": data.get("direction"),
        "title": data.get("subject") or TITLES[channel], "subject": data.get("subject"),
        "notes": data.get("notes"), "disposition": data.get("disposition"), "date": moment.date().isoformat(),
        "startTime": start.isoformat() if start else None, "endTime": end.isoformat() if end else None,
        "callType": CALL_TYPES.get(data.get("direction") or "") if phone else None, "duration": duration,
        "subtype": SUBTYPES[channel], "origin": ORIGINS[channel], "agent": data.get("agent") or {}}
    return {"interaction": interaction, "case": data.get("case") or {}}


def contact_key(customer: dict, account_id: str | None) -> str | None:
    """The external id of the Contact syncd creates for a customer: the same customer, the same key."""
    if customer.get("email"):
        return f"e:{norm(customer['email'])}"[:255]
    if not account_id:
        return None
    digits = "".join(ch for ch in customer.get("phone") or "" if ch.isdigit())
    name = " ".join(norm(customer.get("name") or " ".join(
        p for p in (customer.get("firstName"), customer.get("lastName")) if p) or "").split())
    return "h:" + hashlib.sha256(f"account={account_id[:15]}\x1fname={name}\x1fphone={digits}".encode()).hexdigest()


# -- the read -------------------------------------------------------------------------------------------

def task_query(options: InteractionOptions, key: str) -> str:
    return (f"SELECT Id, WhoId, WhatId, AccountId, OwnerId, Status, IsClosed, "
            f"(SELECT Id, RelationId FROM TaskRelations WHERE IsWhat = false) "
            f"FROM Task WHERE {options.task_key_field} = {soql_literal(key)}")


def reads(data: dict, options: InteractionOptions, key: str, customers: list[dict],
          user_emails: list[str], *, task: bool = True) -> list[tuple[str, str]]:
    """(name, SOQL) of everything one interaction needs to know, asked in one composite request."""
    out: list[tuple[str, str]] = []
    if task:
        out.append(("task", task_query(options, key)))
    accounts = {a for a in [(data.get("account") or {}).get("id"), *(c.get("accountId") for c in customers)] if a}
    if accounts:
        out.append(("accounts", f"SELECT Id, Name FROM Account WHERE Id IN "
                                f"({', '.join(soql_literal(a) for a in sorted(accounts))})"))
    case = data.get("case") or {}
    if case.get("id") or case.get("create"):
        where = f"Id = {soql_literal(case['id'])}" if case.get("id") else \
            f"{options.case_key_field} = {soql_literal(key)}"
        out.append(("case", f"SELECT Id, AccountId, ContactId, IsClosed, CaseNumber FROM Case WHERE {where}"))
    ids = sorted({c["contactId"] for c in customers if c.get("contactId")})
    emails = sorted({norm(c["email"]) for c in customers if c.get("email") and not c.get("contactId")})
    hint = (data.get("account") or {}).get("id")
    keys = sorted({k for c in customers if not c.get("contactId") and not c.get("email")
                   and (k := contact_key(c, c.get("accountId") or hint))})
    where = [f"Id IN ({', '.join(soql_literal(i) for i in ids)})" if ids else "",
             f"Email IN ({', '.join(soql_literal(e) for e in emails)})" if emails else "",
             f"{options.contact_key_field} IN ({', '.join(soql_literal(k) for k in keys)})" if keys else ""]
    if any(where):
        out.append(("contacts", f"SELECT Id, AccountId, Email, {options.contact_key_field}, CreatedDate FROM Contact "
                                f"WHERE {' OR '.join(w for w in where if w)} ORDER BY CreatedDate ASC, Id ASC"))
    if user_emails:
        out.append(("users", users_query(user_emails)))  # O1
    return out


# -- the decision ---------------------------------------------------------------------------------------

@dataclass
class Person:
    """One customer resolved to a Contact: found (``contact_id``) or to create (``key``, ``fields``)."""

    index: int
    contact_id: str | None
    account_id: str | None
    primary: bool
    key: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def created(self) -> bool:
        return self.contact_id is None


@dataclass
class Resolution:
    account_id: str
    case: dict | None
    """The Case row (given, or created by an earlier attempt) or None."""
    create_case: bool
    people: list[Person]
    task: dict | None
    """The Task row when the interaction was logged before (with its ``TaskRelations``)."""

    @property
    def primary(self) -> Person | None:
        return next((p for p in self.people if p.primary), self.people[0] if self.people else None)


def _account(data: dict, rows: dict[str, list[dict]], pointer: str = "/account") -> str | None:
    given = (data.get("account") or {}).get("id")
    if given and not any(same(r["Id"], given) for r in rows.get("accounts", [])):
        raise Refusal(422, "ACCOUNT_NOT_FOUND", f"No Account {given} in Salesforce (it does not exist or was "
                      "deleted): give the id of an existing Account", "I1", f"{pointer}/id")
    return next((r["Id"] for r in rows.get("accounts", []) if same(r["Id"], given)), None)


def _case(data: dict, rows: dict[str, list[dict]], account: str | None, pointer: str = "/case") -> dict | None:
    case = data.get("case") or {}
    found = (rows.get("case") or [None])[0]
    if case.get("id"):
        if found is None:
            raise Refusal(422, "CASE_NOT_FOUND", f"No Case {case['id']} in Salesforce (it does not exist or was "
                          "deleted): give the id of an existing Case, or case.create = true", "I2", f"{pointer}/id")
        if account and found.get("AccountId") and not same(found["AccountId"], account):
            raise Refusal(422, "CASE_ACCOUNT_MISMATCH", f"Case {found['Id']} belongs to Account "
                          f"{found['AccountId']}, not {account}: a Task relates to one Case or one Account, so give "
                          "the Case's Account or leave the account out", "I2", f"{pointer}/id")
    return found


def _pick(candidates: list[dict], *accounts: str | None) -> dict:
    for account in accounts:
        if account:
            for row in candidates:
                if same(row.get("AccountId"), account):
                    return row
    return min(candidates, key=lambda r: (str(r.get("CreatedDate") or ""), r["Id"]))  # M3's order


def people(customers: list[dict], rows: dict[str, list[dict]], options: InteractionOptions,
           account: str | None, pointer: str = "/customers") -> list[Person]:
    """Each customer as a found Contact or one to create under its Account (I3, I4), duplicates folded."""
    known_accounts = {r["Id"][:15]: r["Id"] for r in rows.get("accounts", [])}
    contacts = rows.get("contacts", [])
    out: list[Person] = []
    first_primary = next((i for i, c in enumerate(customers) if c.get("primary")), 0)
    for index, customer in enumerate(customers):
        where = f"{pointer}/{index}"
        own = customer.get("accountId")
        if own and own[:15] not in known_accounts:
            raise Refusal(422, "ACCOUNT_NOT_FOUND", f"No Account {own} in Salesforce for customer {index}: give "
                          "the id of an existing Account", "I4", f"{where}/accountId")
        own = known_accounts.get(own[:15]) if own else None
        if customer.get("contactId"):
            row = next((r for r in contacts if same(r["Id"], customer["contactId"])), None)
            if row is None:
                raise Refusal(422, "CONTACT_NOT_FOUND", f"No Contact {customer['contactId']} in Salesforce (it "
                              "does not exist or was deleted)", "I3", f"{where}/contactId")
            person = Person(index, row["Id"], row.get("AccountId"), index == first_primary)
        else:
            wanted = norm(customer["email"]) if customer.get("email") else None
            key = contact_key(customer, own or account)
            matches = [r for r in contacts if (wanted and r.get("Email") and norm(r["Email"]) == wanted)
                       or (key and r.get(options.contact_key_field) == key)]
            if matches:
                row = _pick(matches, own, account)
                person = Person(index, row["Id"], row.get("AccountId"), index == first_primary)
            else:
                home = own or account
                if not home or key is None:
                    raise Refusal(422, "CUSTOMER_ACCOUNT_UNKNOWN", f"Customer {index} is not in Salesforce and its "
                                  "Account is not known: give customers[].accountId (or the interaction's "
                                  "account) so that a Contact can be created under it", "I4", where)
                person = Person(index, None, home, index == first_primary, key=key)
        twin = next((p for p in out if p.contact_id and same(p.contact_id, person.contact_id)
                     or (p.key and p.key == person.key)), None)
        if twin is not None:  # one customer named twice: one relation
            twin.primary = twin.primary or person.primary
            continue
        out.append(person)
    return out


def resolve(data: dict, rows: dict[str, list[dict]], options: InteractionOptions) -> Resolution:
    """I1-I4 for one interaction; a Refusal says what to fix."""
    given = _account(data, rows)
    case = _case(data, rows, given)
    case_account = (case or {}).get("AccountId")
    account = given or case_account
    found = people(data.get("customers") or [], rows, options, account)
    primary = next((p for p in found if p.primary), found[0] if found else None)
    account = account or (primary.account_id if primary else None) or next(
        (p.account_id for p in found if p.account_id), None)
    if not account:
        raise Refusal(422, "ACCOUNT_REQUIRED", "An interaction is related at least to an Account (I1): give "
                      "account.id, a Case that has an Account, or a customer whose Contact has one", "I1", "/account")
    task = (rows.get("task") or [None])[0]
    return Resolution(account, case, bool((data.get("case") or {}).get("create")) and case is None, found, task)


def resolve_relations(data: dict, rows: dict[str, list[dict]], options: InteractionOptions,
                      interaction_account: str | None) -> Resolution:
    """I5: what a Task is to relate to instead, and the people to add (found, or created under their Account,
    else the interaction's)."""
    given = _account(data, rows)
    case = _case(data, rows, None)
    account = given or (case or {}).get("AccountId") or interaction_account
    found = people(data.get("add") or [], rows, options, account, pointer="/add")
    task = (rows.get("task") or [None])[0]
    return Resolution(account or "", case, bool((data.get("case") or {}).get("create")) and case is None, found,
                      task)
