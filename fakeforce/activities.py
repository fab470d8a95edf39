"""Shared Activities: a Task's TaskRelation rows kept in step with its WhoId and WhatId, as an org with
Shared Activities enabled does it (Object Reference: Task, TaskRelation, TaskWhoRelation).

* Every person (Contact or Lead) and the one "what" (Account, Case...) of a Task is a TaskRelation row
  (``IsWhat`` false for people, ``AccountId`` the person's account, derived in ``records.derive``).
* ``WhoId`` is the primary person: writing it adds that person's row and drops the previous primary's;
  clearing it promotes another related person (Salesforce picks an arbitrary one, fakeforce the oldest
  row, then the lowest Id); inserting a person's row into a Task without ``WhoId`` makes it the primary;
  deleting the primary's row promotes another the same way.
* ``WhatId`` has one row, replaced when it changes.
* Relating the same record twice is refused with DUPLICATE_VALUE (a TaskRelation has no external id:
  callers find the rows first and create only the missing ones).
* ``TaskWhoRelation`` is the read-only view of the people's rows (same Ids, ``Type`` Contact or Lead),
  stored beside them so that ``(SELECT ... FROM TaskWhoRelations)`` works like any child relationship.

Called by the org around its writes, inside their transaction; writes here go to the store directly so
that they trigger nothing further.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import records
from .errors import SalesforceError

if TYPE_CHECKING:
    from .org import Org
    from .schema import SObject

PEOPLE = ("Contact", "Lead")
RELATION = "TaskRelation"
WHO_VIEW = "TaskWhoRelation"
DUPLICATE = SalesforceError("DUPLICATE_VALUE", "duplicate value found: <unknown> duplicates value on record with "
                            "id: <unknown>", 400)


def closed_statuses(org: "Org") -> frozenset[str] | None:
    """The lower-case Task statuses whose TaskStatus row is closed; None when the org has no rows."""
    rows = [r for r in org.store.records("TaskStatus") if not r.get("IsDeleted")]
    if not rows:
        return None
    return frozenset(str(r.get("ApiName") or r.get("MasterLabel") or "").lower() for r in rows if r.get("IsClosed"))


def _rows(org: "Org", task_id: str) -> list[dict]:
    """The Task's live TaskRelation rows, oldest first (then by Id)."""
    store = org.store
    if store.indexed(RELATION, "TaskId"):
        found = [store.get(RELATION, i) for i in store.lookup_index(RELATION, "TaskId", task_id)]
    else:
        found = [r for r in store.records(RELATION) if r.get("TaskId") == task_id]
    live = [r for r in found if r is not None and not r.get("IsDeleted")]
    return sorted(live, key=lambda r: (r.get("CreatedDate") or "", r["Id"]))


def _is_person(org: "Org", relation_id: str | None) -> bool:
    found = org.lookup(relation_id) if relation_id else None
    return found is not None and found[0].name in PEOPLE


def before_insert(org: "Org", obj: "SObject", record: dict) -> None:
    """A second row relating the same record to the same Task is refused."""
    if obj.name != RELATION or not record.get("TaskId"):
        return
    if any(r["RelationId"] == record.get("RelationId") for r in _rows(org, record["TaskId"])):
        raise DUPLICATE


def after_insert(org: "Org", obj: "SObject", record: dict, user_id: str | None) -> None:
    if obj.name == "Task":
        _sync(org, None, record, user_id)
    elif obj.name == RELATION:
        _mirror(org, record)
        task = org.store.get("Task", record["TaskId"])
        if task and not task.get("IsDeleted") and not task.get("WhoId") and _is_person(org, record["RelationId"]):
            _set_who(org, task, record["RelationId"], user_id)  # the first person related is the primary


def after_update(org: "Org", obj: "SObject", before: dict, record: dict, user_id: str | None) -> None:
    if obj.name == "Task":
        _sync(org, before, record, user_id)


def after_delete(org: "Org", obj: "SObject", record: dict, user_id: str | None) -> None:
    if obj.name != RELATION:
        return
    _unmirror(org, record)
    task = org.store.get("Task", record.get("TaskId") or "")
    if task and not task.get("IsDeleted") and task.get("WhoId") == record.get("RelationId"):
        _set_who(org, task, _next_person(org, task["Id"]), user_id)


