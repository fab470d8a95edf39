"""``syncd check-config`` checks ``[bot]`` against the org's describe: every routing field (B4), paths
walked through relationships, exists; a fitting configuration passes. Runs against the embedded org."""

from __future__ import annotations

import asyncio

from daemon.checks import check_mappings
from daemon.config import parse_config


def _config(bot: dict, chat: dict | None = None):
    return parse_config({"service": {"allow_unauthenticated": True}, "salesforce": {"embedded": True},
                         "bot": bot, "chat": chat or {}})


def test_default_and_fitting_routing_fields_pass() -> None:
    assert asyncio.run(check_mappings(_config({}))) == []
    fitting = {"routing_contact_fields": ["Name", "Owner.Email", "ReportsTo.Owner.Email", "Account.Rating"],
               "routing_account_fields": ["Rating", "Owner.Manager.Email", "Parent.Name"]}
    assert asyncio.run(check_mappings(_config(fitting))) == []


def test_every_routing_problem_at_once() -> None:
    config = _config({"routing_contact_fields": ["Name", "Tier__c", "Boss.Email"],
                      "routing_account_fields": ["Owner.Emial", "Rating"]},
                     chat={"identification": {"account_conditions": [{"visitor": "prechat.company",
                                                                      "salesforce": "Nme"}]}})
    assert asyncio.run(check_mappings(config)) == [
        "bot.routing_contact_fields.1: Tier__c: no field Tier__c on Contact",
        "bot.routing_contact_fields.2: Boss.Email: no relationship Boss on Contact (a lookup field's relationship "
        "name, such as Owner)",
        "bot.routing_account_fields.0: Owner.Emial: no field Emial on User",
        "chat.identification.account_conditions.0.salesforce (used by the routing lookup): no field Nme on Account"]
