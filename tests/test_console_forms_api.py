"""T5's shell (daemon/console/forms_api.py): one composite request per object, the cache, Salesforce's
refusals and failures, and the chat a form is pre-filled from."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from daemon.chat.options import ChatOptions
from daemon.chat.store import ChatStore
from daemon.console.forms import FormsOptions
from daemon.console.forms_api import FormMetadata, chat_context, paths
from daemon.guard import Problem
from daemon.salesforce.errors import SalesforceApiError
from daemon.state.store import State

DESCRIBE = {"name": "Task", "label": "Task", "fields": [
    {"name": "Subject", "type": "combobox", "createable": True, "nillable": True, "picklistValues": []}]}
LAYOUTS = {"layouts": [{"id": "00hT", "editLayoutSections": []}], "recordTypeMappings": []}


class FakeClient:
    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.calls: list[list[dict]] = []
        self.config = SimpleNamespace(api_version="62.0")

    async def composite(self, subrequests: list[dict], all_or_none: bool = False) -> list[dict]:
        self.calls.append(subrequests)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def ok(layouts=LAYOUTS, layout_status=200) -> list[dict]:
    return [{"httpStatusCode": 200, "referenceId": "describe", "body": DESCRIBE},
            {"httpStatusCode": layout_status, "referenceId": "layouts", "body": layouts}]


def runtime(client: FakeClient, ttl: int = 60, state: State | None = None) -> SimpleNamespace:
    moment = {"now": datetime(2026, 3, 2, 9, tzinfo=timezone.utc)}
    config = SimpleNamespace(forms=FormsOptions(cache_seconds=ttl), chat=ChatOptions())
    rt = SimpleNamespace(client=client, config=config, now=lambda: moment["now"], state=state)
    rt.advance = lambda seconds: moment.update(now=moment["now"] + timedelta(seconds=seconds))
    return rt


def run(coro):
    return asyncio.run(coro)


def test_one_composite_then_the_cache_until_it_expires():
    client = FakeClient(ok(), ok())
    rt = runtime(client, ttl=60)
    meta = FormMetadata(rt)
    first, cached = run(meta.get("Task"))
    assert cached is False and first.describe == DESCRIBE and first.layouts == LAYOUTS
    assert [s["url"] for s in client.calls[0]] == ["/services/data/v62.0/sobjects/Task/describe",
                                                    "/services/data/v62.0/sobjects/Task/describe/layouts"]
    rt.advance(59)
    assert run(meta.get("Task"))[1] is True and len(client.calls) == 1
    rt.advance(1)
    assert run(meta.get("Task"))[1] is False and len(client.calls) == 2


def test_zero_seconds_asks_every_time():
    client = FakeClient(ok(), ok())
    meta = FormMetadata(runtime(client, ttl=0))
    run(meta.get("Task"))
    assert run(meta.get("Task"))[1] is False and len(client.calls) == 2


def test_no_layout_answer_means_describe_order():
    error = [{"errorCode": "INVALID_ARGUMENT_TYPE", "message": "Cannot get layout for non-layoutable entity"}]
    meta = FormMetadata(runtime(FakeClient(ok(error, 400))))
    assert run(meta.get("Task"))[0].layouts is None


def test_an_object_the_org_lacks_is_a_404_and_salesforce_down_is_not_cached():
    missing = [{"httpStatusCode": 404, "body": [{"errorCode": "NOT_FOUND", "message": "no"}]},
               {"httpStatusCode": 404, "body": [{"errorCode": "NOT_FOUND", "message": "no"}]}]
    meta = FormMetadata(runtime(FakeClient(missing)))
    with pytest.raises(Problem) as refused:
        run(meta.get("Lead"))
    assert (refused.value.status, refused.value.code) == (404, "OBJECT_NOT_IN_ORG")
    client = FakeClient(SalesforceApiError(503, [{"errorCode": "SERVER_UNAVAILABLE"}]), ok())
    meta = FormMetadata(runtime(client))
    with pytest.raises(SalesforceApiError):
        run(meta.get("Task"))
    assert run(meta.get("Task"))[1] is False and len(client.calls) == 2
    refused_describe = [{"httpStatusCode": 500, "body": [{"errorCode": "UNKNOWN_EXCEPTION", "message": "x"}]},
                        {"httpStatusCode": 200, "body": LAYOUTS}]
    with pytest.raises(SalesforceApiError) as failed:
        run(FormMetadata(runtime(FakeClient(refused_describe))).get("Task"))
    assert failed.value.code == "UNKNOWN_EXCEPTION"


def test_concurrent_misses_spend_one_request():
    client = FakeClient(ok())
    meta = FormMetadata(runtime(client))

    async def both():
        return await asyncio.gather(meta.get("Task"), meta.get("Task"))

    results = run(both())
    assert sorted(cached for _, cached in results) == [False, True] and len(client.calls) == 1


def test_chat_context_from_the_stored_chat(tmp_path):
    state = State(str(tmp_path / "syncd.db"))
    try:
        with state.transaction():
            ChatStore(state.conn).merge_chat("chat:c1", "chat", {"chatId": "c1", "visitor": {"email": "a@x.com"},
                                                                 "preChat": {"company": "Acme"}}, "2026-03-02")
        rt = runtime(FakeClient(), state=state)
        context = chat_context(rt, "chat:c1")
        assert context["visitor"]["email"] == "a@x.com" and context["prechat"]["company"] == "Acme"
        assert context["chat"]["key"] == "chat:c1"
        with pytest.raises(Problem) as missing:
            chat_context(rt, "chat:c2")
        assert (missing.value.status, missing.value.code) == (404, "CHAT_NOT_FOUND")
        with pytest.raises(Problem) as bad:
            chat_context(rt, "c1")
        assert (bad.value.status, bad.value.code) == (422, "INVALID_CHAT_KEY")
    finally:
        state.close()


def test_openapi_entry():
    operation = paths()["/v1/console/forms/{object}"]["get"]
    assert operation["operationId"] == "consoleForm" and operation["security"] == [{"bearer": []}]
    assert {p["name"] for p in operation["parameters"]} == {"object", "chat"}
    assert {"200", "404", "503"} <= set(operation["responses"])
