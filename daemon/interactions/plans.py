"""The writes of an interaction as composite subrequests, and the answers made of their results (pure).

Everything one call changes goes into ONE all-or-none composite request: the new customers' Contacts
(upserts by their key), a Case created from the interaction (an upsert by the interaction's key, with its
CaseNumber read back), the Task (an upsert by the interaction's key) and one TaskRelation per further
customer. Salesforce applies all of it or none of it; a reply that is lost after it was applied is
harmless, because the next attempt reads the Task and its relations first and creates only what is missing
(a TaskRelation has no external id, so reading is the only way to never relate a person twice).

A Task's ``WhoId`` is its primary contact: setting it relates that person (Salesforce adds the row), so the
primary never gets a TaskRelation insert of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..mapping import map_fields
from .options import InteractionOptions
from .rules import Person, Refusal, Resolution, same


def _base(version: str) -> str:
    return f"/services/data/v{version}"


def relations_of(task: dict | None) -> dict[str, str]:
    """A Task row's people: contact id (15 characters) -> TaskRelation id."""
    records = (((task or {}).get("TaskRelations") or {}).get("records")) or []
    return {r["RelationId"][:15]: r["Id"] for r in records if r.get("RelationId")}


@dataclass
class Plan:
    subrequests: list[dict] = field(default_factory=list)
    refs: dict[int, str] = field(default_factory=dict)
    """Person index -> its Contact id, or ``@{pN.id}`` for one created in this request."""
    what: str | None = None
    task: str | None = None
    """The Task's id, or ``@{task.id}`` when this request creates it."""

    def add(self, method: str, url: str, ref: str, body: Any = None) -> None:
        entry: dict[str, Any] = {"method": method, "url": url, "referenceId": ref}
        if body is not None:
            entry["body"] = body
        self.subrequests.append(entry)


def _people(plan: Plan, people: list[Person], customers: list[dict], context: dict, options: InteractionOptions,
            owner_id: str | None, version: str) -> None:
    """Upserts of the customers to create (I4), under their Account, owned per O1."""
    for n, person in enumerate(people):
        if not person.created:
            plan.refs[person.index] = person.contact_id  # type: ignore[assignment]
            continue
        fields = map_fields(options.mapping("Contact"), {**context, "customer": customers[person.index]})
        fields["AccountId"] = person.account_id
        if owner_id:
            fields["OwnerId"] = owner_id
        plan.add("PATCH", f"{_base(version)}/sobjects/Contact/{options.contact_key_field}/"
                          f"{quote(person.key or '', safe='')}", f"p{n}", fields)
        plan.refs[person.index] = f"@{{p{n}.id}}"


def _new_case(plan: Plan, res: Resolution, primary: str | None, context: dict, options: InteractionOptions,
              key: str, owner_id: str | None, version: str) -> None:
    """I2: the Case created from the interaction, upserted by the interaction's key; its number read back."""
    fields = map_fields(options.mapping("Case"), context)
    fields["AccountId"] = res.account_id
    if primary:
        fields["ContactId"] = primary
    if owner_id:
        fields["OwnerId"] = owner_id
    plan.add("PATCH", f"{_base(version)}/sobjects/Case/{options.case_key_field}/{quote(key, safe='')}", "case", fields)
    plan.add("GET", f"{_base(version)}/sobjects/Case/@{{case.id}}?fields=Id,CaseNumber", "caseinfo")
    plan.what = "@{case.id}"


def log_plan(res: Resolution, data: dict, context: dict, options: InteractionOptions, key: str,
             owner_id: str | None, version: str) -> Plan:
    """The one write of a logged interaction (empty when it was logged already and nothing is missing)."""
    plan = Plan()
    customers = data.get("customers") or []
    _people(plan, res.people, customers, context, options, owner_id, version)
    primary = plan.refs.get(res.primary.index) if res.primary else None
    if res.create_case:
        _new_case(plan, res, primary, context, options, key, owner_id, version)
    else:
        plan.what = res.case["Id"] if res.case else res.account_id
    related: set[str] = set()
    if res.task is None:  # I1: the Task, related to its Case or Account, its primary contact as WhoId
        fields = map_fields(options.mapping("Task"), context)
        fields["WhatId"] = plan.what
        if primary:
            fields["WhoId"] = primary
        if owner_id:
            fields["OwnerId"] = owner_id
        plan.add("PATCH", f"{_base(version)}/sobjects/Task/{options.task_key_field}/{quote(key, safe='')}",
                 "task", fields)
        plan.task = "@{task.id}"
        related.add(primary or "")
    else:  # logged before: only fill in what is missing (the agent may have changed the rest, I5)
        plan.task = res.task["Id"]
        current = relations_of(res.task)
        related.update(ref for ref in plan.refs.values() if ref[:15] in current)
        patch: dict[str, Any] = {}
        if primary and not res.task.get("WhoId"):
            patch["WhoId"] = primary
            related.add(primary)
        if (res.case or res.create_case) and not str(res.task.get("WhatId") or "").startswith("500"):
            patch["WhatId"] = plan.what  # I2: a Case known or created later relates the Task to it
        if patch:
            plan.add("PATCH", f"{_base(version)}/sobjects/Task/{plan.task}", "taskpatch", patch)
    for person in res.people:  # I3: every further customer, once
        ref = plan.refs[person.index]
        if ref not in related:
            plan.add("POST", f"{_base(version)}/sobjects/TaskRelation", f"r{person.index}",
                     {"TaskId": plan.task, "RelationId": ref})
            related.add(ref)
    return plan


