"""Whatever text arrives as SOQL, the answer is rows or Salesforce's error: never a crash."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fakeforce import soql
from fakeforce.errors import SalesforceError
from fakeforce.org import Org

TOKENS = ["SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "INCLUDES", "EXCLUDES", "ORDER", "BY", "ASC",
          "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "GROUP", "HAVING", "ROLLUP", "COUNT()", "COUNT(Id)",
          "SUM(NumberOfEmployees)", "TYPEOF", "WHEN", "THEN", "ELSE", "END", "FIELDS(ALL)", "USING", "SCOPE", "WITH",
          "FOR", "VIEW", "UPDATE", "Id", "Name", "Email", "LastName", "Account.Name", "Owner.Name", "What.Name",
          "Contact", "Account", "Task", "Contacts", "=", "!=", "<", ">", "<=", ">=", ",", "(", ")", "'x'", "'%a_'",
          "null", "true", "42", "-1.5", "2026-01-01", "2026-01-01T00:00:00Z", "TODAY", "LAST_N_DAYS:3", "\\", "'",
          "\"", "*", ";", "CALENDAR_YEAR(CreatedDate)", ":", "."]

_org = None


def org() -> Org:
    global _org
    if _org is None:
        _org = Org()
        acme = _org.create("Account", {"Name": "Acme", "NumberOfEmployees": 3})
        contact = _org.create("Contact", {"LastName": "Doe", "Email": "d@example.com", "AccountId": acme})
        _org.create("Task", {"Subject": "x", "WhatId": acme, "WhoId": contact})
    return _org


def check(text: str) -> None:
    try:
        total, rows = soql.query(org(), text)
    except SalesforceError as exc:
        assert exc.status == 400 and exc.error_code and exc.message
    else:
        assert isinstance(total, int) and isinstance(rows, list)


structured = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join)
prefixed = structured.map(lambda s: "SELECT Id FROM Contact WHERE " + s)
raw = st.text(max_size=80)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(structured, prefixed, raw))
def test_soql_never_crashes(text):
    check(text)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(structured, prefixed, raw))
def test_soql_never_crashes_deep(text):
    check(text)
