"""Benchmark data: orgs of n Contacts, and the same Contacts in a plain TinyDB for the baseline."""

from __future__ import annotations

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from fakeforce.org import Org

SIZES = [1_000, 10_000, 100_000]
ACCOUNTS_PER_1000 = 20


def build_org(n: int) -> Org:
    """An in-memory org with n Contacts spread over Accounts, loaded through the org's own insert path."""
    org = Org()
    accounts = max(1, n * ACCOUNTS_PER_1000 // 1000)
    industries = ["Technology", "Energy", "Retail", "Banking", None]
    with org.store.transaction():
        account_ids = [org._insert(org.sobject("Account"), {"Name": f"Account {i}",
                                                            "Industry": industries[i % len(industries)]}, None)
                       for i in range(accounts)]
        contact = org.sobject("Contact")
        for i in range(n):
            org._insert(contact, {"FirstName": f"First{i % 97}", "LastName": f"Last{i:06d}",
                                  "Email": f"user{i}@example.com", "AccountId": account_ids[i % accounts],
                                  "Phone": f"+1 555 {i:07d}"}, None)
    return org


def plain_tinydb(org: Org) -> TinyDB:
    """The naive baseline: the same Contacts in a plain TinyDB table, searched by full scan."""
    db = TinyDB(storage=MemoryStorage)
    db.table("Contact").insert_multiple(dict(r) for r in org.store.records("Contact"))
    return db


