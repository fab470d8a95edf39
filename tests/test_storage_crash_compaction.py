"""kill -9 during a compaction and during a burst of concurrent writes from several HTTP clients: every
acknowledged record is there afterwards and the data file loads."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import httpx

from fakeforce import journal
from fakeforce.org import Org
from test_cli import Served
from test_storage_crash import _check

COMPACTING_WRITER = r"""
import sys, threading
from fakeforce.org import Org
org = Org(data_path=sys.argv[1])
storage = org.store.storage
def compact_forever():
    while True:
        storage.compact()
threading.Thread(target=compact_forever, daemon=True).start()
n = 0
while True:
    n += 1
    with org.store.transaction():
        rid = org.create("Account", {"Name": f"A{n}", "Description": "x" * 2000})
        org.create("Contact", {"LastName": f"C{n}", "AccountId": rid})
    print(rid, storage.compactions, flush=True)
"""


def test_kill_9_during_compaction(tmp_path):
    path = tmp_path / "org.json"
    rng = random.Random(5)
    compactions = 0
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", COMPACTING_WRITER, str(path)], stdout=subprocess.PIPE,
                                text=True)
        deadline = time.monotonic() + rng.uniform(0.5, 1.5)
        lines = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        lines.extend(proc.stdout.read().splitlines())
        acked = [l.split()[0] for l in lines if l.strip()]
        compactions += max((int(l.split()[1]) for l in lines if l.strip()), default=0)
        _check(path, acked)
    assert compactions > 5  # the kills did land among compactions


def test_kill_9_during_concurrent_writes_with_compactions(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKEFORCE_JOURNAL_COMPACT_BYTES", "30000")  # compact every few dozen writes
    path = tmp_path / "org.json"
    acked: list[str] = []
    for round_ in range(3):
        served = Served("--data", str(path), "--daily-api-limit", "unlimited")
        auth = {"Authorization": f"Bearer {served.token()}"}
        stop = threading.Event()

        def client(k: int) -> None:
            with httpx.Client(base_url=served.url + "/services/data/v62.0", headers=auth, timeout=10) as http:
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        r = http.post("/sobjects/Contact", json={"LastName": f"R{round_}K{k}N{i}",
                                                                 "Description": "y" * 500})
                    except httpx.HTTPError:
                        return  # the server died mid-request: not acknowledged
                    if r.status_code == 201:
                        acked.append(r.json()["id"])

        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0 + round_ * 0.4)
        served.kill()
        stop.set()
        for t in threads:
            t.join()
        json.loads(path.read_bytes())  # the snapshot is whole
        org = Org(data_path=str(path))
        missing = set(acked) - {r["Id"] for r in org.store.records("Contact")}
        assert not missing, f"{len(missing)} acknowledged creates lost"
        generation = journal.generation_of(json.loads(path.read_bytes()), "_meta")
        del org  # not closed: the next server starts from exactly what the kill left
    assert len(acked) > 100
    assert generation >= 2  # compactions ran during the bursts
