"""SOQL breadth: the documented constructs beyond the core grammar, each with the values an org gives.

Relationship aliases (FROM Contact c, c.Account a), FORMAT()/convertCurrency() with aliases, currency
literals, convertTimezone() in date functions, GROUPING() with ROLLUP/CUBE, DISTANCE()/GEOLOCATION(),
UPDATE TRACKING/VIEWSTAT, TYPEOF where Salesforce allows it, date literals inside IN, non-reserved words as
aliases, and the refusals that go with them.
"""

from __future__ import annotations

import json

import pytest

from fakeforce import soql
from fakeforce.errors import SalesforceError
from fakeforce.org import Org
from fakeforce.seed import load_seed
from fakeforce.settings import OrgSettings

WAREHOUSE = {"name": "Warehouse__c", "fields": [
    {"name": "Name", "type": "string", "nameField": True},
    {"name": "Location__c", "type": "location"},
    {"name": "Location__Latitude__s", "type": "double", "compoundFieldName": "Location__c", "precision": 12, "scale": 9},
    {"name": "Location__Longitude__s", "type": "double", "compoundFieldName": "Location__c", "precision": 12,
     "scale": 9}]}


@pytest.fixture
def org(tmp_path) -> Org:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(WAREHOUSE))
    org = Org(schema_files=[path], settings=OrgSettings(time_zone="America/Los_Angeles"))
    acme = org.create("Account", {"Name": "Acme", "Type": "Customer", "BillingCountry": "US"})
    org.create("Account", {"Name": "Globex", "Type": "Customer", "BillingCountry": "FR"})
    org.create("Account", {"Name": "Initech", "Type": "Prospect", "BillingCountry": "US"})
    org.create("Contact", {"LastName": "Doe", "AccountId": acme})
    org.create("Contact", {"LastName": "Alone"})
    org.create("Opportunity", {"Name": "Big", "StageName": "Prospecting", "CloseDate": "2026-03-01",
                               "Amount": 5000.01, "AccountId": acme})
    org.create("Opportunity", {"Name": "Small", "StageName": "Prospecting", "CloseDate": "2026-01-15",
                               "Amount": 500})
    org.create("Warehouse__c", {"Name": "SF", "Location__Latitude__s": 37.7749, "Location__Longitude__s": -122.4194})
    org.create("Warehouse__c", {"Name": "LA", "Location__Latitude__s": 34.0522, "Location__Longitude__s": -118.2437})
    org.create("Warehouse__c", {"Name": "Nowhere"})
    return org


def rows(org: Org, q: str) -> list[dict]:
    return soql.query(org, q)[1]


def error(org: Org, q: str) -> SalesforceError:
    with pytest.raises(SalesforceError) as info:
        soql.query(org, q)
    assert info.value.status == 400
    return info.value


def test_relationship_alias_notation(org):
    found = rows(org, "SELECT c.LastName, a.Name FROM Contact c, c.Account a WHERE a.Name = 'Acme'")
    assert [(r["LastName"], r["Account"]["Name"]) for r in found] == [("Doe", "Acme")]
    assert soql.query(org, "SELECT COUNT() FROM Contact c, c.Account a, a.Owner o WHERE o.Name != null")[0] == 1
    assert error(org, "SELECT Id FROM Contact c JOIN c.Account a").error_code == "MALFORMED_QUERY"
    assert error(org, "SELECT Id FROM Contact c, Account a").error_code == "MALFORMED_QUERY"
    assert error(org, "SELECT a.Name FROM Contact c, c.Nope a").error_code == "INVALID_FIELD"


def test_format_and_convert_currency_take_aliases(org):
    found = rows(org, "SELECT Name, FORMAT(Amount) Amt, convertCurrency(Amount) conv FROM Opportunity "
                      "WHERE Name = 'Big'")
    assert list(found[0])[1:] == ["Name", "Amt", "conv"] and found[0]["conv"] == 5000.01
    agg = rows(org, "SELECT FORMAT(MIN(CloseDate)) earliest, convertCurrency(SUM(Amount)) total FROM Opportunity")
    assert agg[0]["earliest"] == "2026-01-15" and agg[0]["total"] == pytest.approx(5500.01)
    assert error(org, "SELECT Name n FROM Opportunity").error_code == "MALFORMED_QUERY"


