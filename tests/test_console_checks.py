"""``syncd check-config`` checks ``[console] display_fields`` (T4) against the org's describe: the default
lists and fitting paths pass; every unknown field or relationship is reported at once with its key."""

from __future__ import annotations

import asyncio

from daemon.checks import check_mappings
from daemon.config import parse_config


def _config(console: dict | None) -> object:
    data = {"service": {"allow_unauthenticated": True}, "salesforce": {"embedded": True}}
    if console is not None:
        data["console"] = console
    return parse_config(data)


def test_default_and_fitting_display_fields_pass() -> None:
    assert asyncio.run(check_mappings(_config({}))) == []
    fitting = {"display_fields": {"Contact": ["Name", "Owner.Name", "Account.Owner.Email"],
                                  "Lead": ["Company", "Owner.Email"], "Account": ["Rating", "Parent.Name"]}}
    assert asyncio.run(check_mappings(_config(fitting))) == []


def test_every_display_problem_at_once() -> None:
    broken = {"display_fields": {"Contact": ["Name", "Tier__c", "Boss.Email"], "Lead": ["Compny"],
                                 "Account": ["Owner.Emial"]}}
    assert asyncio.run(check_mappings(_config(broken))) == [
        "console.display_fields.Contact.1: Tier__c: no field Tier__c on Contact",
        "console.display_fields.Contact.2: Boss.Email: no relationship Boss on Contact (a lookup field's "
        "relationship name, such as Owner)",
        "console.display_fields.Lead.0: Compny: no field Compny on Lead",
        "console.display_fields.Account.0: Owner.Emial: no field Emial on User"]
