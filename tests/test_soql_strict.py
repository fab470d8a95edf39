"""What Salesforce's SOQL grammar refuses, fakeforce refuses: MALFORMED_QUERY, a caret under the first
bad token, a 400 and never rows. Each invalid query sits next to a valid one a character or a clause
away, which must still answer, so strictness cannot be bought by refusing too much."""

from __future__ import annotations

import pytest

from fakeforce import soql
from fakeforce.errors import SalesforceError
from fakeforce.server import FakeforceServer

# (invalid query, the message's last line, the column of the caret, a valid neighbour)
CASES = [
    ("SELECT FROM Account", "unexpected token: 'FROM'", 8, "SELECT Id FROM Account"),
    ("SELECT Id, FROM Account", "unexpected token: 'FROM'", 12, "SELECT Id, Name FROM Account"),
    ("SELECT Name, COUNT(Id) FROM Account GROUP BY Name,", "unexpected token: '<EOF>'", 51,
     "SELECT Name, COUNT(Id) FROM Account GROUP BY Name"),
    ("SELECT Id FROM Account ORDER BY Name, LIMIT 5", "unexpected token: 'LIMIT'", 39,
     "SELECT Id FROM Account ORDER BY Name, Id LIMIT 5"),
    ("SELECT Id FROM Account WHERE Name == 'Acme'", "unexpected token: '='", 36,
     "SELECT Id FROM Account WHERE Name = 'Acme'"),
    ("SELECT Id FROM Account LIMIT 5 WHERE Name = 'Acme'", "unexpected token: 'WHERE'", 32,
     "SELECT Id FROM Account WHERE Name = 'Acme' LIMIT 5"),
    ("SELECT Id FROM Account ORDER BY Name WHERE Name = 'Acme'", "unexpected token: 'WHERE'", 38,
     "SELECT Id FROM Account WHERE Name = 'Acme' ORDER BY Name"),
    ("SELECT Id FROM Account OFFSET 1 LIMIT 5", "unexpected token: 'LIMIT'", 33,
     "SELECT Id FROM Account LIMIT 5 OFFSET 1"),
    ("SELECT Name, COUNT(Id) FROM Account GROUP BY Name ORDER BY Name HAVING COUNT(Id) > 0",
     "unexpected token: 'HAVING'", 65,
     "SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING COUNT(Id) > 0 ORDER BY Name"),
    ("SELECT COUNT(Id) FROM Account HAVING COUNT(Id) > 0", "unexpected token: 'HAVING'", 31,
     "SELECT COUNT(Id) FROM Account"),
    ("SELECT COUNT(Id) FROM Account GROUP BY", "unexpected token: '<EOF>'", 39,
     "SELECT COUNT(Id) FROM Account GROUP BY Name"),
    ("SELECT COUNT(Id) FROM Account GROUP BY LIMIT 5", "unexpected token: 'LIMIT'", 40,
     "SELECT COUNT(Id) FROM Account GROUP BY Name LIMIT 5"),
    ("SELECT COUNT(Id, Name) FROM Account", "unexpected token: ','", 16, "SELECT COUNT(Id) FROM Account"),
    ("SELECT Id FROM Account WITH SECURITY_ENFORCE", "unexpected token: 'SECURITY_ENFORCE'", 29,
     "SELECT Id FROM Account WITH SECURITY_ENFORCED"),
    ("SELECT Id FROM Account WITH SECURITY_ENFORCED EXTRA", "unexpected token: 'EXTRA'", 47,
     "SELECT Id FROM Account WITH SECURITY_ENFORCED LIMIT 1"),
    ("SELECT Id FROM Account FOR VIEWS", "unexpected token: 'VIEWS'", 28, "SELECT Id FROM Account FOR VIEW"),
    ("SELECT Id FROM Account UPDATE TRACK", "unexpected token: 'TRACK'", 31,
     "SELECT Id FROM Account UPDATE TRACKING"),
    ("SELECT Id FROM Account FOR UPDATE FOR VIEW", "unexpected token: 'FOR'", 35,
     "SELECT Id FROM Account FOR VIEW"),
    ("SELECT Id FROM Account;", "line 1:23 no viable alternative at character ';'", 23, "SELECT Id FROM Account"),
    ("SELECT Id FROM Account WHERE Name = 'a\\qb'",
     "Invalid string literal 'a\\qb'. Illegal character sequence '\\q' in string literal.", 39,
     "SELECT Id FROM Account WHERE Name = 'a\\nb'"),
    ("SELECT Id FROM Account WHERE Name = '50\\%'",
     "Invalid string literal '50\\%'. Illegal character sequence '\\%' in string literal.", 40,
     "SELECT Id FROM Account WHERE Name LIKE '50\\%'"),
    ("SELECT Id FROM Account WHERE Name LIKE 'a\\qb'",
     "Invalid string literal 'a\\qb'. Illegal character sequence '\\q' in string literal.", 42,
     "SELECT Id FROM Account WHERE Name LIKE 'a\\_b'"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T25:00:00Z",
     "line 1:44 no viable alternative at character '2026-01-01T25:00:00Z'", 44,
     "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T23:00:00Z"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-02-30T10:00:00Z",
     "line 1:44 no viable alternative at character '2026-02-30T10:00:00Z'", 44,
     "SELECT Id FROM Account WHERE CreatedDate > 2026-02-28T10:00:00Z"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T10:00:00+25:00",
     "line 1:44 no viable alternative at character '2026-01-01T10:00:00+25:00'", 44,
     "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T10:00:00+05:30"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T10:00:00+05:60",
     "line 1:44 no viable alternative at character '2026-01-01T10:00:00+05:60'", 44,
     "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T10:00:00-05:00"),
    ("SELECT Id FROM Opportunity WHERE CloseDate = 2026-02-30",
     "line 1:46 no viable alternative at character '2026-02-30'", 46,
     "SELECT Id FROM Opportunity WHERE CloseDate = 2024-02-29"),
]


