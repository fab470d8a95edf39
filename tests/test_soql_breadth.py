"""SOQL breadth: the documented constructs beyond the core grammar, each with the values an org gives.

Relationship aliases (FROM Contact c, c.Account a), FORMAT()/convertCurrency() with aliases, currency
literals, convertTimezone() in date functions, GROUPING() with ROLLUP/CUBE, DISTANCE()/GEOLOCATION(),
UPDATE TRACKING/VIEWSTAT, and the refusals that go with them.
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
    agg = rows(org, "SELECT FORMAT(MIN(CloseDate)) first, convertCurrency(SUM(Amount)) total FROM Opportunity")
    assert agg[0]["first"] == "2026-01-15" and agg[0]["total"] == pytest.approx(5500.01)
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
