"""Running a real syncd process against a fakeforce in the test process, and sending it signed events."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from daemon.webhooks import signed_headers

SECRET = "whsec_dGVzdC1zZWNyZXQtZm9yLXN5bmNkLXRlc3Rz"
API_TOKEN = "syncd-test-api-token-0123456789"
"""The bearer token every test config has (the care and admin calls need one by default)."""
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(folder: Path, fakeforce_url: str, **overrides) -> Path:
    port = overrides.pop("port", None) or free_port()
    sf = {"login_url": fakeforce_url, "client_id": "fakeforce", "client_secret": "fakeforce",
          "username": "admin@fakeforce.local", "password": "fakeforce", "retry_base_seconds": 0.05,
          "retry_cap_seconds": 0.5, "max_attempts": 200, **overrides.pop("salesforce", {})}
    given = overrides.pop("service", {})
    service = {"listen": f"127.0.0.1:{port}", "state_path": "state/syncd.db", "poll_interval_seconds": 0.05,
               **({} if given.get("allow_unauthenticated") else {"api_tokens": [API_TOKEN]}), **given}
    lines = ["[service]"] + [f"{k} = {json.dumps(v)}" for k, v in service.items()]
    lines += ["", "[salesforce]"] + [f"{k} = {json.dumps(v)}" for k, v in sf.items()]
    lines += ["", "[webhooks]", f"secrets = [{json.dumps(SECRET)}]"]
    path = folder / "syncd.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class Syncd:
    def __init__(self, config: Path) -> None:
        self.config = config
        text = config.read_text()
        self.port = int(text.split('listen = "127.0.0.1:')[1].split('"')[0])
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = config.parent / "syncd.log"

    def start(self, wait: bool = True) -> "Syncd":
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        self.proc = subprocess.Popen([sys.executable, "-m", "daemon", "run", "--config", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"), env=env)
        if wait:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError("syncd exited: " + self.log.read_text()[-2000:])
                try:
                    if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                        return self
                except httpx.HTTPError:
                    time.sleep(0.05)
            raise AssertionError("syncd did not start: " + self.log.read_text()[-2000:])
        return self

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def send(self, events: list[dict] | dict, *, secret: str = SECRET, headers: dict | None = None,
             body: bytes | None = None) -> httpx.Response:
        raw = body if body is not None else json.dumps(events).encode()
        signed = signed_headers(secret, f"msg_{uuid.uuid4().hex}", raw)
        return httpx.post(self.url + "/v1/events", content=raw, timeout=30,
                          headers={"Content-Type": "application/cloudevents-batch+json", **signed,
                                   **(headers or {})})


def upsert_event(event_id: str, external_id: str, *, obj: str = "Contact", field: str = "Care_Customer_Id__c",
                 fields: dict | None = None, ordering_key: str | None = None) -> dict:
    data = {"object": obj, "externalIdField": field, "externalId": external_id,
            "fields": fields if fields is not None else {"LastName": f"L-{external_id}"}}
    if ordering_key:
        data["orderingKey"] = ordering_key
    return {"specversion": "1.0", "id": event_id, "source": "tests", "type": "io.syncd.record.upsert.v1",
            "data": data}


def message_event(event_id: str, customer: str = "fb:ann", *, profile: str = "page", text: str = "Hello",
                  message_id: str | None = None, direction: str = "inbound", **data) -> dict:
    """An ``io.syncd.care.message.v1`` event (a customer's message opens or continues a care case)."""
    return {"specversion": "1.0", "id": event_id, "source": "tests", "type": "io.syncd.care.message.v1",
            "data": {"messageId": message_id or f"m-{event_id}", "customer": {"id": customer, "platform": "fb"},
                     "profile": profile, "direction": direction, "text": text, **data}}


def wait_for(predicate, timeout: float = 30.0) -> bool:
    """Poll until ``predicate()`` holds; the tests' one way to wait for the sender or the org."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def syncd_cli(config, *args: str) -> subprocess.CompletedProcess:
    """``syncd <args> --config <config>`` as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "daemon", *args, "--config", str(config)], capture_output=True,
                          text=True, timeout=120)
