"""Several syncd processes on one PostgreSQL and one fakeforce, for the chaos test and the benchmark:
care cases escalated through the instances, then messages in rounds (each round one message per case,
so a case's messages go out in order, each after the previous round's 202), sent to any live instance."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from syncd_helpers import AUTH, Syncd, message_event, wait_for, write_config

CARE_SCHEMA = Path(__file__).resolve().parent.parent / "examples" / "care-schema.json"


def loose_schema(folder: Path) -> Path:
    """The care schema with the message external id not unique: a second send that created instead of
    upserting, or two instances creating at once, shows as a second record."""
    schema = json.loads(CARE_SCHEMA.read_text())
    for obj in schema["objects"]:
        for f in obj.get("fields", []):
            if f["name"] == "Care_Message_Id__c":
                f["unique"] = False
    path = folder / "care-schema.json"
    path.write_text(json.dumps(schema))
    return path


@dataclass
class Cluster:
    folder: Path
    org_url: str
    state: str
    """A postgresql:// URL, or a SQLite path (one instance only)."""
    size: int
    lease_seconds: float = 2.0
    instances: list[Syncd] = field(default_factory=list)
    pids: dict[int, int] = field(default_factory=dict)
    """Every pid an instance slot ran as (its restarts too): pid -> slot."""

    def start(self) -> "Cluster":
        for slot in range(self.size):
            folder = self.folder / f"syncd-{slot}"
            folder.mkdir(parents=True, exist_ok=True)
            service = {"lease_seconds": self.lease_seconds, "poll_interval_seconds": 0.05}
            if self.state.startswith("postgresql://"):
                service["state_url"] = self.state
            else:
                service["state_path"] = self.state
            config = write_config(folder, self.org_url, service=service)
            config.write_text(config.read_text() + '\n[rules]\nstorage_object = "SocialPost"\n')
            self.instances.append(self._run(Syncd(config), slot))
        return self

    def _run(self, daemon: Syncd, slot: int) -> Syncd:
        daemon.start()
        self.pids[daemon.proc.pid] = slot
        return daemon

    def restart(self, slot: int, sig: int = 9) -> None:
        old = self.instances[slot]
        old.kill(sig)
        self.instances[slot] = self._run(Syncd(old.config), slot)

    def stop(self) -> None:
        for daemon in self.instances:
            if daemon.proc and daemon.proc.poll() is None:
                daemon.kill(15)

    def send(self, events: list[dict], rng: random.Random, timeout: float = 60) -> None:
        """Deliver one batch to some live instance; without a 202 the platform redelivers it elsewhere."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            daemon = self.instances[rng.randrange(self.size)]
            try:
                if daemon.send(events).status_code == 202:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("no instance accepted a batch")

    def call(self, method: str, path: str, rng: random.Random, **kwargs) -> httpx.Response:
        for _ in range(200):
            daemon = self.instances[rng.randrange(self.size)]
            try:
                return httpx.request(method, daemon.url + path, headers=AUTH, timeout=30, **kwargs)
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError(f"no instance answered {path}")


def customer(case: int) -> str:
    return f"fb:cust{case}"


def open_cases(cluster: Cluster, org, cases: int, rng: random.Random) -> None:
    """One message per customer (a care case each), a Contact linked to it, the case escalated (a Case)."""
    cluster.send([message_event(f"open-{c}", customer(c), message_id=f"open-{c}", text="hello")
                  for c in range(cases)], rng)
    for c in range(cases):
        contact = org.create("Contact", {"LastName": f"Cust{c}"}, org.admin_user_id)
        r = cluster.call("PUT", f"/v1/care/customers/{customer(c)}/link", rng, json={"contactId": contact})
        assert r.status_code == 200, r.text
        case_id = cluster.call("GET", f"/v1/care/customers/{customer(c)}/cases", rng).json()["cases"][0]["id"]
        r = cluster.call("POST", f"/v1/care/cases/{case_id}/escalate", rng, json={"agent": {"name": "Alex"}})
        assert r.status_code in (200, 201), r.text


def send_messages(cluster: Cluster, cases: int, total: int, rng: random.Random) -> None:
    for round_no in range(total // cases):
        cluster.send([message_event(f"m-{c}-{round_no}", customer(c), message_id=f"m-{c}-{round_no:05d}",
                                    text=f"round {round_no}") for c in range(cases)], rng)


def pending(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()[0]


def dead(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'dead'").fetchone()[0]


class LeaseWatch(threading.Thread):
    """Samples who holds leases: the proof that every instance slot did work."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.owners, self.stop = url, set(), threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                for (owner,) in conn.execute("SELECT DISTINCT lease_owner FROM outbox_keys "
                                             "WHERE lease_owner IS NOT NULL"):
                    self.owners.add(owner)
                time.sleep(0.05)

    def slots(self, pids: dict[int, int]) -> set[int]:
        return {pids[int(o.split(":")[1])] for o in self.owners if int(o.split(":")[1]) in pids}


def storage_records(org) -> list[dict]:
    from fakeforce import soql

    return soql.query(org, "SELECT Id, Care_Message_Id__c, ParentId FROM SocialPost")[1]


def check_delivery(org, cases: int, total: int) -> None:
    """Nothing lost, nothing duplicated, each case's messages created in the order they were sent."""
    rows = [r for r in storage_records(org) if r["Care_Message_Id__c"].startswith("fb:m-")]
    ids = [r["Care_Message_Id__c"] for r in rows]
    assert len(ids) == len(set(ids)), f"duplicated: {len(ids) - len(set(ids))} records"
    assert len(ids) == total, f"lost: {total - len(ids)} of {total} messages"
    by_case: dict[str, list[tuple[str, int]]] = {}
    for r in rows:
        _, case, round_no = r["Care_Message_Id__c"].rsplit("-", 2)
        by_case.setdefault(case, []).append((r["Id"], int(round_no)))
    assert len(by_case) == cases
    for case, records in by_case.items():
        rounds = [n for _, n in sorted(records)]  # ids grow with creation (fixed-width base 62)
        assert rounds == sorted(rounds), f"case {case}: messages out of order"


def wait_drained(url: str, timeout: float) -> None:
    wait_for(lambda: pending(url) == 0, timeout=timeout)


class WriteCounter:
    """Counts the org's upserts of message records by external id: a message sent twice shows here even
    when the upsert by external id kept Salesforce free of a second record."""

    def __init__(self, org) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        upsert = org.upsert

        def counted(type_name, field_name, value, *args, **kwargs):
            if type_name == "SocialPost" and str(value).startswith("fb:m-"):
                with self._lock:
                    self.counts[value] = self.counts.get(value, 0) + 1
            return upsert(type_name, field_name, value, *args, **kwargs)

        org.upsert = counted

    def repeated(self) -> int:
        return sum(n - 1 for n in self.counts.values())
