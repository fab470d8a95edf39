"""kill -9 syncd many times while it accepts and sends: every accepted event's write lands exactly once."""

import json
import random
import signal
import subprocess
import sys
import time

import httpx
import pytest

from fakeforce import soql
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings
from syncd_helpers import Syncd, upsert_event, write_config


def outbox_counts(config) -> dict:
    out = subprocess.run([sys.executable, "-m", "daemon", "status", "--config", str(config)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)["outbox"]


def crash_loop(tmp_path, kills: int, seed: int) -> None:
    schema = tmp_path / "schema.json"
    # Not unique on purpose: a resend that created instead of upserting would show as a second record.
    schema.write_text(json.dumps({"name": "Contact", "fields": [
        {"name": "Care_Customer_Id__c", "type": "string", "length": 64, "externalId": True}]}))
    rng = random.Random(seed)
    with FakeforceServer(settings=OrgSettings(), schema_files=[schema]) as org:
        config = write_config(tmp_path, org.url)
        daemon = Syncd(config).start()
        latest: dict[str, str] = {}
        batch_no = 0
        unacknowledged: list[dict] | None = None

        def deliver(events: list[dict]) -> bool:
            try:
                r = daemon.send(events)
            except httpx.HTTPError:
                return False
            assert r.status_code == 202, r.text
            for e in events:
                latest[e["data"]["externalId"]] = e["data"]["fields"]["LastName"]
            return True

        for _ in range(kills):
            if unacknowledged is not None:  # the platform redelivers what got no answer
                assert deliver(unacknowledged)
                unacknowledged = None
            deadline = time.monotonic() + rng.uniform(0.2, 0.8)
            while time.monotonic() < deadline:
                batch_no += 1
                events = []
                for i in range(rng.randint(5, 40)):
                    key = f"cust-{rng.randint(0, 300)}"
                    events.append(upsert_event(f"ev-{batch_no}-{i}", key, fields={"LastName": f"v{batch_no}-{i}"},
                                               ordering_key=key))
                if not deliver(events):
                    unacknowledged = events
                    break
            daemon.kill(signal.SIGKILL)
            daemon = Syncd(config).start()
        if unacknowledged is not None:
            assert deliver(unacknowledged)
        deadline = time.monotonic() + 60
        while outbox_counts(config)["pending"] and time.monotonic() < deadline:
            time.sleep(0.2)
        counts = outbox_counts(config)
        assert counts["pending"] == 0 and counts["dead"] == 0, counts
        assert daemon.kill(signal.SIGTERM) == 0
        total, rows = soql.query(org.org, "SELECT Care_Customer_Id__c, COUNT(Id) n FROM Contact "
                                          "GROUP BY Care_Customer_Id__c HAVING COUNT(Id) > 1")
        assert rows == [], f"duplicated records: {rows}"
        total, rows = soql.query(org.org, "SELECT Care_Customer_Id__c, LastName FROM Contact")
        assert total == len(latest)
        # Per-key order: the value in Salesforce is the last one accepted for that key.
        assert {r["Care_Customer_Id__c"]: r["LastName"] for r in rows} == latest


def test_kill_9_while_sending(tmp_path):
    crash_loop(tmp_path, kills=6, seed=3)


@pytest.mark.slow
def test_kill_9_while_sending_many_times(tmp_path):
    crash_loop(tmp_path, kills=40, seed=5)
