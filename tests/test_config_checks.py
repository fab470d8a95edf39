"""F3: a configuration is checked against the org's describe before it is used: ``check-config`` reports
every problem at once with its TOML key; ``syncd run`` refuses to start with them (exit 2) but starts when
the org does not answer; a SIGHUP whose file does not fit the org keeps the running configuration."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.checks import check_mappings
from daemon.config import load_config, parse_config
from daemon.fit import constant_problem, kind_problem, source_problems
from syncd_helpers import Syncd, free_port, write_config

CARE_SCHEMA = Path(__file__).resolve().parent.parent / "examples" / "care-schema.json"
EXTRA = {
    "Contact": [{"name": "Visits__c", "type": "double", "precision": 18, "scale": 0},
                {"name": "Locked__c", "type": "string", "length": 80, "updateable": False}],
    "Task": [{"name": "Kind__c", "type": "picklist", "restrictedPicklist": True,
              "picklistValues": ["Chat", {"value": "Old", "active": False}]},
             {"name": "Follow_Up__c", "type": "date"}],
}
GOOD_CHAT = {"triggers": {"chat_ended": "contact_task"}, "update_policy": "overwrite",
             "mappings": {"Contact": {"Visits__c": "visitor.visits"}, "Task": {"Kind__c": "=Chat"}}}
GOOD_RULES = {"storage_object": "SocialPost", "incoming_case_status": "Working"}
BROKEN_CHAT = {"triggers": {"chat_ended": "contact_task"}, "update_policy": "overwrite",
               "mappings": {"Task": {"ActivityDate": "=tomorrow", "Kind__c": "=Old", "Follow_Up__c": "visitor.visits",
                                     "WhatId": "=not-an-id"},
                            "Contact": {"Visits__c": "visitor.email", "Department": "=" + "d" * 81,
                                        "Locked__c": "visitor.name"}}}
BROKEN_RULES = {"storage_object": "SocialPost", "storage_parent_field": "Nope", "storage_external_id_field": "Handle",
                "case_external_id_field": "Missing__c", "incoming_case_status": "Reopened",
                "case_mapping": {"Subject": "details.subject", "Bogus__c": "=x", "IsEscalated": "=maybe"},
                "message_mapping": {"Name": "message.title", "Posted": "message.text"}}


def _schema(folder: Path) -> str:
    schema = json.loads(CARE_SCHEMA.read_text())
    objects = {o["name"]: o for o in schema["objects"]}
    for name, fields in EXTRA.items():
        objects.setdefault(name, {"name": name, "fields": []})["fields"].extend(fields)
    schema["objects"] = list(objects.values())
    path = folder / "schema.json"
    path.write_text(json.dumps(schema))
    return str(path)


def _data(folder: Path, chat: dict, rules: dict) -> dict:
    return {"service": {"allow_unauthenticated": True, "listen": f"127.0.0.1:{free_port()}",
                        "state_path": str(folder / "state" / "syncd.db")},
            "salesforce": {"embedded": True, "embedded_port": 0, "embedded_schema": [_schema(folder)]},
            "chat": chat, "rules": rules}


def _toml(data: dict) -> str:
    lines = []

    def table(prefix: str, values: dict) -> None:
        scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
        lines.append(f"[{prefix}]")
        lines.extend(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in scalars.items())
        for key, value in values.items():
            if isinstance(value, dict):
                table(f"{prefix}.{json.dumps(key)}", value)

    for name, values in data.items():
        table(name, values)
    return "\n".join(lines) + "\n"


def test_every_problem_at_once_with_its_key(tmp_path) -> None:
    problems = asyncio.run(check_mappings(parse_config(_data(tmp_path, BROKEN_CHAT, BROKEN_RULES))))
    text = "\n".join(problems)
    expected = [
        "chat.mappings.Task.ActivityDate: the constant 'tomorrow' is not a valid date",
        "chat.mappings.Task.Kind__c: 'Old' is not an active value of the restricted picklist Kind__c (active: Chat)",
        "chat.mappings.Task.Follow_Up__c: visitor.visits holds a number; Follow_Up__c is a date field",
        "chat.mappings.Contact.Visits__c: visitor.email holds an email address; Visits__c is a double field",
        "chat.mappings.Contact.Department: the constant 'ddd",
        "holds at most 80",
        "chat.mappings.Contact.Locked__c: Contact.Locked__c cannot be updated, and update_policy = 'overwrite'",
        "rules.storage_parent_field: no field Nope on SocialPost",
        "rules.storage_external_id_field: SocialPost.Handle is not marked External ID",
        "rules.case_external_id_field: no field Missing__c on Case",
        "rules.incoming_case_status: 'Reopened' is not an active Case Status (active: New, Working, Escalated, Closed)",
        "rules.case_mapping.Bogus__c: no such field on Case",
        "rules.case_mapping.IsEscalated: the constant 'maybe' is not a valid boolean",
        "rules.message_mapping.Posted: message.text holds text; Posted is a datetime field",
    ]
    missing = [e for e in expected if e not in text]
    assert not missing, text
    assert any(p.startswith("chat.mappings.Task.WhatId: the constant 'not-an-id' is not a valid reference")
               for p in problems), text


def test_a_missing_storage_object_is_named(tmp_path) -> None:
    problems = asyncio.run(check_mappings(parse_config(_data(tmp_path, {}, {"storage_object": "Nope__c"}))))
    assert problems == ["rules.storage_object: 'Nope__c' is not an object of the org"]


def test_a_fitting_configuration_passes(tmp_path) -> None:
    assert asyncio.run(check_mappings(parse_config(_data(tmp_path, GOOD_CHAT, GOOD_RULES)))) == []


def test_cli_check_config_lists_them_and_fails(tmp_path) -> None:
    config = tmp_path / "syncd.toml"
    config.write_text(_toml(_data(tmp_path, BROKEN_CHAT, BROKEN_RULES)))
    out = subprocess.run([sys.executable, "-m", "daemon", "check-config", "--config", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "chat.mappings.Task.ActivityDate:" in out.stderr and "rules.incoming_case_status:" in out.stderr


def test_start_refuses_a_configuration_that_does_not_fit(tmp_path) -> None:
    config = tmp_path / "syncd.toml"
    config.write_text(_toml(_data(tmp_path, BROKEN_CHAT, BROKEN_RULES)))
    out = subprocess.run([sys.executable, "-m", "daemon", "run", "--config", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "chat.mappings.Task.ActivityDate: the constant 'tomorrow' is not a valid date" in out.stdout
    assert "rules.storage_parent_field: no field Nope on SocialPost" in out.stdout


def test_start_goes_on_when_the_org_does_not_answer(tmp_path) -> None:
    config = write_config(tmp_path, f"http://127.0.0.1:{free_port()}")  # nobody listens there
    config.write_text(config.read_text() + '\n[rules]\ncase_external_id_field = "Missing__c"\n')
    daemon = Syncd(config).start()
    try:
        assert "configuration not checked against Salesforce at start" in daemon.log.read_text()
    finally:
        assert daemon.kill(sig=15) == 0


def test_reload_that_does_not_fit_keeps_the_running_configuration(tmp_path) -> None:
    from daemon.service import Runtime

    path = tmp_path / "syncd.toml"
    path.write_text(_toml(_data(tmp_path, GOOD_CHAT, GOOD_RULES)))
    runtime = Runtime(load_config(path), str(path))
    try:
        running = runtime.config

        async def reload() -> None:
            runtime.reload()
            await runtime.reload_task

        path.write_text(_toml(_data(tmp_path, BROKEN_CHAT, BROKEN_RULES)))
        asyncio.run(reload())
        assert runtime.config is running
        fitting = {**GOOD_RULES, "incoming_case_status": "Escalated"}
        path.write_text(_toml(_data(tmp_path, GOOD_CHAT, fitting)))
        asyncio.run(reload())
        assert runtime.config.rules.incoming_case_status == "Escalated"
    finally:
        asyncio.run(runtime.client.close())
        runtime.close()


@pytest.mark.parametrize("field, text, fits", [
    ({"name": "D", "type": "date"}, "2026-01-31", True), ({"name": "D", "type": "date"}, "31/01/2026", False),
    ({"name": "N", "type": "int"}, "12", True), ({"name": "N", "type": "int"}, "1.5", False),
    ({"name": "B", "type": "boolean"}, "TRUE", True), ({"name": "R", "type": "reference"}, "001000000000001", True),
    ({"name": "S", "type": "string", "length": 3}, "abcd", False),
    ({"name": "P", "type": "picklist", "picklistValues": [{"value": "A", "active": True}]}, "Z", True),
    ({"name": "M", "type": "multipicklist", "restrictedPicklist": True,
      "picklistValues": [{"value": "A", "active": True}, {"value": "B", "active": True}]}, "A;C", False),
])
def test_constants_fit_by_type(field: dict, text: str, fits: bool) -> None:
    assert (constant_problem(field, text) is None) is fits


def test_every_alternative_must_fit() -> None:
    date_field = {"name": "ActivityDate", "type": "date"}
    assert source_problems(date_field, "chat.endDate|=2026-01-01", {"chat.endDate": "date"}) == []
    assert source_problems(date_field, "prechat.when|=soon", {}) == ["the constant 'soon' is not a valid date (the "
                                                                     "type of ActivityDate)"]
    assert kind_problem({"name": "Email", "type": "email"}, "visitor.visits", "number") is not None
    assert kind_problem({"name": "Subject", "type": "string"}, "visitor.visits", "number") is None