@pytest.fixture(scope="module")
def org():
    server = FakeforceServer().start()
    server.org.create("Account", {"Name": "Acme"})
    yield server.org
    server.stop()


@pytest.mark.parametrize(("bad", "message", "column", "good"), CASES, ids=[c[0] for c in CASES])
def test_refused_with_a_caret_and_the_neighbour_still_answers(org, bad: str, message: str, column: int,
                                                             good: str) -> None:
    with pytest.raises(SalesforceError) as caught:
        soql.query(org, bad)
    error = caught.value
    assert (error.error_code, error.status) == ("MALFORMED_QUERY", 400)
    lines = error.message.split("\n")
    assert lines[-1] == message
    assert lines[-2] == f"ERROR at Row:1:Column:{column}"
    assert lines[-3] == " " * (column - 1) + "^"
    soql.query(org, good)  # raises if the near-identical valid query were refused too


@pytest.mark.parametrize("good", [
    "SELECT Id, (SELECT Id FROM Contacts WHERE LastName = 'x' ORDER BY LastName LIMIT 1) FROM Account "
    "WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName != null) ORDER BY Name LIMIT 5",
    "SELECT Id FROM Account USING SCOPE everything WHERE Name != null WITH SECURITY_ENFORCED "
    "ORDER BY Name LIMIT 5 OFFSET 0 FOR VIEW",
    "SELECT Id FROM Account FOR REFERENCE UPDATE VIEWSTAT",
    "SELECT Id FROM Account WITH USER_MODE FOR UPDATE",
    "SELECT Name, COUNT(Id) FROM Account GROUP BY ROLLUP(Name) HAVING COUNT(Id) > 0 ORDER BY Name LIMIT 3",
    "SELECT Id FROM Account WHERE Name = 'Tab\\tNew\\NLine\\u00e9\\\\ \\' \\\"'",
    "SELECT Id FROM Account UPDATE TRACKING",
])
def test_valid_clause_combinations_still_answer(org, good: str) -> None:
    soql.query(org, good)


def test_clause_words_as_names_are_not_clauses() -> None:
    """``Order`` is an object and a word of ORDER BY; ``Limit__c`` a field: neither is a clause."""
    assert soql.parse("SELECT Id FROM Order ORDER BY Id").sobject == "Order"
    assert soql.parse("SELECT Limit__c, Offset__c FROM Quota__c WHERE Limit__c > 1").where is not None
    parsed = soql.parse("SELECT Id FROM KnowledgeArticleVersion WITH DATA CATEGORY Geo__c AT usa__c LIMIT 1")
    assert parsed.with_clause == "DATA CATEGORY Geo__c AT usa__c" and parsed.limit == 1


def test_unicode_escape_reads_the_character(org) -> None:
    org.create("Account", {"Name": "Café"})
    _, rows = soql.query(org, "SELECT Name FROM Account WHERE Name = 'Caf\\u00e9'")
    assert [r["Name"] for r in rows] == ["Café"]


@pytest.mark.parametrize("bad", ["SELECT Id, FROM Account", "SELECT Id FROM Account;",
                                 "SELECT Id FROM Account LIMIT 1 WHERE Name = 'x'"])
def test_over_http_a_400_with_the_error_array(fakeforce, bad: str) -> None:
    with fakeforce.client(version="62.0") as api:
        response = api.get("/query", params={"q": bad})
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["errorCode"] == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:" in body[0]["message"]