def _sync(org: "Org", before: dict | None, task: dict, user_id: str | None) -> None:
    """Rows for a Task's WhoId and WhatId after the Task was written."""
    old_who, new_who = (before or {}).get("WhoId"), task.get("WhoId")
    if old_who != new_who:
        if old_who:
            _drop(org, task["Id"], old_who, user_id)
        if new_who:
            _ensure(org, task["Id"], new_who, user_id)
        else:
            promoted = _next_person(org, task["Id"])
            if promoted:
                _set_who(org, task, promoted, user_id)
    old_what, new_what = (before or {}).get("WhatId"), task.get("WhatId")
    if old_what != new_what:
        if old_what:
            _drop(org, task["Id"], old_what, user_id)
        if new_what:
            _ensure(org, task["Id"], new_what, user_id)


def _next_person(org: "Org", task_id: str) -> str | None:
    return next((r["RelationId"] for r in _rows(org, task_id) if not r.get("IsWhat")), None)


def _ensure(org: "Org", task_id: str, relation_id: str, user_id: str | None) -> None:
    if any(r["RelationId"] == relation_id for r in _rows(org, task_id)):
        return
    obj = org.sobject(RELATION)
    ctx = org._context(user_id)
    row = records.build_new(obj, {"TaskId": task_id, "RelationId": relation_id}, org.new_id(obj), ctx, {})
    org.store.insert(RELATION, row["Id"], row)
    _mirror(org, row)


def _drop(org: "Org", task_id: str, relation_id: str, user_id: str | None) -> None:
    for row in _rows(org, task_id):
        if row["RelationId"] == relation_id:
            now = org.now()
            org.store.replace(RELATION, row["Id"], {**row, "IsDeleted": True, "SystemModstamp": now,
                                                   "LastModifiedDate": now,
                                                   "LastModifiedById": user_id or org.admin_user_id})
            _unmirror(org, row)


def _set_who(org: "Org", task: dict, who_id: str | None, user_id: str | None) -> None:
    """The Task's primary person changed by the relations themselves (no further row changes)."""
    obj = org.sobject("Task")
    current = org.store.get("Task", task["Id"]) or task
    updated = records.apply_update(obj, current, {"WhoId": who_id}, org._context(user_id))
    org.store.replace("Task", task["Id"], updated)


def _mirror(org: "Org", row: dict) -> None:
    """The TaskWhoRelation view row of a person's TaskRelation row."""
    if org.schema.get(WHO_VIEW) is None or row.get("IsWhat"):
        return
    found = org.lookup(row["RelationId"])
    if found is None or found[0].name not in PEOPLE:
        return
    view: dict[str, Any] = {k: row.get(k) for k in ("Id", "TaskId", "RelationId", "AccountId", "CreatedDate",
                                                   "CreatedById", "LastModifiedDate", "LastModifiedById",
                                                   "SystemModstamp")}
    view.update({"Type": found[0].name, "IsDeleted": False})
    org.store.insert(WHO_VIEW, row["Id"], {k: v for k, v in view.items() if v is not None})


def _unmirror(org: "Org", row: dict) -> None:
    view = org.store.get(WHO_VIEW, row["Id"])
    if view is not None and not view.get("IsDeleted"):
        org.store.replace(WHO_VIEW, row["Id"], {**view, "IsDeleted": True})


TASK_STATUSES = (("Not Started", False), ("In Progress", False), ("Completed", True),
                 ("Waiting on someone else", False), ("Deferred", False))
"""A new org's Task statuses (the Status picklist's values) and which of them is closed."""


def seed_statuses(org: "Org", ctx: records.WriteContext) -> None:
    """The TaskStatus rows of a new org: the first is the default, Completed the closed one."""
    for order, (label, closed) in enumerate(TASK_STATUSES, 1):
        org._insert_system("TaskStatus", {"MasterLabel": label, "ApiName": label, "SortOrder": order,
                                          "IsDefault": order == 1, "IsClosed": closed}, ctx)
