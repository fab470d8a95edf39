"""The pure parts of the chat integration: jobs per trigger (T2, T3), identification (M1-M4), update
policies (M5), creation and attachment (M6, F1, O1), SOQL binding, references."""

from __future__ import annotations

import asyncio

import pytest

from daemon.chat import rules, transcript
from daemon.chat.options import ChatOptions, Condition, Triggers
from daemon.identify import norm, pick, queries, soql_literal, values_of, visitor_key
from daemon.mapping import policy_changes, resolve_source
from daemon.salesforce import references

EMAIL = [Condition(visitor="visitor.email", salesforce="Email")]


def test_jobs_per_trigger() -> None:
    ended = Triggers(chat_ended="contact_task")
    assert rules.jobs_for("chat_started", ended) == []
    assert rules.jobs_for("chat_ended", ended) == [("attach", "contact_task")]
    started = Triggers(chat_started="lead_task")
    assert rules.jobs_for("chat_started", started) == [("person", "lead_task")]
    assert rules.jobs_for("chat_ended", started) == [("attach", "lead_task")]  # T3: attached at the end
    assert rules.jobs_for("chat_started", Triggers(chat_started="case")) == []  # nothing to do before the end
    assert rules.jobs_for("offline_message", Triggers(offline_message="case")) == [("attach", "case")]
    assert rules.jobs_for("conversation_ended", Triggers()) == []
    with pytest.raises(ValueError, match="one automatic action"):
        Triggers(chat_started="lead_task", chat_ended="contact_case")


@pytest.mark.parametrize("value", ["o'brien@example.com", "back\\slash@example.com", "x' OR Name != '",
                                   "%_@example.com", "zoë@exämple.com", "line\nbreak@example.com"])
def test_literals_cannot_end_the_string(value: str) -> None:
    literal = soql_literal(value)
    assert literal.startswith("'") and literal.endswith("'")
    inner = literal[1:-1]
    i = 0
    while i < len(inner):  # every quote inside is escaped: the literal ends only at its last character
        if inner[i] == "\\":
            i += 2
            continue
        assert inner[i] != "'", literal
        i += 1


def test_queries_batch_visitors_and_dedupe_case() -> None:
    statements = queries("Contact", ["AccountId"], EMAIL, [("Ann@x.com",), ("ann@X.com",), ("bo@x.com",)])
    assert len(statements) == 1
    assert statements[0].count("'") == 4  # two distinct emails: the two spellings of Ann's are one
    assert "ORDER BY CreatedDate ASC, Id ASC" in statements[0]
    many = queries("Lead", [], EMAIL, [(f"visitor{i:05d}@example.com",) for i in range(2000)], extra="IsConverted = false")
    assert len(many) > 1 and all(len(q) < 9000 for q in many)
    assert all("IsConverted = false AND (" in q for q in many)


def test_pick_oldest_then_lowest_id_all_conditions() -> None:
    conditions = [Condition(visitor="visitor.email", salesforce="Email"),
                  Condition(visitor="prechat.phone", salesforce="Phone")]
    rows = [{"Id": "003B", "CreatedDate": "2026-01-01T00:00:00.000+0000", "Email": "a@x.com", "Phone": "1"},
            {"Id": "003A", "CreatedDate": "2026-01-01T00:00:00.000+0000", "Email": "A@X.COM", "Phone": "1"},
            {"Id": "0030", "CreatedDate": "2025-01-01T00:00:00.000+0000", "Email": "a@x.com", "Phone": "2"}]
    assert pick(rows, conditions, ("a@x.com", "1"))["Id"] == "003A"
    assert pick(rows, conditions, ("a@x.com", "3")) is None  # two of three conditions is no match (M2)


def test_visitor_key_same_person_same_key() -> None:
    assert visitor_key(EMAIL, ("Ann@X.com",), "c1") == visitor_key(EMAIL, ("ann@x.com",), "c2") == "e:ann@x.com"
    assert visitor_key(EMAIL, None, "chat:c1") == "v:chat:c1"
    two = EMAIL + [Condition(visitor="prechat.phone", salesforce="Phone")]
    assert visitor_key(two, ("a@x.com", "1"), "x").startswith("h:")
    assert values_of(two, {"visitor": {"email": "a@x.com"}, "prechat": {}}) is None