@pytest.mark.parametrize("literal, names", [("USD5000", ["Big"]), ("USD5000.01", []), ("usd499.99", ["Big", "Small"]),
                                            ("USD-500", ["Big", "Small"])])
def test_currency_literals(org, literal, names):
    found = rows(org, f"SELECT Name FROM Opportunity WHERE Amount > {literal} ORDER BY Name")
    assert [r["Name"] for r in found] == names


def test_currency_literal_only_on_currency_fields(org):
    assert error(org, "SELECT Name FROM Opportunity WHERE Name = USD5").error_code == "INVALID_FIELD"
    assert [r["Name"] for r in rows(org, "SELECT Name FROM Opportunity WHERE Amount IN (USD500, usd600.5)")] == \
        ["Small"]


def test_convert_timezone_in_date_functions(org):
    load_seed(org, {"records": {"Opportunity": [{"Name": "Late", "StageName": "Prospecting",
                                                 "CloseDate": "2026-01-01", "CreatedDate": "2026-01-01T03:00:00Z"}]}})
    utc = rows(org, "SELECT HOUR_IN_DAY(CreatedDate) h FROM Opportunity WHERE Name = 'Late' GROUP BY "
                    "HOUR_IN_DAY(CreatedDate)")
    local = rows(org, "SELECT CALENDAR_YEAR(convertTimezone(CreatedDate)) y, HOUR_IN_DAY(convertTimezone(CreatedDate)) "
                      "h FROM Opportunity WHERE Name = 'Late' GROUP BY CALENDAR_YEAR(convertTimezone(CreatedDate)), "
                      "HOUR_IN_DAY(convertTimezone(CreatedDate))")
    assert utc[0]["h"] == 3 and (local[0]["y"], local[0]["h"]) == (2025, 19)  # Los Angeles, UTC-8
    assert error(org, "SELECT convertTimezone(CreatedDate) FROM Opportunity").error_code == "MALFORMED_QUERY"
    assert error(org, "SELECT CALENDAR_YEAR(convertTimezone(CloseDate)) FROM Opportunity GROUP BY "
                      "CALENDAR_YEAR(convertTimezone(CloseDate))").error_code == "INVALID_FIELD"


def test_grouping_with_rollup_and_cube(org):
    found = rows(org, "SELECT Type, BillingCountry, GROUPING(Type) gt, GROUPING(BillingCountry) gc, COUNT(Id) n "
                      "FROM Account GROUP BY ROLLUP(Type, BillingCountry) ORDER BY GROUPING(Type), Type")
    total = [r for r in found if r["gt"] == 1]
    assert len(total) == 1 and total[0]["n"] == 3 and total[0]["gc"] == 1 and total[0]["Type"] is None
    subtotals = [r for r in found if r["gt"] == 0 and r["gc"] == 1]
    assert sorted((r["Type"], r["n"]) for r in subtotals) == [("Customer", 2), ("Prospect", 1)]
    cube = rows(org, "SELECT BillingCountry, GROUPING(BillingCountry) g, COUNT(Id) FROM Account "
                     "GROUP BY CUBE(BillingCountry) HAVING GROUPING(BillingCountry) = 1")
    assert [(r["g"], r["expr0"]) for r in cube] == [(1, 3)]
    assert error(org, "SELECT Type, GROUPING(Type) FROM Account GROUP BY Type").error_code == "MALFORMED_QUERY"
    assert error(org, "SELECT Type, GROUPING(Name) FROM Account GROUP BY ROLLUP(Type)").error_code == \
        "MALFORMED_QUERY"


