"""The pure core of interactions (daemon/interactions/rules.py, plans.py, store.merge): reads, decisions, plans."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from daemon.interactions import plans, rules
from daemon.interactions.events import InteractionV1, RelationsV1
from daemon.interactions.options import InteractionOptions
from daemon.interactions.store import merge
from daemon.sfid import checksum

OPTIONS = InteractionOptions()
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def sfid(prefix: str, n: int) -> str:
    base = f"{prefix}5g{n:010d}"[:15]
    return base + checksum(base)


HOME, INST = sfid("001", 1), sfid("001", 2)
HANNA, IVAN, IVAN2 = sfid("003", 1), sfid("003", 2), sfid("003", 3)
CASE = sfid("500", 1)


def data(**kw) -> dict:
    return InteractionV1.model_validate({"interactionId": "c1", "channel": "phone", **kw}).model_dump(mode="json")


def contact(cid: str, account: str | None, email: str, created: str = "2026-01-01T00:00:00.000+0000") -> dict:
    return {"Id": cid, "AccountId": account, "Email": email, "CreatedDate": created}


def test_context_of_a_phone_call() -> None:
    ctx = rules.context(data(direction="inbound", startTime="2026-03-01T23:50:00Z", endTime="2026-03-02T00:05:00Z"),
                        "phone:c1", NOW)["interaction"]
    assert (ctx["title"], ctx["callType"], ctx["duration"], ctx["subtype"], ctx["date"], ctx["origin"]) == \
        ("Phone call", "Inbound", 900, "Call", "2026-03-02", "Phone")
    email = rules.context(data(channel="email", direction="inbound"), "email:c1", NOW)["interaction"]
    assert email["callType"] is None and email["duration"] is None and email["subtype"] == "Email"


def test_hostile_values_stay_literals() -> None:
    hostile = "x'or'1'='1@evil.example"
    d = data(customers=[{"email": hostile}])
    statements = dict(rules.reads(d, OPTIONS, "phone:c1'--", d["customers"], []))
    assert "= 'phone:c1\\'--'" in statements["task"]
    assert "Email IN ('x\\'or\\'1\\'=\\'1@evil.example')" in statements["contacts"]


def test_reads_ask_once_for_everything() -> None:
    d = data(account={"id": HOME}, case={"id": CASE},
             customers=[{"contactId": HANNA}, {"email": "Ivan@X.io", "accountId": INST}, {"name": "Bo", "phone": "1"}])
    names = [n for n, _ in rules.reads(d, OPTIONS, "phone:c1", d["customers"], ["a@b.io"])]
    assert names == ["task", "accounts", "case", "contacts", "users"]
    soql = dict(rules.reads(d, OPTIONS, "phone:c1", d["customers"], []))["contacts"]
    assert f"Id IN ('{HANNA}')" in soql and "Email IN ('ivan@x.io')" in soql and "Syncd_Visitor_Key__c IN ('h:" in soql


def test_account_rules() -> None:
    with pytest.raises(rules.Refusal) as exc:
        rules.resolve(data(account={"id": HOME}), {"accounts": []}, OPTIONS)
    assert (exc.value.code, exc.value.pointer) == ("ACCOUNT_NOT_FOUND", "/account/id")
    with pytest.raises(rules.Refusal) as exc:
        rules.resolve(data(customers=[{"email": "a@b.io"}]), {"contacts": [contact(HANNA, None, "a@b.io")]}, OPTIONS)
    assert exc.value.code == "ACCOUNT_REQUIRED"
    res = rules.resolve(data(customers=[{"email": "A@b.io"}]), {"contacts": [contact(HANNA, HOME, "a@b.io")]}, OPTIONS)
    assert res.account_id == HOME and res.people[0].contact_id == HANNA


def test_case_of_another_account_is_refused_and_a_closed_case_is_kept() -> None:
    rows = {"accounts": [{"Id": HOME}], "case": [{"Id": CASE, "AccountId": INST, "IsClosed": True}]}
    with pytest.raises(rules.Refusal) as exc:
        rules.resolve(data(account={"id": HOME}, case={"id": CASE}), rows, OPTIONS)
    assert exc.value.code == "CASE_ACCOUNT_MISMATCH"
    res = rules.resolve(data(case={"id": CASE}), rows, OPTIONS)
    assert res.account_id == INST and res.case["IsClosed"] is True


def test_customer_in_two_accounts() -> None:
    rows = {"accounts": [{"Id": HOME}, {"Id": INST}],
            "contacts": [contact(IVAN, HOME, "ivan@x.io", "2025-01-01"), contact(IVAN2, INST, "ivan@x.io", "2025-06-01")]}
    pick = lambda **kw: rules.resolve(data(**kw), rows, OPTIONS).people[0].contact_id  # noqa: E731
    assert pick(account={"id": HOME}, customers=[{"email": "ivan@x.io", "accountId": INST}]) == IVAN2
    assert pick(account={"id": INST}, customers=[{"email": "ivan@x.io"}]) == IVAN2
    assert pick(customers=[{"email": "IVAN@x.io"}]) == IVAN  # the oldest


def test_unknown_customer_needs_a_known_account() -> None:
    rows = {"contacts": [contact(HANNA, HOME, "h@x.io")]}
    with pytest.raises(rules.Refusal) as exc:
        rules.resolve(data(customers=[{"email": "h@x.io"}, {"email": "new@x.io"}]), rows, OPTIONS)
    assert (exc.value.code, exc.value.pointer) == ("CUSTOMER_ACCOUNT_UNKNOWN", "/customers/1")
    rows["accounts"] = [{"Id": HOME}]
    res = rules.resolve(data(account={"id": HOME}, customers=[{"email": "h@x.io"}, {"email": "NEW@x.io"}]), rows,
                        OPTIONS)
    new = res.people[1]
    assert new.created and new.key == "e:new@x.io" and new.account_id == HOME


def test_the_same_customer_twice_is_one_relation() -> None:
    rows = {"accounts": [{"Id": HOME}], "contacts": [contact(HANNA, HOME, "h@x.io")]}
    res = rules.resolve(data(account={"id": HOME}, customers=[{"email": "h@x.io"}, {"contactId": HANNA[:15]}]),
                        rows, OPTIONS)
    assert len(res.people) == 1


def test_key_without_email_is_the_same_for_the_same_person() -> None:
    a = rules.contact_key({"name": "Harry  Homeowner", "phone": "555-0101"}, HOME)
    b = rules.contact_key({"name": "harry homeowner", "phone": "(555) 0101"}, HOME[:15])
    assert a == b and a.startswith("h:") and rules.contact_key({"name": "Harry"}, None) is None


def _plan(d: dict, rows: dict):
    res = rules.resolve(d, rows, OPTIONS)
    return res, plans.log_plan(res, d, rules.context(d, "phone:c1", NOW), OPTIONS, "phone:c1", "005OWNER", "62.0")


def test_new_task_plan_primary_is_whoid_others_are_relations() -> None:
    d = data(account={"id": HOME}, customers=[{"email": "h@x.io"}, {"email": "new@x.io", "accountId": INST}])
    rows = {"accounts": [{"Id": HOME}, {"Id": INST}], "contacts": [contact(HANNA, HOME, "h@x.io")]}
    _, plan = _plan(d, rows)
    refs = [e["referenceId"] for e in plan.subrequests]
    assert refs == ["p1", "task", "r1"]
    task = plan.subrequests[1]
    assert task["url"].endswith("/sobjects/Task/Syncd_Interaction_Id__c/phone%3Ac1")
    assert task["body"]["WhoId"] == HANNA and task["body"]["WhatId"] == HOME and task["body"]["OwnerId"] == "005OWNER"
    assert plan.subrequests[2]["body"] == {"TaskId": "@{task.id}", "RelationId": "@{p1.id}"}
    assert plan.subrequests[0]["body"]["AccountId"] == INST


def test_logged_task_only_gets_what_is_missing() -> None:
    d = data(account={"id": HOME}, customers=[{"email": "h@x.io"}, {"email": "i@x.io"}])
    task = {"Id": "00T1", "WhoId": HANNA, "WhatId": HOME,
            "TaskRelations": {"records": [{"Id": "0RT1", "RelationId": HANNA}]}}
    rows = {"accounts": [{"Id": HOME}], "task": [task],
            "contacts": [contact(HANNA, HOME, "h@x.io"), contact(IVAN, HOME, "i@x.io")]}
    _, plan = _plan(d, rows)
    assert [e["referenceId"] for e in plan.subrequests] == ["r1"]
    task["TaskRelations"]["records"].append({"Id": "0RT2", "RelationId": IVAN})
    assert _plan(d, rows)[1].subrequests == []  # a redelivery writes nothing


def test_case_known_later_relates_the_task_but_never_replaces_a_case() -> None:
    d = data(case={"id": CASE})
    task = {"Id": "00T1", "WhoId": None, "WhatId": HOME, "TaskRelations": None}
    rows = {"task": [task], "case": [{"Id": CASE, "AccountId": HOME}]}
    _, plan = _plan(d, rows)
    assert plan.subrequests[0]["body"] == {"WhatId": CASE}
    task["WhatId"] = sfid("500", 9)  # the agent related it to another Case: syncd leaves that
    assert _plan(d, rows)[1].subrequests == []


def _relate(task: dict, body: dict, rows: dict) -> plans.Relate:
    d = RelationsV1.model_validate(body).model_dump(mode="json")
    res = rules.resolve_relations(d, {**rows, "task": [task]}, OPTIONS, HOME)
    return plans.relate_plan(task, res, d, rules.context({"channel": "phone", "interactionId": "c1"}, "phone:c1", NOW),
                             OPTIONS, "phone:c1", None, "62.0")


def test_relate_add_and_remove_in_one_write() -> None:
    task = {"Id": "00T1", "WhoId": HANNA, "WhatId": HOME,
            "TaskRelations": {"records": [{"Id": "0RT1", "RelationId": HANNA}, {"Id": "0RT2", "RelationId": IVAN2}]}}
    change = _relate(task, {"add": [{"contactId": IVAN}], "remove": [IVAN2]},
                     {"contacts": [contact(IVAN, INST, "i@x.io")]})
    assert not change.deferred and change.primary == HANNA and change.desired == [HANNA, IVAN]
    assert [(e["method"], e["referenceId"]) for e in change.plan.subrequests] == [("DELETE", "d0"), ("POST", "r1")]


def test_relate_new_primary_is_checked_again_after_the_write() -> None:
    task = {"Id": "00T1", "WhoId": HANNA, "WhatId": HOME,
            "TaskRelations": {"records": [{"Id": "0RT1", "RelationId": HANNA}, {"Id": "0RT2", "RelationId": IVAN}]}}
    change = _relate(task, {"primary": IVAN}, {})
    assert change.deferred and change.plan.subrequests[-1]["body"] == {"WhoId": IVAN}
    assert plans.missing_rows("00T1", change.desired, {"TaskRelations": {"records": [{"Id": "x", "RelationId": IVAN}]}},
                              "62.0")[0]["body"] == {"TaskId": "00T1", "RelationId": HANNA}
    with pytest.raises(rules.Refusal) as exc:
        _relate(task, {"primary": IVAN2}, {})
    assert exc.value.code == "PRIMARY_NOT_RELATED"


def test_events_of_one_interaction_merge() -> None:
    first = {"interactionId": "c1", "channel": "phone", "subject": "A", "customers": [{"email": "h@x.io"}]}
    second = {"interactionId": "c1", "channel": "phone", "subject": None,
              "customers": [{"email": "H@x.io", "phone": "1"}, {"email": "i@x.io", "primary": True}]}
    merged = merge(first, second)
    assert merged["subject"] == "A"
    assert merged["customers"] == [{"email": "H@x.io", "phone": "1", "primary": False},
                                   {"email": "i@x.io", "primary": True}]
