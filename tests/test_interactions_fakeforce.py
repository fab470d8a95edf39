"""fakeforce's Shared Activities, as interactions need them: TaskRelation rows kept in step with WhoId and
WhatId, TaskWhoRelations, a duplicate relation refused, IsClosed from the TaskStatus rows, Task.AccountId."""

from __future__ import annotations

import pytest

from fakeforce import soql
from fakeforce.errors import SalesforceError
from fakeforce.org import Org


@pytest.fixture
def org() -> Org:
    return Org()


def rows(org: Org, text: str) -> list[dict]:
    return soql.query(org, text)[1]


def people(org: Org, task: str) -> list[str]:
    return [r["RelationId"] for r in rows(org, f"SELECT RelationId FROM TaskRelation WHERE TaskId = '{task}' "
                                               "AND IsWhat = false ORDER BY CreatedDate, Id")]


@pytest.fixture
def world(org: Org) -> dict[str, str]:
    home = org.create("Account", {"Name": "Home"})
    inst = org.create("Account", {"Name": "Installer"})
    return {"home": home, "inst": inst,
            "hanna": org.create("Contact", {"LastName": "Hanna", "AccountId": home}),
            "ivan": org.create("Contact", {"LastName": "Ivan", "AccountId": inst}),
            "case": org.create("Case", {"Subject": "Fault", "AccountId": home})}


def test_who_and_what_are_relations_with_their_accounts(org: Org, world: dict) -> None:
    task = org.create("Task", {"Subject": "Call", "WhoId": world["hanna"], "WhatId": world["case"]})
    got = rows(org, f"SELECT RelationId, IsWhat, AccountId FROM TaskRelation WHERE TaskId = '{task}' ORDER BY IsWhat")
    assert [(r["RelationId"], r["IsWhat"], r["AccountId"]) for r in got] == [
        (world["hanna"], False, world["home"]), (world["case"], True, world["home"])]
    # a Case as WhatId: the Task's account is the primary contact's (Object Reference, Task.AccountId)
    assert rows(org, f"SELECT AccountId FROM Task WHERE Id = '{task}'")[0]["AccountId"] == world["home"]


def test_task_account_follows_the_primary_contact_when_what_is_a_case(org: Org, world: dict) -> None:
    other_case = org.create("Case", {"Subject": "x", "AccountId": world["inst"]})
    task = org.create("Task", {"WhoId": world["hanna"], "WhatId": other_case})
    assert rows(org, f"SELECT AccountId FROM Task WHERE Id = '{task}'")[0]["AccountId"] == world["home"]
    account_task = org.create("Task", {"WhoId": world["hanna"], "WhatId": world["inst"]})
    assert rows(org, f"SELECT AccountId FROM Task WHERE Id = '{account_task}'")[0]["AccountId"] == world["inst"]


def test_second_person_and_the_who_view(org: Org, world: dict) -> None:
    task = org.create("Task", {"WhoId": world["hanna"], "WhatId": world["home"]})
    org.create("TaskRelation", {"TaskId": task, "RelationId": world["ivan"]})
    view = rows(org, f"SELECT (SELECT RelationId, Type, AccountId FROM TaskWhoRelations ORDER BY CreatedDate, Id) "
                     f"FROM Task WHERE Id = '{task}'")[0]["TaskWhoRelations"]["records"]
    assert [(v["RelationId"], v["Type"], v["AccountId"]) for v in view] == [
        (world["hanna"], "Contact", world["home"]), (world["ivan"], "Contact", world["inst"])]
    assert rows(org, f"SELECT WhoId FROM Task WHERE Id = '{task}'")[0]["WhoId"] == world["hanna"]


def test_relating_the_same_person_twice_is_refused(org: Org, world: dict) -> None:
    task = org.create("Task", {"WhoId": world["hanna"]})
    for person in (world["hanna"], world["ivan"]):
        if person == world["ivan"]:
            org.create("TaskRelation", {"TaskId": task, "RelationId": person})
        with pytest.raises(SalesforceError) as exc:
            org.create("TaskRelation", {"TaskId": task, "RelationId": person})
        assert exc.value.error_code == "DUPLICATE_VALUE"
    assert people(org, task) == [world["hanna"], world["ivan"]]


def test_first_person_related_becomes_the_primary(org: Org, world: dict) -> None:
    task = org.create("Task", {"Subject": "no one yet", "WhatId": world["case"]})
    org.create("TaskRelation", {"TaskId": task, "RelationId": world["ivan"]})
    got = rows(org, f"SELECT WhoId, AccountId FROM Task WHERE Id = '{task}'")[0]
    assert (got["WhoId"], got["AccountId"]) == (world["ivan"], world["inst"])


