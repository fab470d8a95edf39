"""One chat job that fails for a reason no rule foresaw (a bug) is parked as dead with its error; the other
chats of its batch, and the rest of the outbox, go on."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.chat import rules
from daemon.scenarios.runner import run_scenario

SCENARIO = """
name: a failing chat job stops nothing else
rules: [T3]
given:
  config:
    chat:
      triggers: {chat_ended: contact_task}
steps:
  - chat: [{id: bad, visitor: {name: Bad, email: bad@example.com}},
           {id: good, visitor: {name: Good, email: good@example.com}}]
  - wait: outbox
  - chat_jobs: {dead: 1, dead_jobs: [{chat_key: "chat:bad", last_error_code: UNEXPECTED_ERROR}]}
then:
  - soql: "SELECT Syncd_Chat_Id__c FROM Task"
    rows: [{Syncd_Chat_Id__c: "chat:good"}]
  - soql: "SELECT LastName FROM Contact"
    rows: [{LastName: Good}]
"""


def test_a_failing_job_is_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = rules.plan

    def plan(stage, action, chat, *args, **kwargs):
        if chat["key"] == "chat:bad":
            raise RuntimeError("a bug in the rules")
        return real(stage, action, chat, *args, **kwargs)

    monkeypatch.setattr(rules, "plan", plan)
    path = tmp_path / "isolation.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    result = run_scenario(path)
    assert result.passed, result.error
