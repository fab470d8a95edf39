"""The data file (snapshot + journal) survives kill -9 at any moment: it always holds the last committed state."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from fakeforce.org import Org

WRITER = r"""
import sys
from fakeforce.org import Org
org = Org(data_path=sys.argv[1])
n = 0
while True:
    n += 1
    with org.store.transaction():
        rid = org.create("Account", {"Name": f"A{n}", "Description": "x" * 2000})
        org.create("Contact", {"LastName": f"C{n}", "AccountId": rid})
    print(rid, flush=True)
"""


def _kill_writer_at_random(path, rng):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    committed = []
    deadline = time.monotonic() + rng.uniform(0.3, 1.5)
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    committed.extend(l.strip() for l in proc.stdout.read().splitlines() if l.strip())
    return committed


def _check(path, committed):
    with open(path, encoding="utf-8") as handle:
        json.load(handle)  # parses: never half-written
    org = Org(data_path=str(path))
    accounts = {r["Id"] for r in org.store.records("Account")}
    contacts = list(org.store.records("Contact"))
    assert set(committed) <= accounts, "an acknowledged commit was lost"
    # Each transaction wrote an Account and its Contact together: never one without the other.
    assert {c["AccountId"] for c in contacts} == accounts
    org.store.close()
    return len(accounts)


@pytest.mark.parametrize("rounds", [6])
def test_kill_9_during_writes(tmp_path, rounds):
    rng = random.Random(7)
    path = tmp_path / "org.json"
    total = 0
    for _ in range(rounds):
        committed = _kill_writer_at_random(path, rng)
        total = _check(path, committed)
    assert total > rounds  # the writer really wrote between kills
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # leftovers of a kill are swept


@pytest.mark.slow
def test_kill_9_during_writes_many_times(tmp_path):
    rng = random.Random(11)
    path = tmp_path / "org.json"
    for _ in range(60):
        _check(path, _kill_writer_at_random(path, rng))


def test_failed_transaction_leaves_file_and_memory_unchanged(tmp_path):
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    org.create("Account", {"Name": "Kept"})
    before_file = path.read_bytes()
    before_journals = {p.name: p.read_bytes() for p in tmp_path.glob("org.json.journal.*")}
    before_count = org.store.count("Account")
    with pytest.raises(Exception):
        with org.store.transaction():
            org.create("Account", {"Name": "Rolled back"})
            org.create("Contact", {"Email": "no last name"})
    assert path.read_bytes() == before_file
    assert {p.name: p.read_bytes() for p in tmp_path.glob("org.json.journal.*")} == before_journals
    assert org.store.count("Account") == before_count
    assert org.store.count("Contact") == 0


def test_records_survive_a_restart(tmp_path):
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    rid = org.create("Contact", {"LastName": "Persistent"})
    org.update("Contact", rid, {"Email": "p@example.com"})
    org.store.close()
    again = Org(data_path=str(path))
    assert again.store.get("Contact", rid)["Email"] == "p@example.com"
    assert again.admin_user_id == org.admin_user_id
    second = again.create("Contact", {"LastName": "Next"})
    assert second != rid