def test_distance_and_geolocation(org):
    near = rows(org, "SELECT Name, DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') d FROM Warehouse__c "
                     "WHERE DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') < 20")
    assert [r["Name"] for r in near] == ["SF"] and near[0]["d"] < 1
    ordered = rows(org, "SELECT Name FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), "
                        "'km') < 1000 ORDER BY DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'km') DESC")
    assert [r["Name"] for r in ordered] == ["LA", "SF"]  # about 559 km apart; the unlocated one is null
    for bad in ("SELECT Name FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.7, -122.4), 'm') < 2",
                "SELECT Name FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(97, 0), 'mi') < 2",
                "SELECT Name FROM Warehouse__c WHERE DISTANCE(GEOLOCATION(1, 2), Location__c, 'mi') < 2",
                "SELECT Name FROM Warehouse__c WHERE GEOLOCATION(37.775, -122.418) < 20"):
        assert error(org, bad).error_code == "MALFORMED_QUERY", bad
    assert error(org, "SELECT Name FROM Warehouse__c WHERE DISTANCE(Name, GEOLOCATION(1, 2), 'mi') < 2"
                 ).error_code == "INVALID_FIELD"


@pytest.mark.parametrize("clause", ["UPDATE TRACKING", "UPDATE VIEWSTAT", "FOR VIEW", "FOR REFERENCE"])
def test_tracking_clauses_answer_rows(org, clause):
    assert len(rows(org, f"SELECT Id FROM Account {clause}")) == 3


def test_update_clause_takes_only_its_words(org):
    assert error(org, "SELECT Id FROM Account UPDATE EVERYTHING").error_code == "MALFORMED_QUERY"


# -- aliases: only the words on Salesforce's alias page are reserved ------------------------------------------------
@pytest.mark.parametrize("alias", ["distinct", "today", "count", "typeof", "n"])
def test_non_reserved_words_are_aliases(org, alias):
    assert rows(org, f"SELECT COUNT_DISTINCT(Type) {alias} FROM Account")[0][alias] == 2


@pytest.mark.parametrize("alias", ["first", "LAST", "nulls", "using", "with", "like"])
def test_reserved_words_are_not_aliases(org, alias):
    assert "unexpected token" in str(error(org, f"SELECT COUNT(Id) {alias} FROM Account"))
    assert error(org, f"SELECT Id FROM Account {alias} WHERE Name != null").error_code == "MALFORMED_QUERY"


def test_distinct_is_an_object_alias_but_never_sql_distinct(org):
    assert len(rows(org, "SELECT Id FROM Account distinct")) == 3
    assert error(org, "SELECT DISTINCT Name FROM Account").error_code == "MALFORMED_QUERY"
    assert "DISTINCT" in str(error(org, "SELECT COUNT(DISTINCT Type) FROM Account"))


# -- date literals and date values inside IN / NOT IN ---------------------------------------------------------------
@pytest.fixture
def dated(org) -> Org:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()  # the org's time zone
    org.create("Opportunity", {"Name": "Today", "StageName": "Prospecting", "CloseDate": today})
    return org


@pytest.mark.parametrize("where, names", [
    ("CloseDate IN (2026-01-15, 2026-03-01)", ["Big", "Small"]),
    ("CloseDate NOT IN (2026-01-15)", ["Big", "Today"]),
    ("CloseDate IN (TODAY)", ["Today"]),
    ("CloseDate IN (YESTERDAY, TODAY, 2026-01-15)", ["Small", "Today"]),
    ("CloseDate NOT IN (TODAY, LAST_N_DAYS:3)", ["Big", "Small"]),
    ("CreatedDate IN (TODAY)", ["Big", "Small", "Today"]),
    ("CreatedDate IN (YESTERDAY, LAST_N_DAYS:4)", ["Big", "Small", "Today"]),
    ("CreatedDate NOT IN (LAST_N_DAYS:2, 2020-01-01T00:00:00Z)", []),
])
def test_date_literals_and_values_in_in_lists(dated, where, names):
    assert [r["Name"] for r in rows(dated, f"SELECT Name FROM Opportunity WHERE {where} ORDER BY Name")] == names


@pytest.mark.parametrize("where, code", [
    ("Name IN (TODAY)", "INVALID_FIELD"),  # as with Name = TODAY: a string value must be quoted
    ("CloseDate IN (TOMORROW_N_DAYS:2)", "MALFORMED_QUERY"),
    ("CloseDate IN (2026-01-15T00:00:00Z)", "INVALID_FIELD"),  # a datetime on a date field
    ("CreatedDate IN (2026-01-15)", "INVALID_FIELD"),
])
def test_wrong_date_values_in_in_lists(org, where, code):
    assert error(org, f"SELECT Name FROM Opportunity WHERE {where}").error_code == code


