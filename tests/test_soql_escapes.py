"""SOQL string literals read Salesforce's escape sequences (\\n \\r \\t \\b \\f \\" \\' \\\\), and a LIKE
pattern keeps \\% and \\_ as literal characters: a value bound by syncd's ``soql_literal`` finds exactly
the record that holds it."""

from __future__ import annotations

import pytest

from daemon.identify import soql_literal
from fakeforce import soql
from fakeforce.server import FakeforceServer

VALUES = ["back\\slash", "a\\nb", 'quo"te', "o'brien", "ends\\", "line\nbreak", "tab\there", "50%_off", "zoë ✓"]


@pytest.fixture(scope="module")
def org():
    server = FakeforceServer().start()
    for value in VALUES:
        server.org.create("Contact", {"LastName": value})
    yield server.org
    server.stop()


@pytest.mark.parametrize("value", VALUES)
def test_bound_value_finds_exactly_its_record(org, value: str) -> None:
    _, rows = soql.query(org, f"SELECT LastName FROM Contact WHERE LastName = {soql_literal(value)}")
    assert [r["LastName"] for r in rows] == [value]


def test_like_escapes_stay_literal(org) -> None:
    _, rows = soql.query(org, r"SELECT LastName FROM Contact WHERE LastName LIKE '50\%\_%'")
    assert [r["LastName"] for r in rows] == ["50%_off"]
    _, rows = soql.query(org, r"SELECT LastName FROM Contact WHERE LastName LIKE 'back\\%'")
    assert [r["LastName"] for r in rows] == ["back\\slash"]
