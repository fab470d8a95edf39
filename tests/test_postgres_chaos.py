"""Three syncd processes on one PostgreSQL and one fakeforce; kill -9 a random one every few seconds and
restart it, while messages of many care cases arrive. Nothing lost, nothing duplicated, per-case order
kept, every instance did work (and a killed one's leased work was finished by the others)."""

from __future__ import annotations

import random
import threading
import time

import pytest

from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings
from postgres_cluster import Cluster, LeaseWatch, WriteCounter, check_delivery, dead, loose_schema, open_cases, \
    send_messages, wait_drained
from postgres_fixtures import pg_server, pg_url, postgresql_proc  # noqa: F401  (fixtures)


BATCH_ROWS = 1000
"""The most rows one sender turn holds (sender_batch_size x 5): what a kill -9 may leave sent but not
marked done, which the instance that takes the keys over sends again (upserts: no second record)."""


def chaos(tmp_path, url: str, *, cases: int, total: int, kill_every: float | None, seed: int) -> dict:
    rng = random.Random(seed)
    with FakeforceServer(settings=OrgSettings(), schema_files=[loose_schema(tmp_path)]) as org:
        writes = WriteCounter(org.org)
        cluster = Cluster(tmp_path, org.url, url, size=3, lease_seconds=2.0).start()
        watch = LeaseWatch(url)
        watch.start()
        kills = 0
        try:
            open_cases(cluster, org.org, cases, rng)
            sending = threading.Thread(target=send_messages, args=(cluster, cases, total, random.Random(seed + 1)))
            started = time.monotonic()
            sending.start()
            while sending.is_alive():
                sending.join(kill_every * rng.uniform(0.5, 1.5) if kill_every else None)
                if sending.is_alive():
                    cluster.restart(rng.randrange(cluster.size))  # kill -9, then start it again
                    kills += 1
            sending.join()
            if kill_every:
                cluster.restart(rng.randrange(cluster.size))  # one more while the queue drains
                kills += 1
            wait_drained(url, timeout=120)
            elapsed = time.monotonic() - started
            assert dead(url) == 0
            check_delivery(org.org, cases, total)
            assert watch.slots(cluster.pids) == {0, 1, 2}, "an instance never held a lease"
            assert writes.repeated() <= kills * BATCH_ROWS, "operations sent again without a kill to explain it"
        finally:
            watch.stop.set()
            cluster.stop()
    return {"kills": kills, "seconds": elapsed, "repeated": writes.repeated()}


def test_three_instances_send_each_operation_once(tmp_path, pg_url):
    """No kills: every message is written to Salesforce exactly once, whichever instance sent it."""
    result = chaos(tmp_path, pg_url, cases=20, total=600, kill_every=None, seed=7)
    assert result["repeated"] == 0


def test_three_instances_survive_kill_9(tmp_path, pg_url):
    result = chaos(tmp_path, pg_url, cases=20, total=1_000, kill_every=3.0, seed=11)
    print(f"\nsmall chaos: {result}")
    assert result["kills"] >= 2


@pytest.mark.slow
def test_three_instances_survive_kill_9_at_full_size(tmp_path, pg_url):
    result = chaos(tmp_path, pg_url, cases=100, total=10_000, kill_every=3.0, seed=13)
    print(f"\nfull-size chaos: {result}")
    assert result["kills"] >= 5