def test_policies() -> None:
    mapping = {"LastName": "visitor.name|=Chat visitor", "Phone": "prechat.phone", "Email": "visitor.email"}
    context = {"visitor": {"email": "a@x.com"}, "prechat": {"phone": "555"}}
    current = {"LastName": "Ann", "Phone": None, "Email": "A@x.com"}
    assert policy_changes("keep", mapping, context, current) == {}
    assert policy_changes("fill_blanks", mapping, context, current, {"email"}) == {"Phone": "555"}
    # overwrite never writes a constant fallback over real data, nor the identification field
    assert policy_changes("overwrite", mapping, context, {**current, "Phone": "111"}, {"email"}) == {"Phone": "555"}
    assert resolve_source("visitor.name|visitor.email|=x", context) == ("a@x.com", False)


def _context(data: dict) -> dict:
    return transcript.context("chat", "chat:c1", data, 32000)


def test_new_visitor_contact_then_task_by_reference() -> None:
    options = ChatOptions()
    found = rules.find({}, options, ("ann@x.com",), None, "e:ann@x.com")
    context = _context({"visitor": {"name": "Ann", "email": "ann@x.com"}, "endTime": "2026-03-02T23:30:00Z",
                        "subject": "Help"})
    ops, who = rules.plan("attach", "contact_task", {"key": "chat:c1"}, context, found, options, "005U")
    contact, task = ops
    assert (contact.sobject, contact.external_id_field, contact.external_id) == ("Contact", "Syncd_Visitor_Key__c",
                                                                                 "e:ann@x.com")
    assert contact.fields == {"LastName": "Ann", "Email": "ann@x.com", "OwnerId": "005U"}
    assert task.fields["WhoId"] == rules.ref("Contact", "Syncd_Visitor_Key__c", "e:ann@x.com")
    assert task.fields["Status"] == "Completed" and task.fields["ActivityDate"] == "2026-03-02"
    assert task.external_id == "chat:c1" and task.ordering_key == contact.ordering_key


def test_contact_wins_over_lead_and_lead_cannot_hold_a_case() -> None:
    options = ChatOptions()
    rows = {"Contact": [{"Id": "003C", "CreatedDate": "2026", "Email": "a@x.com", "AccountId": "001A"}],
            "Lead": [{"Id": "00QL", "CreatedDate": "2025", "Email": "a@x.com"}]}
    assert rules.find(rows, options, ("a@x.com",), None, "k")["id"] == "003C"
    lead_only = rules.find({"Lead": rows["Lead"]}, options, ("a@x.com",), None, "k")
    ops, who = rules.plan("attach", "contact_case", {"key": "chat:1"}, _context({}), lead_only, options, None)
    assert [o.sobject for o in ops] == ["Contact", "Case"]
    ops, who = rules.plan("attach", "contact_task", {"key": "chat:1"}, _context({}), lead_only, options, None)
    assert [o.sobject for o in ops] == ["Task"] and ops[0].fields["WhoId"] == "00QL"


def test_details_cut_to_the_limit() -> None:
    data = {"transcript": [{"author": "Ann", "time": "2026-03-02T10:00:00Z", "text": "x" * 500}] * 200}
    text = transcript.details("chat", "chat:c1", data, 5000)
    assert len(text) == 5000 and text.endswith("longer than the field)")


def test_references_wait_then_resolve() -> None:
    class Row:
        def __init__(self, key: str, fields: dict) -> None:
            self.ordering_key, self.fields = key, fields

    ref = rules.ref("Contact", "K__c", "e:a")
    rows = [Row("v", {"WhoId": ref}), Row("v", {"X": 1}), Row("w", {"Y": 2})]
    state = {"status": "pending", "record_id": None, "id": 1, "last_error_code": None, "last_error": None}

    async def lookup(_: dict) -> None:
        return None

    dead: list = []
    out = asyncio.run(references.resolve(rows, lambda *a: state, lookup, lambda r, m: dead.append(m)))
    assert [r.fields for r in out] == [{"Y": 2}]  # the key's later row waits behind it
    state.update(status="done", record_id="003X")
    out = asyncio.run(references.resolve(rows, lambda *a: state, lookup, lambda r, m: dead.append(m)))
    assert out[0].fields == {"WhoId": "003X"} and len(out) == 3 and not dead
    assert norm("ÄB") == "äb"
