"""The console's pure rules (T4): chat keys, offered actions, the recognise answer, the person a pick
writes, and the manual trigger's place in the chat configuration."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from daemon.chat import rules as chat_rules
from daemon.chat.options import ChatOptions, Triggers
from daemon.console import rules
from daemon.console.options import ConsoleOptions

INSTANCE = "https://acme.my.salesforce.com"


def test_chat_keys_name_a_kind_and_an_id() -> None:
    assert rules.valid_key("chat:c1") and rules.valid_key("inbox:wa:42") and rules.valid_key("offline:m 1")
    assert not rules.valid_key("c1") and not rules.valid_key("chat:") and not rules.valid_key("chat:a\nb")
    assert not rules.valid_key("case:c1")


@pytest.mark.parametrize("found, offered", [
    ("none", ["lead_task", "case", "contact_case", "contact_task"]),
    ("contact", ["contact_case", "contact_task"]),
    ("lead", ["lead_task"]),
])
def test_offered_actions_follow_the_identification(found: str, offered: list[str]) -> None:
    assert rules.offered(found, manual=True, picked=False) == offered
    assert rules.offered(found, manual=True, picked=True) == []
    assert rules.offered(found, manual=False, picked=False) == []


def test_manual_is_for_started_triggers_only() -> None:
    assert Triggers(chat_started="manual").chat_started == "manual"
    assert Triggers(conversation_started="manual").conversation_started == "manual"
    for name in ("chat_ended", "offline_message", "conversation_ended"):
        with pytest.raises(ValidationError, match="nobody left to pick"):
            Triggers(**{name: "manual"})
    with pytest.raises(ValidationError, match="both have an action"):
        Triggers(chat_started="manual", chat_ended="case")


def test_a_manual_start_queues_nothing_and_its_end_waits_for_the_pick() -> None:
    triggers = Triggers(chat_started="manual")
    assert chat_rules.jobs_for("chat_started", triggers) == []
    assert chat_rules.jobs_for("chat_ended", triggers) == [("attach", "manual")]
    options = ChatOptions(triggers=triggers)
    assert rules.is_manual("chat", options) and not rules.is_manual("inbox", options)
    assert not rules.is_manual("offline", options)


def test_record_url_is_the_lightning_record_page() -> None:
    assert rules.record_url(INSTANCE + "/", "Contact", "003000000000001AAA") == \
        f"{INSTANCE}/lightning/r/Contact/003000000000001AAA/view"
    assert rules.record_url(None, "Contact", "003x") is None and rules.record_url(INSTANCE, "Lead", None) is None


def test_answer_shows_the_contact_and_its_account_with_display_fields() -> None:
    console = ConsoleOptions(display_fields={"Contact": ["Name", "Owner.Name"], "Account": ["Name"]})
    contact = {"Id": "003A", "Name": "Ann", "AccountId": "001A", "Owner": {"Name": "Bo"},
               "Account": {"Name": "Acme"}, "Email": "ann@example.com", "CreatedDate": "2026-01-01T00:00:00Z"}
    found = chat_rules.identity(key="e:ann@example.com", contact=contact, lead=None, account=None)
    shown = rules.answer(found, {"Contact": [contact]}, console, INSTANCE)
    assert shown["found"] == "contact" and shown["lead"] is None
    assert shown["contact"]["fields"] == {"Name": "Ann", "Owner.Name": "Bo"}
    assert shown["account"] == {"object": "Account", "id": "001A", "matchedBy": "contact", "fields": {"Name": "Acme"},
                                "url": f"{INSTANCE}/lightning/r/Account/001A/view"}
    assert shown["identity"]["key"] == "e:ann@example.com"


def test_answer_prefers_the_account_rules_match() -> None:
    console = ConsoleOptions()
    contact = {"Id": "003A", "AccountId": "001A"}
    found = chat_rules.identity(key="k", contact=contact, lead=None, account={"Id": "001B"})
    shown = rules.answer(found, {"Account": [{"Id": "001B", "Name": "Rule Co"}]}, console, INSTANCE)
    assert shown["account"]["id"] == "001B" and shown["account"]["matchedBy"] == "account_conditions"
    assert shown["account"]["fields"]["Name"] == "Rule Co"


def test_select_reads_the_contacts_account_fields_without_account_rules() -> None:
    console = ConsoleOptions(display_fields={"Contact": ["Name"], "Account": ["Name", "Owner.Email"]})
    assert rules.select(console, account_rules=False)["Contact"] == ["Name", "Account.Name", "Account.Owner.Email"]
    assert rules.select(console, account_rules=True)["Contact"] == ["Name"]


def test_person_fields_map_the_chat_and_the_agents_edits_win() -> None:
    options = ChatOptions()
    context = {"visitor": {"name": "Nina", "email": "nina@example.com"}, "prechat": {"company": "Mapped"},
               "session": {}, "custom": {}, "chat": {}}
    identity = {"kind": "none", "id": None, "key": "e:nina@example.com", "rule_account_id": None}
    sobject, fields = rules.person_fields("lead_task", identity, context, options,
                                          {"Company": "Edited", "Syncd_Visitor_Key__c": "x"}, "005A")
    assert sobject == "Lead"
    assert fields == {"LastName": "Nina", "Email": "nina@example.com", "Company": "Edited", "OwnerId": "005A"}
    _, blanked = rules.person_fields("lead_task", identity, context, options, {"Company": None}, None)
    assert blanked["Company"] is None  # Salesforce says it is required, with the field's name
    assert rules.person_fields("case", identity, context, options, {}, None) is None
    _, contact = rules.person_fields("contact_case", {**identity, "rule_account_id": "001R"}, context, options, {}, None)
    assert contact["AccountId"] == "001R"


def test_identity_after_a_pick_points_at_the_record() -> None:
    identity = {"kind": "none", "id": None, "key": "k", "account_id": None, "rule_account_id": "001R"}
    after = rules.identity_after(identity, "contact_case", ["Contact", "003N"])
    assert after["who"] == ["Contact", "003N"] and after["account_id"] == "001R"


def test_fingerprint_tells_picks_apart() -> None:
    assert rules.fingerprint("case", {}) == rules.fingerprint("case", {})
    assert rules.fingerprint("lead_task", {"Company": "A"}) != rules.fingerprint("lead_task", {"Company": "B"})


def test_cache_key_is_per_visitor_as_salesforce_compares() -> None:
    options, console = ChatOptions(), ConsoleOptions()
    assert rules.cache_key(options, console, ("Ann@Example.com",), None) == \
        rules.cache_key(options, console, ("ann@example.com",), None)
    other = ConsoleOptions(display_fields={"Contact": ["Name"]})
    assert rules.cache_key(options, console, ("a@b.c",), None) != rules.cache_key(options, other, ("a@b.c",), None)


def test_display_fields_are_checked() -> None:
    with pytest.raises(ValidationError, match="the console shows"):
        ConsoleOptions(display_fields={"Case": ["Subject"]})
    with pytest.raises(ValidationError, match="not a"):
        ConsoleOptions(display_fields={"Contact": ["Bad Name"]})
    assert ConsoleOptions(display_fields={"Lead": ["Name"]}).display("Contact")[0] == "Name"
