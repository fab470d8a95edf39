"""The shape-keyed SOQL parse cache: a new literal reuses the parsed tree, and the answer is the same as a
fresh parse's, errors and positions included."""

import re

import pytest

from fakeforce import soql
from fakeforce.errors import SalesforceError
from fakeforce.org import Org
from fakeforce.soql import cache
from fakeforce.soql.parse import parse as parse_text

QUERIES = [
    "SELECT Id, Name FROM Contact WHERE Id = '003000000000001AAA'",
    "SELECT Id FROM Contact WHERE LastName LIKE 'Sm%' AND Email IN ('a@x.com', 'bb@y.org') ORDER BY Name",
    "SELECT Id, (SELECT Id FROM Contacts WHERE LastName != 'x') FROM Account WHERE Name = 'Acme' LIMIT 5",
    "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Email = 'q@x.com')",
    "SELECT Name FROM Account WHERE Name = '' OR Name = 'it s'",
    "SELECT COUNT(Id) FROM Contact WHERE CreatedDate = TODAY AND LastName = 'Doe' GROUP BY AccountId",
]


@pytest.mark.parametrize("text", QUERIES)
def test_a_cached_tree_equals_a_fresh_parse(text):
    cache.clear()
    first, second = cache.parse(text), cache.parse(text)
    assert first == parse_text(text) == second
    assert first.text == text
    other = re.sub(r"'[^']*'", "'another, longer value'", text, count=1)
    assert cache.parse(other) == parse_text(other) and cache.parse(other).text == other


def test_a_new_id_in_every_query_is_one_shape():
    cache.clear()
    for i in range(200):
        tree = cache.parse(f"SELECT Id FROM Contact WHERE Id = '003{i:015d}'")
        assert tree.where.right.value == f"003{i:015d}"
    assert len(cache._shapes) == 1


def test_subquery_text_is_the_real_text():
    text = "SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'Real'"
    cache.clear()
    cache.parse(text)
    tree = cache.parse(text)
    assert tree.select[1].expr.text == text


def test_escapes_and_errors_go_to_the_plain_parser():
    cache.clear()
    assert cache.parse(r"SELECT Id FROM Contact WHERE LastName = 'O\'Brien'").where.right.value == "O'Brien"
    for bad in ("SELECT Id FROM Contact WHERE LastName = 'a' AND", r"SELECT Id FROM Contact WHERE Name = 'a\q'"):
        with pytest.raises(SalesforceError) as cached:
            cache.parse(bad)
        with pytest.raises(SalesforceError) as fresh:
            parse_text(bad)
        assert cached.value.as_array() == fresh.value.as_array()


def test_queries_through_the_org_use_it():
    org = Org()
    ids = [org.create("Contact", {"LastName": f"L{i}"}) for i in range(3)]
    cache.clear()
    for rid in ids:
        total, rows = soql.query(org, f"SELECT Id, LastName FROM Contact WHERE Id = '{rid}'")
        assert total == 1 and rows[0]["Id"] == rid
    assert len(cache._shapes) == 1
