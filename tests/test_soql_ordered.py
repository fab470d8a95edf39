"""``ORDER BY <field> LIMIT n`` over a large table is served by an ordered index (fakeforce/soql/ordered.py):
the answers must be exactly those of a sort of every row (ties in stored order, nulls first or last, the
filter, OFFSET, deleted rows), and a write, a rollback or a reset must never leave a stale order behind."""

from __future__ import annotations

import random

import pytest

from fakeforce import soql
from fakeforce.org import Org
from fakeforce.soql import ordered

N = 2_500


@pytest.fixture(scope="module")
def org() -> Org:
    rng = random.Random(7)
    org = Org()
    contact = org.sobject("Contact")
    with org.store.transaction():
        for i in range(N):
            name = rng.choice(["Ng", "ng", "Abe", "zed", "Éa", "Mo"]) + str(rng.randrange(40))
            org._insert(contact, {"LastName": name, "FirstName": rng.choice([None, "A", "b", "C"]),
                                  "Title": rng.choice([None, "CEO", "cto"]), "Email": f"u{i}@example.com"}, None)
    return org


QUERIES = [
    "SELECT Id, LastName FROM Contact ORDER BY LastName LIMIT 25",
    "SELECT Id, LastName FROM Contact ORDER BY LastName DESC LIMIT 25",
    "SELECT Id, FirstName FROM Contact ORDER BY FirstName LIMIT 30",
    "SELECT Id, FirstName FROM Contact ORDER BY FirstName DESC LIMIT 30",
    "SELECT Id, FirstName FROM Contact ORDER BY FirstName ASC NULLS LAST LIMIT 900",
    "SELECT Id, FirstName FROM Contact ORDER BY FirstName DESC NULLS FIRST LIMIT 700",
    "SELECT Id, Title FROM Contact WHERE Title != null ORDER BY Title DESC LIMIT 50 OFFSET 20",
    "SELECT Id, LastName FROM Contact WHERE FirstName = 'b' ORDER BY LastName LIMIT 40",
    "SELECT Id, CreatedDate FROM Contact ORDER BY CreatedDate DESC LIMIT 5",
    "SELECT Id FROM Contact ORDER BY Email LIMIT 3000",
]


def _both(org: Org, text: str, monkeypatch) -> tuple[list, list]:
    fast = soql.query(org, text)[1]
    with monkeypatch.context() as m:
        m.setattr(ordered, "MIN_ROWS", 10**9)  # the plain path: every row sorted
        slow = soql.query(org, text)[1]
    return fast, slow


@pytest.mark.parametrize("text", QUERIES)
def test_the_index_answers_what_a_full_sort_answers(org, text, monkeypatch) -> None:
    fast, slow = _both(org, text, monkeypatch)
    assert fast == slow and fast
    assert org.store.__dict__.get("_ordered_indexes"), "the index was not used"


def test_writes_rollbacks_and_deletes_are_seen_at_once(org, monkeypatch) -> None:
    text = "SELECT Id, LastName FROM Contact ORDER BY LastName LIMIT 3"
    first = soql.query(org, text)[1][0]
    victim = next(r for r in org.store.records("Contact") if r["LastName"].startswith("zed"))
    org.update("Contact", victim["Id"], {"LastName": "Aaaa"})
    assert soql.query(org, text)[1][0]["Id"] == victim["Id"]
    with pytest.raises(RuntimeError), org.store.transaction():
        org.update("Contact", first["Id"], {"LastName": "AAA"})
        assert soql.query(org, text)[1][0]["Id"] == first["Id"]  # inside the transaction: its own write
        raise RuntimeError("roll back")
    assert soql.query(org, text)[1][0]["Id"] == victim["Id"]
    org.delete("Contact", victim["Id"])
    fast, slow = _both(org, text, monkeypatch)
    assert fast == slow and victim["Id"] not in {r["Id"] for r in fast}