# -- TYPEOF: allowed in a plain or parent-to-child SELECT, refused where the TYPEOF page says ------------------------
@pytest.fixture
def activities(org) -> Org:
    acme = rows(org, "SELECT Id FROM Account WHERE Name = 'Acme'")[0]["Id"]
    doe = rows(org, "SELECT Id FROM Contact WHERE LastName = 'Doe'")[0]["Id"]
    org.create("Task", {"Subject": "Call", "WhatId": acme, "WhoId": doe})
    org.create("Event", {"Subject": "Meet", "WhatId": acme, "DurationInMinutes": 30,
                         "ActivityDateTime": "2026-01-01T10:00:00Z"})
    return org


def test_typeof_on_what_who_and_owner(activities):
    task = rows(activities, "SELECT Subject, TYPEOF What WHEN Account THEN Type WHEN Opportunity THEN Amount END, "
                            "TYPEOF Who WHEN Contact THEN LastName ELSE Name END FROM Task")[0]
    assert task["What"]["Type"] == "Customer" and task["Who"]["LastName"] == "Doe"
    assert len(rows(activities, "SELECT TYPEOF What WHEN Account THEN Name END FROM Event FOR VIEW")) == 1
    for sobject in ("Task", "Case", "Lead"):  # Owner is a User or a queue (Group) on these
        rows(activities, f"SELECT Id, TYPEOF Owner WHEN User THEN Username WHEN Group THEN Name END FROM {sobject}")


def test_typeof_in_a_parent_to_child_subquery(activities):
    found = rows(activities, "SELECT Name, (SELECT Subject, TYPEOF Who WHEN Contact THEN LastName END FROM Tasks) "
                             "FROM Account WHERE Name = 'Acme'")
    assert found[0]["Tasks"]["records"][0]["Who"]["LastName"] == "Doe"


@pytest.mark.parametrize("query, code", [
    ("SELECT Id FROM Account WHERE Id IN (SELECT TYPEOF What WHEN Account THEN Id END FROM Task)", "MALFORMED_QUERY"),
    ("SELECT Name, (SELECT Id FROM Contacts WHERE Id IN (SELECT TYPEOF Who WHEN Contact THEN Id END FROM Task)) "
     "FROM Account", "MALFORMED_QUERY"),
    ("SELECT TYPEOF What WHEN Account THEN Name END, COUNT(Id) FROM Task", "MALFORMED_QUERY"),
    ("SELECT TYPEOF What WHEN Account THEN Name END, FORMAT(MAX(CreatedDate)) m FROM Task", "MALFORMED_QUERY"),
    ("SELECT Status, TYPEOF What WHEN Account THEN Name END FROM Task GROUP BY Status", "MALFORMED_QUERY"),
    ("SELECT Status, TYPEOF What WHEN Account THEN Name END FROM Task GROUP BY ROLLUP(Status)", "MALFORMED_QUERY"),
    ("SELECT Id FROM Task WHERE TYPEOF What WHEN Account THEN Name END = 'x'", "MALFORMED_QUERY"),
    ("SELECT Id FROM Task ORDER BY TYPEOF What WHEN Account THEN Name END", "MALFORMED_QUERY"),
    ("SELECT TYPEOF What WHEN Account THEN TYPEOF Owner WHEN User THEN Name END END FROM Task", "MALFORMED_QUERY"),
    ("SELECT TYPEOF What WHEN Account THEN Name WHEN Account THEN Phone END FROM Task", "MALFORMED_QUERY"),
    ("SELECT TYPEOF What ELSE Name END FROM Task", "MALFORMED_QUERY"),
    ("SELECT TYPEOF What WHEN Account THEN Name END, What.Name FROM Task", "INVALID_FIELD"),
    ("SELECT TYPEOF Owner WHEN User THEN Name END FROM Account", "INVALID_FIELD"),  # Account's Owner is a User only
    ("SELECT TYPEOF What WHEN Contact THEN Name END FROM Task", "INVALID_TYPE"),
])
def test_typeof_refusals(activities, query, code):
    assert error(activities, query).error_code == code
