"""The pure parts of the bot integration besides the statement: flattening rows into variables, what a
Salesforce refusal tells the bot author, B2's query, the routing lookup's query and answer (M3, M4 reused),
the options, the state tables (idempotency, routing cache), the per-key locks, check-config's walk."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from pydantic import ValidationError

from daemon.bot import rules
from daemon.bot.actions import KeyLocks
from daemon.bot.checks import Need, path_problem, routing_problems
from daemon.bot.options import BotOptions
from daemon.bot.store import BotStore
from daemon.chat.options import Condition, Identification
from daemon.config import parse_config
from daemon.state.migrations import MIGRATIONS

ROW = {"attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme", "BillingAddress": None,
       "Owner": {"attributes": {"type": "User"}, "Email": "alex@care.example", "Manager": None},
       "Contacts": {"totalSize": 2, "done": True, "records": [
           {"attributes": {"type": "Contact"}, "Email": "ann@example.com", "ReportsTo": {"Name": "Boss"}},
           {"attributes": {"type": "Contact"}, "Email": "ben@example.com", "ReportsTo": None}]},
       "Cases": None}


def test_flatten_parent_paths_and_child_rows() -> None:
    assert rules.flatten(ROW) == {
        "Id": "001A", "Name": "Acme", "BillingAddress": None, "Owner.Email": "alex@care.example",
        "Owner.Manager": None, "Contacts.totalSize": 2, "Contacts.0.Email": "ann@example.com",
        "Contacts.0.ReportsTo.Name": "Boss", "Contacts.1.Email": "ben@example.com", "Contacts.1.ReportsTo": None,
        "Cases": None}
    assert rules.flatten(None) == {}


def test_path_value_ignores_letter_case_and_missing_parents() -> None:
    assert rules.path_value(ROW, "owner.EMAIL") == "alex@care.example"
    assert rules.path_value(ROW, "Owner.Manager.Email") is None
    assert rules.path_value(None, "Name") is None
    assert rules.path_value(ROW, "Owner") is None  # a record is not a value


def test_refusal_points_at_the_field_and_says_what_to_fix() -> None:
    refusal = rules.salesforce_refusal("new Contact", [{"errorCode": "INVALID_FIELD", "message":
                                        "No such column 'tier__C' on sobject of type Contact"}],
                                       {"tier__c": "/fields/Tier__c"}, "/fields")
    assert (refusal.status, refusal.code, refusal.pointer, refusal.fields) == (422, "INVALID_FIELD", "/fields/Tier__c",
                                                                                ["tier__C"])
    assert "custom fields end in __c" in refusal.detail and "No such column" in refusal.detail
    picklist = rules.salesforce_refusal("new Task", [{"statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                                      "message": "Call Type: bad value", "fields": ["CallType"]}],
                                        {"calltype": "/fields/CallType"})
    assert picklist.pointer == "/fields/CallType" and "picklist values" in picklist.detail
    assert picklist.salesforce == [{"errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                    "message": "Call Type: bad value", "fields": ["CallType"]}]
    unknown = rules.salesforce_refusal("new X", [{"errorCode": "NOT_FOUND", "message": "The requested resource "
                                                  "does not exist"}], {}, "/fields")
    assert unknown.pointer == "/object" and "object's API name" in unknown.detail
    odd = rules.salesforce_refusal("statement", [], object_pointer=None)
    assert odd.code == "UNKNOWN" and odd.pointer is None


@pytest.mark.parametrize("status, code, retryable, login, down", [
    (0, "CONNECTION_ERROR", True, False, True), (503, "SERVER_UNAVAILABLE", True, False, True),
    (403, "REQUEST_LIMIT_EXCEEDED", True, False, True), (401, "INVALID_SESSION_ID", True, False, True),
    (400, "invalid_grant", False, True, True), (400, "INVALID_FIELD", False, False, False),
    (404, "NOT_FOUND", False, False, False)])
def test_unavailable_is_salesforce_failing_not_the_action(status, code, retryable, login, down) -> None:
    assert rules.unavailable(status, code, retryable, login) is down


def test_find_query_orders_oldest_first_and_binds_the_value() -> None:
    assert rules.find_query("Contact", "Email", "x' OR Name != '", ["Name", "id", "Account.Owner.Email"]) == (
        "SELECT Id, Name, Account.Owner.Email FROM Contact WHERE Email = 'x\\' OR Name != \\'' "
        "ORDER BY CreatedDate ASC, Id ASC LIMIT 1")
    assert rules.find_query("Account", "NumberOfEmployees", 12, []).endswith("NumberOfEmployees = 12 "
                                                                            "ORDER BY CreatedDate ASC, Id ASC LIMIT 1")
    with pytest.raises(ValueError):
        rules.find_query("Contact WHERE", "Email", "x", [])


def test_fingerprint_ignores_key_order_only() -> None:
    assert rules.fingerprint({"object": "Lead", "fields": {"a": 1, "b": 2}}) == \
        rules.fingerprint({"fields": {"b": 2, "a": 1}, "object": "Lead"})
    assert rules.fingerprint({"object": "Lead", "fields": {"a": 1}}) != rules.fingerprint({"object": "Lead",
                                                                                            "fields": {"a": 2}})


# -- B4 ---------------------------------------------------------------------------------------------
EMAIL = Identification()
ACCOUNT_RULES = Identification(account_conditions=[Condition(visitor="prechat.company", salesforce="Name")])
OPTIONS = BotOptions(routing_contact_fields=["Name", "Owner.Email"], routing_account_fields=["Owner.Email", "Rating"])


def test_route_queries_one_statement_with_relationship_fields() -> None:
    contact, account = rules.route_queries(EMAIL, OPTIONS, ("ann@example.com",), None)
    assert contact == ("SELECT Id, CreatedDate, Email, AccountId, Name, Owner.Email, Account.Owner.Email, "
                       "Account.Rating FROM Contact WHERE Email IN ('ann@example.com') "
                       "ORDER BY CreatedDate ASC, Id ASC LIMIT 20")
    assert account is None
    _, account = rules.route_queries(ACCOUNT_RULES, OPTIONS, ("ann@example.com",), ("Acme",))
    assert account == ("SELECT Id, CreatedDate, Name, Owner.Email, Rating FROM Account WHERE Name IN ('Acme') "
                       "ORDER BY CreatedDate ASC, Id ASC LIMIT 20")


def _contact(ident: str, created: str, email: str = "ann@example.com", account: dict | None = None) -> dict:
    return {"Id": ident, "CreatedDate": created, "Email": email, "Name": ident, "Owner": {"Email": "o@x"},
            "AccountId": "001H" if account else None, "Account": account}


def test_route_answer_oldest_contact_and_its_account() -> None:
    rows = [_contact("003B", "2024-01-01"), _contact("003A", "2020-01-01", "ANN@example.com",
                                                     {"Owner": {"Email": "alex@x"}, "Rating": "Hot"})]
    answer = rules.route_answer(EMAIL, OPTIONS, ("ann@example.com",), None, rows, [])
    assert answer == {"found": True, "contactId": "003A", "accountId": "001H", "accountMatchedBy": "contact",
                      "variables": {"Contact.Id": "003A", "Contact.Name": "003A", "Contact.Owner.Email": "o@x",
                                    "Account.Id": "001H", "Account.Owner.Email": "alex@x", "Account.Rating": "Hot"}}


def test_route_answer_account_rules_win_and_nobody_found_is_all_null() -> None:
    rows = [_contact("003A", "2020-01-01", account={"Owner": {"Email": "alex@x"}})]
    accounts = [{"Id": "001R", "CreatedDate": "2021", "Name": "ACME", "Owner": {"Email": "bo@x"}, "Rating": None}]
    answer = rules.route_answer(ACCOUNT_RULES, OPTIONS, ("ann@example.com",), ("acme",), rows, accounts)
    assert (answer["accountId"], answer["accountMatchedBy"], answer["variables"]["Account.Owner.Email"]) == \
        ("001R", "account_conditions", "bo@x")
    nobody = rules.route_answer(EMAIL, OPTIONS, ("new@example.com",), None, rows, [])
    assert nobody["found"] is False and set(nobody["variables"].values()) == {None}
    assert list(nobody["variables"]) == ["Contact.Id", "Contact.Name", "Contact.Owner.Email", "Account.Id",
                                         "Account.Owner.Email", "Account.Rating"]


def test_route_key_follows_salesforce_comparison_and_the_fields_asked() -> None:
    key = rules.route_key(EMAIL, ("Ann@Example.com ",), None, OPTIONS)
    assert key == rules.route_key(EMAIL, ("ann@example.com",), None, OPTIONS)
    assert key != rules.route_key(EMAIL, ("ann@example.org",), None, OPTIONS)
    assert key != rules.route_key(EMAIL, ("ann@example.com",), None, BotOptions())


# -- options ----------------------------------------------------------------------------------------
def test_options_refuse_bad_paths_and_caps() -> None:
    with pytest.raises(ValidationError, match="not a Contact field"):
        BotOptions(routing_contact_fields=["Owner.Email FROM User"])
    with pytest.raises(ValidationError, match="listed twice"):
        BotOptions(routing_account_fields=["Rating", "rating"])
    with pytest.raises(ValidationError, match="four levels"):
        BotOptions(routing_account_fields=["Owner.Manager.Manager.Manager.Email"])
    with pytest.raises(ValidationError):
        BotOptions(max_rows=1001)
    base = {"service": {"allow_unauthenticated": True}, "salesforce": {"embedded": True}}
    assert parse_config({**base, "bot": {"routing_cache_seconds": 0}}).bot.routing_cache_seconds == 0
    with pytest.raises(ValueError, match="bot.routing_cache_secs: unknown key"):
        parse_config({**base, "bot": {"routing_cache_secs": 5}})


# -- state tables -----------------------------------------------------------------------------------
@pytest.fixture
def store() -> BotStore:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    for script in MIGRATIONS:
        conn.executescript(script)
    return BotStore(conn)


def test_idempotency_states_and_expiry(store: BotStore) -> None:
    assert store.request("k", 100.0, 60) is None
    store.begin("k", "fp", 100.0, 60)
    assert store.request("k", 101.0, 60).status is None  # in flight, or outcome unknown
    store.finish("k", 201, {"id": "003A"})
    seen = store.request("k", 159.0, 60)
    assert (seen.fingerprint, seen.status, seen.answer) == ("fp", 201, {"id": "003A"})
    assert store.request("k", 160.0, 60) is None  # kept idempotency_seconds, then the key is free
    store.begin("k2", "fp2", 200.0, 60)  # and dropped on the way
    assert [r[0] for r in store.conn.execute("SELECT key FROM bot_requests")] == ["k2"]
    store.forget("k2")
    assert store.request("k2", 201.0, 60) is None


def test_route_cache_ttl_and_forgetting_misses(store: BotStore) -> None:
    store.remember_route("hit", {"found": True}, 1000.0, 300)
    store.remember_route("miss", {"found": False}, 1000.0, 300)
    assert store.route("hit", 1299.0, 300) == ({"found": True}, 1000.0)
    assert store.route("hit", 1300.0, 300) is None  # kept fresh within routing_cache_seconds
    assert store.route("hit", 1000.0, 0) is None  # 0: never from the cache
    store.forget_unmatched_routes()
    assert store.route("miss", 1001.0, 300) is None and store.route("hit", 1001.0, 300) is not None


def test_key_locks_serialise_one_key_and_are_dropped() -> None:
    locks, order = KeyLocks(), []

    async def one(name: str, key: str) -> None:
        async with locks.hold(key):
            order.append(f"{name}+")
            await asyncio.sleep(0.01)
            order.append(f"{name}-")

    async def main() -> None:
        await asyncio.gather(one("a", "k"), one("b", "k"), one("c", "other"))

    asyncio.run(main())
    assert order.index("a-") < order.index("b+")  # b waited for a
    assert order.index("c+") < order.index("a-")  # another key did not
    assert locks._locks == {} and not locks._users


# -- check-config -----------------------------------------------------------------------------------
DESCRIBES = {
    "Contact": {"fields": [{"name": "Name"}, {"name": "Email"},
                           {"name": "OwnerId", "relationshipName": "Owner", "referenceTo": ["User"]},
                           {"name": "AccountId", "relationshipName": "Account", "referenceTo": ["Account"]}]},
    "Account": {"fields": [{"name": "Name"}, {"name": "Rating"},
                           {"name": "OwnerId", "relationshipName": "Owner", "referenceTo": ["User"]}]},
    "User": {"fields": [{"name": "Email"}]},
}


def test_paths_walk_relationships() -> None:
    assert path_problem("Contact", "owner.email", DESCRIBES) is None
    assert path_problem("Contact", "Account.Owner.Email", DESCRIBES) is None
    assert path_problem("Contact", "Account.Tier__c", DESCRIBES) == "no field Tier__c on Account"
    assert "no relationship Boss" in path_problem("Contact", "Boss.Email", DESCRIBES)
    assert path_problem("Contact", "Name", {"Contact": None}) == "the org has no Contact object"
    with pytest.raises(Need) as need:
        path_problem("Contact", "Owner.Email", {"Contact": DESCRIBES["Contact"]})
    assert need.value.sobject == "User"


def test_routing_problems_name_their_keys() -> None:
    config = parse_config({"service": {"allow_unauthenticated": True}, "salesforce": {"embedded": True},
                           "bot": {"routing_contact_fields": ["Name", "Phone"],
                                   "routing_account_fields": ["Owner.Email", "Tier__c"]},
                           "chat": {"identification": {"conditions": [{"visitor": "custom.no",
                                                                       "salesforce": "Member__c"}]}}})
    assert routing_problems(config, DESCRIBES) == [
        "bot.routing_contact_fields.1: Phone: no field Phone on Contact",
        "bot.routing_account_fields.1: Tier__c: no field Tier__c on Account",
        "chat.identification.conditions.0.salesforce (used by the routing lookup): no field Member__c on Contact"]