def test_deleting_the_primary_promotes_the_next_person(org: Org, world: dict) -> None:
    task = org.create("Task", {"WhoId": world["hanna"]})
    org.create("TaskRelation", {"TaskId": task, "RelationId": world["ivan"]})
    primary = rows(org, f"SELECT Id FROM TaskRelation WHERE RelationId = '{world['hanna']}'")[0]["Id"]
    org.delete("TaskRelation", primary)
    assert rows(org, f"SELECT WhoId FROM Task WHERE Id = '{task}'")[0]["WhoId"] == world["ivan"]
    assert people(org, task) == [world["ivan"]]
    assert soql.query(org, f"SELECT COUNT() FROM TaskWhoRelation WHERE TaskId = '{task}'")[0] == 1


def test_changing_whoid_replaces_the_primary_row_and_clearing_it_promotes(org: Org, world: dict) -> None:
    third = org.create("Contact", {"LastName": "Third", "AccountId": world["home"]})
    task = org.create("Task", {"WhoId": world["hanna"]})
    org.create("TaskRelation", {"TaskId": task, "RelationId": world["ivan"]})
    org.update("Task", task, {"WhoId": third})
    assert people(org, task) == [world["ivan"], third]
    org.update("Task", task, {"WhoId": None})
    assert rows(org, f"SELECT WhoId FROM Task WHERE Id = '{task}'")[0]["WhoId"] == world["ivan"]


def test_changing_whatid_replaces_the_what_row(org: Org, world: dict) -> None:
    task = org.create("Task", {"WhoId": world["hanna"], "WhatId": world["home"]})
    org.update("Task", task, {"WhatId": world["case"]})
    whats = rows(org, f"SELECT RelationId FROM TaskRelation WHERE TaskId = '{task}' AND IsWhat = true")
    assert [w["RelationId"] for w in whats] == [world["case"]]


def test_deleting_the_task_takes_its_relations(org: Org, world: dict) -> None:
    task = org.create("Task", {"WhoId": world["hanna"], "WhatId": world["home"]})
    org.delete("Task", task)
    assert soql.query(org, f"SELECT COUNT() FROM TaskRelation WHERE TaskId = '{task}'")[0] == 0
    assert soql.query(org, f"SELECT COUNT() FROM TaskWhoRelation WHERE TaskId = '{task}'")[0] == 0


def test_is_closed_comes_from_the_task_status_rows(org: Org) -> None:
    statuses = rows(org, "SELECT ApiName, IsClosed, IsDefault FROM TaskStatus ORDER BY SortOrder")
    assert [s["ApiName"] for s in statuses if s["IsClosed"]] == ["Completed"] and statuses[0]["IsDefault"]
    task = org.create("Task", {"Subject": "x"})
    assert rows(org, f"SELECT Status, IsClosed FROM Task WHERE Id = '{task}'")[0] == {
        "attributes": {"type": "Task", "url": f"/services/data/v62.0/sobjects/Task/{task}"},
        "Status": "Not Started", "IsClosed": False}
    org.update("Task", task, {"Status": "Completed"})
    closed = rows(org, f"SELECT IsClosed, CompletedDateTime FROM Task WHERE Id = '{task}'")[0]
    assert closed["IsClosed"] is True and closed["CompletedDateTime"]
    org.update("Task", task, {"Status": "In Progress"})
    reopened = rows(org, f"SELECT IsClosed, CompletedDateTime FROM Task WHERE Id = '{task}'")[0]
    assert reopened["IsClosed"] is False and reopened["CompletedDateTime"] is None


def test_a_custom_closed_status_closes(org: Org) -> None:
    from fakeforce.seed import load_seed

    load_seed(org, {"records": {"TaskStatus": [{"MasterLabel": "Resolved", "ApiName": "Resolved", "IsClosed": True,
                                                "SortOrder": 6}]}})
    task = org.create("Task", {"Status": "Resolved"})
    assert rows(org, f"SELECT IsClosed FROM Task WHERE Id = '{task}'")[0]["IsClosed"] is True


def test_task_status_and_the_who_view_cannot_be_written(org: Org, world: dict) -> None:
    for name, body in (("TaskStatus", {}), ("TaskWhoRelation", {})):
        with pytest.raises(SalesforceError) as exc:
            org.create(name, body)
        assert exc.value.error_code == "INVALID_TYPE_FOR_OPERATION"