def _body(entries: dict[str, dict], ref: str) -> dict:
    body = (entries.get(ref) or {}).get("body")
    return body if isinstance(body, dict) else {}


def answer(res: Resolution, key: str, entries: dict[str, dict], plan: Plan) -> dict[str, Any]:
    """What the caller gets: the Task's Id and what it was related to."""
    task = _body(entries, "task")
    task_id = task.get("id") or (res.task or {}).get("Id")
    case = _body(entries, "case")
    case_id = case.get("id") or (res.case or {}).get("Id")
    contacts = []
    for n, person in enumerate(res.people):
        created = _body(entries, f"p{n}")
        contacts.append({"contactId": created.get("id") or person.contact_id, "accountId": person.account_id,
                         "created": bool(created.get("created")), "primary": person is res.primary})
    channel, _, interaction_id = key.partition(":")
    return {"key": key, "channel": channel, "interactionId": interaction_id, "taskId": task_id,
            "created": bool(task.get("created")), "whatId": case_id or res.account_id, "accountId": res.account_id,
            "caseId": case_id, "caseNumber": _body(entries, "caseinfo").get("CaseNumber") or (res.case or {}).get(
                "CaseNumber"), "caseCreated": bool(case.get("created")),
            "caseClosed": bool((res.case or {}).get("IsClosed")), "contacts": contacts,
            "relationsAdded": sum(1 for e in plan.subrequests if e["referenceId"].startswith("r"))}


# -- I5: change what the Task relates to ------------------------------------------------------------------

@dataclass
class Relate:
    plan: Plan
    desired: list[str]
    """Every person the Task relates to afterwards (ids, or ``@{pN.id}`` for new Contacts)."""
    primary: str | None
    deferred: bool
    """The primary contact changed (Salesforce may drop the old primary's row when WhoId changes): the
    missing rows are inserted after a fresh read, not blind."""


def relate_plan(task: dict, res: Resolution, data: dict, context: dict, options: InteractionOptions, key: str,
                owner_id: str | None, version: str) -> Relate:
    plan = Plan(task=task["Id"])
    added = data.get("add") or []
    _people(plan, res.people, added, context, options, owner_id, version)
    current = relations_of(task)
    removed = {r[:15] for r in data.get("remove") or []}
    keep = [rid for rid in (r["RelationId"] for r in task["TaskRelations"]["records"]) if rid[:15] not in removed] \
        if task.get("TaskRelations") else []
    desired = list(dict.fromkeys(keep + [plan.refs[p.index] for p in res.people
                                         if plan.refs[p.index][:15] not in removed]))
    who = task.get("WhoId")
    flagged = next((plan.refs[p.index] for p in res.people if p.primary and added[p.index].get("primary")), None)
    wanted = data.get("primary") or flagged
    if wanted:
        primary = next((d for d in desired if same(d, wanted) or d == wanted), None)
        if primary is None:
            raise Refusal(422, "PRIMARY_NOT_RELATED", f"Contact {wanted} is not related to the Task: add it "
                          "(add: [{contactId: ...}]) to make it the primary contact", "I5", "/primary")
    elif who and who[:15] not in removed:
        primary = who
    else:
        primary = desired[0] if desired else None
    if res.create_case:
        _new_case(plan, res, primary, context, options, key, owner_id, version)
    elif res.case:
        plan.what = res.case["Id"]
    elif data.get("account"):
        plan.what = res.account_id
    for contact15, relation_id in current.items():
        if contact15 in removed:
            plan.add("DELETE", f"{_base(version)}/sobjects/TaskRelation/{relation_id}", f"d{len(plan.subrequests)}")
    patch: dict[str, Any] = {}
    if plan.what and not same(plan.what, task.get("WhatId")):
        patch["WhatId"] = plan.what
    if primary and not same(primary, who):
        patch["WhoId"] = primary
    if patch:
        plan.add("PATCH", f"{_base(version)}/sobjects/Task/{task['Id']}", "taskpatch", patch)
    # a new primary, or the primary's row deleted (Salesforce promotes another person): the rows are
    # checked again after this write instead of inserted blind
    deferred = bool(who) and ("WhoId" in patch or who[:15] in removed) and bool(desired)
    if not deferred:
        for n, ref in enumerate(desired):
            if ref[:15] not in current and ref != patch.get("WhoId"):
                plan.add("POST", f"{_base(version)}/sobjects/TaskRelation", f"r{n}", {"TaskId": task["Id"],
                                                                                       "RelationId": ref})
    return Relate(plan, desired, primary, deferred)


def resolved(refs: list[str], entries: dict[str, dict]) -> list[str]:
    """``@{pN.id}`` references replaced by the ids the composite answered."""
    out = []
    for ref in refs:
        if ref.startswith("@{") and ref.endswith(".id}"):
            ref = _body(entries, ref[2:-4]).get("id") or ref
        out.append(ref)
    return out


def missing_rows(task_id: str, desired: list[str], task: dict, version: str) -> list[dict]:
    """After a change of the primary contact: the TaskRelation inserts of the people still missing."""
    current = relations_of(task)
    return [{"method": "POST", "url": f"{_base(version)}/sobjects/TaskRelation", "referenceId": f"m{n}",
             "body": {"TaskId": task_id, "RelationId": contact}}
            for n, contact in enumerate(desired) if contact[:15] not in current]
