"""A care deployment to measure: fakeforce in this process (so the benchmark can watch its records through
the Python API, which costs no API request), syncd as its own process (as it runs in production, so its
CPU is not shared with fakeforce's under one interpreter lock), and the care calls that escalate cases."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from daemon.state.store import State
from daemon.webhooks import signed_headers
from fakeforce.seed import load_seed
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

ROOT = Path(__file__).resolve().parents[1]
CARE_SCHEMA = ROOT / "examples" / "care-schema.json"
SECRET = "whsec_YmVuY2htYXJrLXNlY3JldC1mb3Itc3luY2QtZWNvbm9teQ=="
API_TOKEN = "benchmark-api-token-0123456789"
AGENT_EMAIL = "agent@example.com"
# The rules of examples/syncd.toml with every rule on: P1 (storage and backfill), P2 (fields), P3 (status),
# P4 (per-case order, always on).
RULES = {"grace_period_seconds": 86400, "storage_object": "SocialPost", "incoming_case_status": "Working",
         "backfill_limit": 100}
# High enough that neither syncd nor the naive baseline meets it: the budget is not what is measured here.
DAILY_API_LIMIT = 10_000_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def toml_section(name: str, values: dict[str, Any]) -> list[str]:
    """Strings, numbers, booleans and lists of them: their JSON spelling is valid TOML."""
    return [f"[{name}]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()] + [""]


def message_event(message_id: str, customer: str, direction: str, text: str, profile: str = "page") -> dict:
    """An ``io.syncd.care.message.v1`` CloudEvent as the care platform sends it."""
    author = {"name": customer} if direction == "inbound" else {"name": "Agent"}
    return {"specversion": "1.0", "id": f"evt-{message_id}", "source": "benchmark", "type": "io.syncd.care.message.v1",
            "data": {"messageId": message_id, "customer": {"id": customer}, "profile": profile,
                     "direction": direction, "time": time_now(), "text": text, "author": author, "attachments": []}}


def time_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class CareDeployment:
    """fakeforce + a syncd process configured like examples/syncd.toml, with ``cases`` escalated care cases."""

    folder: Path
    cases: int
    fakeforce: FakeforceServer | None = None
    proc: subprocess.Popen | None = None
    url: str = ""
    contacts: list[str] = field(default_factory=list)
    sf_cases: dict[str, str] = field(default_factory=dict)
    """customer id -> the Salesforce Case id its escalation created."""
    state: State | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> "CareDeployment":
        settings = OrgSettings(control_enabled=True, daily_api_limit=DAILY_API_LIMIT)
        self.fakeforce = FakeforceServer(settings=settings, schema_files=[CARE_SCHEMA]).start()
        accounts = max(1, self.cases // 10)
        refs = load_seed(self.org, {
            "users": [{"ref": "agent", "Username": AGENT_EMAIL, "LastName": "Agent", "Email": AGENT_EMAIL}],
            "records": {
                "Account": [{"ref": f"a{i}", "Name": f"Account {i}"} for i in range(accounts)],
                "Contact": [{"ref": f"c{i}", "LastName": f"Customer {i}", "Email": f"customer{i}@example.com",
                             "AccountId": f"@a{i % accounts}"} for i in range(self.cases)]}})
        self.contacts = [refs[f"c{i}"] for i in range(self.cases)]
        self.start_syncd()
        return self

    def config_lines(self, port: int) -> list[str]:
        """syncd.toml's lines; a deployment of another integration (chat_harness.py) adds its sections."""
        service = {"listen": f"127.0.0.1:{port}", "state_path": str(self.folder / "state" / "syncd.db"),
                   "log_level": "info", "api_tokens": [API_TOKEN], "watchdog": False}
        salesforce = {"login_url": self.fakeforce.url, "client_id": "fakeforce", "client_secret": "fakeforce",
                      "username": "admin@fakeforce.local", "password": "fakeforce", "api_version": "62.0"}
        return (toml_section("service", service) + toml_section("salesforce", salesforce)
                + toml_section("webhooks", {"secrets": [SECRET], "tolerance_seconds": 300})
                + toml_section("rules", RULES))

    def start_syncd(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = self.folder / "syncd.toml"
        config.write_text("\n".join(self.config_lines(port)))
        self.log = self.folder / "syncd.log"
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        self.proc = subprocess.Popen([sys.executable, "-m", "daemon", "run", "--config", str(config)], cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"), env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("syncd exited: " + self.log.read_text()[-2000:])
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("syncd did not start: " + self.log.read_text()[-2000:])

    def close(self) -> None:
        if self.state is not None:
            self.state.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.fakeforce is not None:
            self.fakeforce.stop()

    @property
    def org(self):
        return self.fakeforce.org

    # -- talking to syncd --------------------------------------------------------------------------
    def send(self, client: httpx.Client, events: list[dict]) -> httpx.Response:
        body = json.dumps(events).encode()
        headers = {"Content-Type": "application/cloudevents-batch+json",
                   **signed_headers(SECRET, f"msg_{uuid.uuid4().hex}", body)}
        return client.post(self.url + "/v1/events", content=body, headers=headers, timeout=120)

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, self.url + path, json=body, timeout=60,
                             headers={"Authorization": f"Bearer {API_TOKEN}"})

    def customer(self, index: int) -> str:
        return f"fb:{index}"

    def escalate_all(self) -> None:
        """Each customer writes once (E2 needs a customer message), is linked to its Contact (E1) and its
        care case is escalated through the real call, which backfills that first message (P1)."""
        with httpx.Client() as client:
            first = [message_event(f"first-{i}", self.customer(i), "inbound", f"Hello, I am customer {i}")
                     for i in range(self.cases)]
            answer = self.send(client, first)
            assert answer.status_code == 202, answer.text
        for i in range(self.cases):
            customer = quote(self.customer(i), safe="")
            linked = self.call("PUT", f"/v1/care/customers/{customer}/link", {"contactId": self.contacts[i]})
            assert linked.status_code == 200, linked.text
            cases = self.call("GET", f"/v1/care/customers/{customer}/cases").json()["cases"]
            answer = self.call("POST", f"/v1/care/cases/{quote(cases[-1]['id'], safe='')}/escalate",
                               {"agent": {"email": AGENT_EMAIL}, "details": {"subject": f"Customer {i}"}})
            assert answer.status_code == 201, answer.text
            self.sf_cases[self.customer(i)] = answer.json()["caseId"]

    def wait_outbox_empty(self, timeout: float) -> bool:
        """True once syncd's outbox holds no pending operation, False when the time is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pending() == 0:
                return True
            time.sleep(0.05)
        return False

    def pending(self) -> int:
        """Pending operations, read from syncd's state database as ``syncd status`` does (WAL allows it)."""
        if self.state is None:
            self.state = State(str(self.folder / "state" / "syncd.db"))
        return self.state.counts()["pending"]

    # -- the org's side ------------------------------------------------------------------------------
    def api_requests(self) -> int:
        return self.fakeforce.fakeforce.usage.used

    def routes(self) -> dict[str, int]:
        return dict(self.fakeforce.fakeforce.usage.routes)
