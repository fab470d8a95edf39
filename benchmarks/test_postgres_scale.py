"""The same care-message load on one syncd (SQLite, PostgreSQL) and on three syncd on one PostgreSQL:
messages per second (from the first message sent to the outbox drained) and Salesforce requests per
1,000 messages (the org's own count). Batching must not get worse with more instances: each instance
claims whole ordering keys, so its requests stay as full as the keys that are due allow.

Run: ``pytest benchmarks/test_postgres_scale.py --benchmark-only -s`` (needs PostgreSQL binaries, like
tests/test_postgres_*.py; skips without them, fails under CI=true).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakeforce.server import FakeforceServer  # noqa: E402
from fakeforce.settings import OrgSettings  # noqa: E402
from postgres_cluster import Cluster, check_delivery, loose_schema, open_cases, send_messages  # noqa: E402
from postgres_fixtures import pg_server, pg_url, postgresql_proc  # noqa: E402,F401  (fixtures)
from syncd_helpers import wait_for  # noqa: E402

CASES, MESSAGES = 30, 3_000
RESULTS: dict[str, dict] = {}


def outbox_pending(state: str) -> int:
    """Read straight from the store (a ``syncd status`` per poll would blur the timing)."""
    if state.startswith("postgresql://"):
        from postgres_cluster import pending

        return pending(state)
    import sqlite3

    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    finally:
        conn.close()


def measure(folder: Path, state: str, size: int) -> dict:
    rng = random.Random(5)
    with FakeforceServer(settings=OrgSettings(), schema_files=[loose_schema(folder)]) as org:
        cluster = Cluster(folder, org.url, state, size=size).start()
        try:
            open_cases(cluster, org.org, CASES, rng)
            wait_for(lambda: outbox_pending(state) == 0, timeout=120)
            before = org.fakeforce.usage.used
            started = time.monotonic()
            send_messages(cluster, CASES, MESSAGES, random.Random(6))
            wait_for(lambda: outbox_pending(state) == 0, timeout=300)
            seconds = time.monotonic() - started
            requests = org.fakeforce.usage.used - before
            check_delivery(org.org, CASES, MESSAGES)
        finally:
            cluster.stop()
    return {"messages_per_second": round(MESSAGES / seconds, 1),
            "requests_per_1000": round(requests * 1000 / MESSAGES, 1), "seconds": round(seconds, 2)}


@pytest.mark.parametrize("setup", ["sqlite-1", "postgresql-1", "postgresql-3"])
def test_postgres_scale(benchmark, setup, tmp_path, request):
    store, size = setup.split("-")
    state = str(tmp_path / "state" / "syncd.db") if store == "sqlite" else request.getfixturevalue("pg_url")
    benchmark.group = "postgres scale"
    figures = benchmark.pedantic(measure, args=(tmp_path, state, int(size)), rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    RESULTS[setup] = figures
    print(f"\n{setup}: {figures}")
    if setup == "postgresql-3" and "postgresql-1" in RESULTS:
        one, three = RESULTS["postgresql-1"], RESULTS["postgresql-3"]
        # batching must not get worse with more instances (a little slack for where a round splits)
        assert three["requests_per_1000"] <= one["requests_per_1000"] * 1.2 + 1, (one, three)
