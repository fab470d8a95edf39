"""``syncd check-config`` checks ``[chat]`` against the org's describe (F3's first part): every problem
at once, each with its key; a configuration that fits the org passes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from daemon.checks import check_mappings
from daemon.config import parse_config

CARE_SCHEMA = str(Path(__file__).resolve().parent.parent / "examples" / "care-schema.json")


def _config(chat: dict, schema: list[str] | None = None):
    return parse_config({"service": {"allow_unauthenticated": True},
                         "salesforce": {"embedded": True, "embedded_schema": [CARE_SCHEMA] if schema is None else schema},
                         "chat": chat})


def test_a_fitting_configuration_passes() -> None:
    config = _config({"triggers": {"chat_ended": "contact_task"}, "update_policy": "fill_blanks"})
    assert asyncio.run(check_mappings(config)) == []


def test_every_problem_at_once() -> None:
    config = _config({"triggers": {"offline_message": "lead_task"},
                      "identification": {"conditions": [{"visitor": "visitor.email", "salesforce": "Email"},
                                                        {"visitor": "custom.tier", "salesforce": "Tier__c"}],
                                         "account_conditions": [{"visitor": "prechat.company", "salesforce": "Nme"}]},
                      "mappings": {"Lead": {"Company": "", "Rating__c": "custom.rating"},
                                   "Task": {"IsClosed": "=true"}}})
    problems = asyncio.run(check_mappings(config))
    assert "chat.identification.conditions.1.salesforce: no field Tier__c on Contact" in problems
    assert "chat.identification.conditions.1.salesforce: no field Tier__c on Lead" in problems
    assert "chat.identification.account_conditions.0.salesforce: no field Nme on Account" in problems
    assert "chat.mappings.Lead.Rating__c: no such field on Lead" in problems
    assert "chat.mappings.Task.IsClosed: Task.IsClosed cannot be written" in problems
    assert "chat.mappings.Lead: the required field Company has no source" in problems


def test_missing_key_fields_are_named() -> None:
    config = _config({"triggers": {"chat_ended": "contact_case"}}, schema=[])
    problems = asyncio.run(check_mappings(config))
    assert any(p.startswith("chat.contact_key_field: no field Syncd_Visitor_Key__c on Contact") for p in problems)
    assert any(p.startswith("chat.conversation_key_field: no field Syncd_Chat_Id__c on Task") for p in problems)


def test_chat_off_checks_nothing_of_chat() -> None:
    assert asyncio.run(check_mappings(_config({}, schema=[]))) == []
