"""Chat and inbox rules as pure functions over plain data: which jobs a trigger queues (T2, T3), who the
visitor is (M1-M4), and the Salesforce operations a job makes (M5, M6, F1, O1).

Every write is an upsert by an external id or an update by Id, so a retried, replayed or concurrent job
never creates a second record: a new Contact or Lead is keyed by the visitor's identification values
(``contact_key_field``), a Case or Task by its chat (``conversation_key_field``). A Case or Task of a
person syncd is creating names that person by reference; the sender fills in the Id once Salesforce has
created it (``salesforce/references.py``)."""

from __future__ import annotations

from typing import Any, Callable

from ..identify import pick
from ..mapping import map_fields, policy_changes
from ..state.store import Operation
from .options import ChatOptions, Triggers

PERSON_ACTIONS = ("contact_case", "contact_task", "lead_task")


def jobs_for(trigger: str, triggers: Triggers) -> list[tuple[str, str]]:
    """T2/T3: (stage, action) jobs of a trigger. An action on a *started* trigger handles the person at the
    start (``person``) and attaches the conversation at the end (``attach``); an *ended* trigger or an
    offline message does both at once. ``nothing`` queues nothing. ``manual`` (T4) queues nothing at the
    start and ``("attach", "manual")`` at the end, which the handler replaces by the agent's pick."""
    if trigger == "offline_message":
        action = triggers.offline_message
        return [("attach", action)] if action != "nothing" else []
    prefix = "chat" if trigger.startswith("chat") else "conversation"
    start_action = getattr(triggers, f"{prefix}_started")
    end_action = getattr(triggers, f"{prefix}_ended")
    if trigger.endswith("_started"):
        return [("person", start_action)] if start_action in PERSON_ACTIONS else []
    action = end_action if end_action != "nothing" else start_action
    return [("attach", action)] if action != "nothing" else []


def ref(sobject: str, field: str, key: str) -> dict[str, Any]:
    """A lookup to a record syncd creates by an external id: resolved to its Id by the sender."""
    return {"$ref": {"sobject": sobject, "field": field, "value": key}}


def identity(*, key: str, contact: dict | None, lead: dict | None, account: dict | None) -> dict[str, Any]:
    """M3: a Contact wins over a Lead; M4: the Account of the Account rules, else the Contact's."""
    rule_account = account["Id"] if account else None
    if contact is not None:
        return {"kind": "contact", "id": contact["Id"], "key": key, "current": contact,
                "account_id": rule_account or contact.get("AccountId"), "rule_account_id": rule_account}
    if lead is not None:
        return {"kind": "lead", "id": lead["Id"], "key": key, "current": lead, "account_id": rule_account,
                "rule_account_id": rule_account}
    return {"kind": "none", "id": None, "key": key, "current": {}, "account_id": rule_account,
            "rule_account_id": rule_account}


def find(rows: dict[str, list[dict]], options: ChatOptions, values: tuple | None,
         account_values: tuple | None, key: str) -> dict[str, Any]:
    """M1-M4 over the rows that the batched identification queries returned."""
    ident = options.identification
    contact = pick(rows.get("Contact", []), ident.conditions, values) if values else None
    lead = pick(rows.get("Lead", []), ident.conditions, values) if values and contact is None else None
    account = (pick(rows.get("Account", []), ident.account_conditions, account_values)
               if account_values and ident.account_conditions else None)
    return identity(key=key, contact=contact, lead=lead, account=account)


def person(action: str, found: dict, context: dict, options: ChatOptions, owner_id: str | None,
           skip: set[str], pending: Callable[[str, str], bool] = lambda sobject, key: False
           ) -> tuple[list[Operation], list]:
    """M5/M6: update the found Contact or Lead per the policy, or create one; returns (operations, who)
    where who is [object, Id or reference]. ``pending(sobject, key)``: whether an upsert of that person
    still waits in the outbox (an earlier chat of the same new visitor): then this chat only refers to it,
    since a second upsert queued behind the first chat's Task would hold that Task back for good."""
    order = f"visitor:{found['key']}"
    kind = found["kind"]
    if kind == "contact" or (kind == "lead" and action != "contact_case"):
        sobject = "Contact" if kind == "contact" else "Lead"
        changes = policy_changes(options.update_policy, options.mapping(sobject), context, found["current"], skip)
        ops = [Operation(sobject, "Id", found["id"], changes, order, op="update")] if changes else []
        return ops, [sobject, found["id"]]
    # M6: no one (or a Lead, which cannot hold a Case): create the person the action names
    sobject = "Lead" if action == "lead_task" else "Contact"
    who = [sobject, ref(sobject, options.contact_key_field, found["key"])]
    if pending(sobject, found["key"]):
        return [], who
    fields = map_fields(options.mapping(sobject), context)
    if sobject == "Contact" and found.get("rule_account_id"):
        fields["AccountId"] = found["rule_account_id"]  # M4: created under the matched Account
    if owner_id:
        fields["OwnerId"] = owner_id  # O1
    return [Operation(sobject, options.contact_key_field, found["key"], fields, order)], who


def attach(action: str, chat_key: str, found: dict | None, who: list | None, context: dict,
           options: ChatOptions, owner_id: str | None) -> Operation:
    """T3/F1: the Case or Task that carries the conversation, keyed by the chat."""
    sobject = "Case" if action in ("contact_case", "case") else "Task"
    fields = map_fields(options.mapping(sobject), context)
    if sobject == "Case" and who is not None and who[0] == "Contact":
        fields["ContactId"] = who[1]
        if found and found.get("account_id"):
            fields["AccountId"] = found["account_id"]
    if sobject == "Task" and who is not None:
        fields["WhoId"] = who[1]
        if who[0] == "Contact" and found and found.get("rule_account_id"):
            fields["WhatId"] = found["rule_account_id"]
    if owner_id:
        fields["OwnerId"] = owner_id  # O1
    order = f"visitor:{found['key']}" if found is not None else f"chat:{chat_key}"
    return Operation(sobject, options.conversation_key_field, chat_key, fields, order)


def plan(stage: str, action: str, chat: dict, context: dict, found: dict | None, options: ChatOptions,
         owner_id: str | None, pending: Callable[[str, str], bool] = lambda sobject, key: False
         ) -> tuple[list[Operation], list | None]:
    """The operations of one job, and who the conversation belongs to (kept with the chat for its end)."""
    ops: list[Operation] = []
    who = (chat.get("identity") or {}).get("who")
    skip = {c.salesforce.lower() for c in options.identification.conditions}
    if action in PERSON_ACTIONS and not chat.get("person_done"):
        assert found is not None
        ops, who = person(action, found, context, options, owner_id, skip, pending)
    if stage == "attach":
        ops.append(attach(action, chat["key"], found if action != "case" else None, who, context, options, owner_id))
    return ops, who
