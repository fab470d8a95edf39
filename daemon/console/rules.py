"""The agent console's decisions as pure functions: which chat a key names, what the recognise call
answers (M1-M4 over the identification rows), which manual actions are offered (T4), and the person
record a pick writes at once (F1 mapping, overridden by the agent's edits)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping

from .. import identify
from ..bot.rules import path_value
from ..chat.options import ChatOptions
from ..mapping import map_fields
from .options import ConsoleOptions

CHAT_KEY = re.compile(r"(chat|inbox|offline):[^\x00-\x1f\x7f]{1,255}")
"""``chat:<chatId>``, ``inbox:<conversationId>``, ``offline:<messageId>`` (daemon/chat/events.py)."""
FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

MANUAL_TRIGGER = {"chat": "chat_started", "inbox": "conversation_started"}
"""T4: the trigger whose ``manual`` lets the agent pick, per conversation kind (offline messages: none)."""

OFFERED = {
    "none": ["lead_task", "case", "contact_case", "contact_task"],
    "contact": ["contact_case", "contact_task"],
    "lead": ["lead_task"],
}
"""T4: no one: a new Lead + Task, a Case, a new Contact + Case or + Task; a Contact: a Case or Task on it;
a Lead: a Task on it (a Case cannot belong to a Lead)."""

PERSON = {"lead_task": "Lead", "contact_case": "Contact", "contact_task": "Contact"}


def valid_key(key: str) -> bool:
    return CHAT_KEY.fullmatch(key) is not None


def is_manual(kind: str, options: ChatOptions) -> bool:
    trigger = MANUAL_TRIGGER.get(kind)
    return trigger is not None and getattr(options.triggers, trigger) == "manual"


def offered(found: str, manual: bool, picked: bool) -> list[str]:
    """The actions an agent may pick now: none unless the chat is manual and nothing was picked yet."""
    return list(OFFERED[found]) if manual and not picked else []


def cache_key(options: ChatOptions, console: ConsoleOptions, values: tuple, account_values: tuple | None) -> str:
    """One visitor's answer, as Salesforce compares values, for what is shown: shared by their chats."""
    ident = options.identification
    data = [[c.salesforce.lower() for c in ident.conditions], [identify.norm(v) for v in values],
            [c.salesforce.lower() for c in ident.account_conditions],
            [identify.norm(v) for v in account_values or ()],
            {o: [f.lower() for f in console.display(o)] for o in ("Contact", "Lead", "Account")}]
    return hashlib.sha256(json.dumps(data).encode("utf-8")).hexdigest()


def select(console: ConsoleOptions, account_rules: bool) -> dict[str, list[str]]:
    """The display fields each identification query reads; without Account rules the Contact's Account
    comes with the Contact (``Account.<field>``), so one request still answers everything."""
    contact = console.display("Contact")
    if not account_rules:
        contact = [*contact, *(f"Account.{f}" for f in console.display("Account"))]
    return {"Contact": contact, "Lead": console.display("Lead"), "Account": console.display("Account")}


def record_url(instance_url: str | None, sobject: str, record_id: str | None) -> str | None:
    """The record in Lightning Experience, as the org serves it."""
    if not instance_url or not record_id:
        return None
    return f"{instance_url.rstrip('/')}/lightning/r/{sobject}/{record_id}/view"


def _record(sobject: str, row: Mapping[str, Any] | None, record_id: str | None, fields: list[str],
            instance_url: str | None) -> dict[str, Any] | None:
    if not record_id:
        return None
    return {"object": sobject, "id": record_id, "url": record_url(instance_url, sobject, record_id),
            "fields": {f: path_value(row, f) for f in fields}}


def answer(found: dict[str, Any], rows: dict[str, list[dict]], console: ConsoleOptions,
           instance_url: str | None) -> dict[str, Any]:
    """The recognise answer (without its per-call parts): the matched Contact or Lead, its Account (the
    Account rules' match, else the Contact's: M4) with the display fields, and their Lightning links."""
    kind = found["kind"]
    person = found["current"] if kind != "none" else None
    contact = _record("Contact", person, found["id"], console.display("Contact"), instance_url) \
        if kind == "contact" else None
    lead = _record("Lead", person, found["id"], console.display("Lead"), instance_url) if kind == "lead" else None
    account = None
    rule_id = found.get("rule_account_id")
    if rule_id:
        row = next((r for r in rows.get("Account", []) if r.get("Id") == rule_id), None)
        account = {**_record("Account", row, rule_id, console.display("Account"), instance_url),
                   "matchedBy": "account_conditions"}
    elif kind == "contact" and person.get("AccountId"):
        account = {**_record("Account", person.get("Account"), person["AccountId"], console.display("Account"),
                             instance_url), "matchedBy": "contact"}
    identity = {k: found[k] for k in ("kind", "id", "key", "account_id", "rule_account_id")}
    return {"found": kind, "contact": contact, "lead": lead, "account": account, "identity": identity}


def person_fields(action: str, identity: dict[str, Any], context: dict[str, Any], options: ChatOptions,
                  edits: Mapping[str, Any], owner_id: str | None) -> tuple[str, dict[str, Any]] | None:
    """T4/M6/F1: the person a pick creates for a visitor found as no one: the mapped fields from the chat,
    the matched Account (M4) and the agent's owner (O1), each overridden by what the agent edited. None
    when the action creates no person (``case``)."""
    sobject = PERSON.get(action)
    if sobject is None:
        return None
    fields = map_fields(options.mapping(sobject), context)
    if sobject == "Contact" and identity.get("rule_account_id"):
        fields["AccountId"] = identity["rule_account_id"]
    if owner_id:
        fields["OwnerId"] = owner_id
    fields.update(edits)  # the agent's edits win over the mapping
    fields.pop(options.contact_key_field, None)  # the key is the upsert's, never an edit
    return sobject, fields


def fingerprint(action: str, edits: Mapping[str, Any]) -> str:
    """What makes a repeated pick the same pick (a retry after a lost answer)."""
    return hashlib.sha256(json.dumps({"action": action, "fields": edits}, sort_keys=True).encode()).hexdigest()


def identity_after(identity: dict[str, Any], action: str, who: list | None) -> dict[str, Any]:
    """The chat's stored identity once the pick is done: the attach job at the chat end reads ``who``
    (the created or found record) and the Account from it."""
    out = {**identity, "current": {}, "who": who}
    if who is not None and who[0] == "Contact" and identity["kind"] == "none":
        out["account_id"] = identity.get("rule_account_id")
    return out
