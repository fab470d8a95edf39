"""A real ``fakeforce serve`` process with n Contacts, in memory or on a data file, and the loads run on it.

The server runs in its own process so the client's work does not share its interpreter (the GIL and the
garbage collector would blur both). Figures are wall-clock over loopback, one client, keep-alive.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from fakeforce.org import Org
from fakeforce.seed import load_seed

API = "/services/data/v62.0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_of(n: int) -> dict:
    return {"records": {"Contact": [{"LastName": f"Last{i:06d}", "FirstName": f"F{i % 97}",
                                     "Email": f"user{i}@example.com", "Phone": f"+1 555 {i:07d}"}
                                    for i in range(n)]}}


def build_data_file(path: Path, n: int) -> None:
    """A data file holding n Contacts (one seed transaction, then compacted by close)."""
    org = Org(data_path=str(path))
    load_seed(org, seed_of(n))
    org.store.close()


@dataclass
class Server:
    args: list[str]
    port: int = field(default_factory=free_port)
    started_s: float = 0.0
    proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "fakeforce", "serve", "--port", str(self.port),
                                      "--daily-api-limit", os.environ.get("FAKEFORCE_BENCH_API_LIMIT", "unlimited"), "--log-level", "warning", *self.args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/services/data/", timeout=1)
                self.started_s = time.perf_counter() - t0
                return self
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"fakeforce exited with {self.proc.returncode}")
                time.sleep(0.05)
        raise RuntimeError("fakeforce did not answer")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        return kb / 1024

    def client(self) -> httpx.Client:
        r = httpx.post(self.url + "/services/oauth2/token",
                       data={"grant_type": "password", "client_id": "fakeforce", "client_secret": "fakeforce",
                             "username": "admin@fakeforce.local", "password": "fakeforce"})
        return httpx.Client(base_url=self.url + API, timeout=60,
                            headers={"Authorization": f"Bearer {r.json()['access_token']}"})

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def serve(n: int, data: Path | None, folder: Path) -> Server:
    if data is None:
        seed = folder / f"seed-{n}.json"
        seed.write_text(json.dumps(seed_of(n)))
        return Server(["--seed", str(seed)]).start()
    build_data_file(data, n)
    return Server(["--data", str(data)]).start()


def rate(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"per_s": len(ordered) / sum(ordered), "p50_ms": ordered[len(ordered) // 2] * 1e3,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3}


def crud(client: httpx.Client, count: int, times: dict[str, list[float]] | None = None
         ) -> dict[str, dict[str, float]]:
    """count creates, then an update and a delete of each, one request at a time (latencies added to times)."""
    times = times if times is not None else {"create": [], "update": [], "delete": []}
    ids = []
    for i in range(count):
        t = time.perf_counter()
        r = client.post("/sobjects/Contact", json={"LastName": f"Bench{i}", "Email": f"b{i}@example.com"})
        times["create"].append(time.perf_counter() - t)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    for rid in ids:
        t = time.perf_counter()
        r = client.patch(f"/sobjects/Contact/{rid}", json={"Phone": "+1 555 0100"})
        times["update"].append(time.perf_counter() - t)
        assert r.status_code == 204, r.text
    for rid in ids:
        t = time.perf_counter()
        r = client.delete(f"/sobjects/Contact/{rid}")
        times["delete"].append(time.perf_counter() - t)
        assert r.status_code == 204, r.text
    return {op: rate(values) for op, values in times.items()}


def id_lookups(client: httpx.Client, ids: list[str], count: int, repeat: bool) -> dict[str, float]:
    """SOQL lookups by Id over REST: a new Id in every query's text, or the same text every time."""
    latencies = []
    for i in range(count):
        rid = ids[0] if repeat else ids[(i * 7919) % len(ids)]
        t = time.perf_counter()
        r = client.get("/query", params={"q": f"SELECT Id, LastName, Email FROM Contact WHERE Id = '{rid}'"})
        latencies.append(time.perf_counter() - t)
        assert r.status_code == 200 and r.json()["totalSize"] == 1, r.text
    return rate(latencies)
