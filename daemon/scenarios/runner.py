"""Running one scenario: a fakeforce org and a syncd sharing a movable clock, the steps in order, then
the expectations. syncd runs in-process on a real port (restartable); fakeforce on another."""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from fakeforce.clock import Clock
from fakeforce.errors import SalesforceError
from fakeforce.formats import parse_datetime

from ..config import parse_config
from ..service import Runtime, serve
from ..state.store import State
from ..webhooks import signed_headers
from .bot import STEPS as BOT_STEPS, bot_step
from .chat import STEPS as CHAT_STEPS, chat_step
from .care import STEPS as CARE_STEPS, care_step, message_event
from .connection import STEPS as CONNECTION_STEPS, connection_step
from .economy import STEPS as ECONOMY_STEPS, economy_step
from .expectations import check
from .interactions import STEPS as INTERACTION_STEPS, interactions_step
from .matching import Mismatch, lookup, matches, seconds, substitute
from .orgs import LocalOrg, RemoteOrg, ScenarioSkipped

SECRET = "whsec_c2NlbmFyaW8tc2VjcmV0LWZvci1zeW5jZC1zY2VuYXJpb3M="
DEFAULT_RULES = {"storage_object": "SocialPost", "grace_period_seconds": 86400}
API_TOKEN = "scenario-api-token-0123456789"
# sections a scenario's given.config may set besides rules
INTEGRATIONS = ("chat", "bot", "interactions", "console", "forms", "files")


class ScenarioError(AssertionError):
    """A scenario that did not go as written: which step, and why."""


@dataclass
class Scenario:
    path: Path
    name: str
    rules: list[str]
    given: dict
    steps: list[dict]
    then: list[dict]

    @classmethod
    def load(cls, path: str | Path) -> "Scenario":
        path = Path(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = set(data) - {"name", "rules", "description", "given", "steps", "then"}
        if unknown or not data.get("rules") or not isinstance(data.get("steps", []), list):
            raise ScenarioError(f"{path.name}: a scenario has name, rules, description, given, steps, then "
                                f"(unknown: {sorted(unknown)})")
        return cls(path, data.get("name", path.stem), [str(r) for r in data["rules"]], data.get("given") or {},
                   data.get("steps") or [], data.get("then") or [])


@dataclass
class Daemon:
    runtime: Runtime
    thread: threading.Thread
    url: str


@dataclass
class Run:
    scenario: Scenario
    folder: Path
    clock: Clock = field(default_factory=Clock)
    variables: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    message_count: int = 0
    last_message_event: dict | None = None
    org: LocalOrg | RemoteOrg | None = None
    target: dict | None = None
    daemon: Daemon | None = None
    config: Any = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        given = self.scenario.given
        start = given.get("clock")
        if self.target is not None:
            if start:
                raise ScenarioSkipped("starts at a fixed time")
            if given.get("schema"):
                raise ScenarioSkipped("loads schema files into the org")
            self.org = RemoteOrg(**self.target, prefix=f"scn{uuid.uuid4().hex[:6]}")
        else:
            self.clock.set(parse_datetime(str(start)) if start else
                           datetime.now(timezone.utc).replace(microsecond=0), freeze=True)
            self.org = LocalOrg(self.clock, given.get("schema") or ())  # extra schema files, repo-relative
        if given.get("org"):
            self.refs.update(self.org.seed(given["org"]))
        self.refs.setdefault("integration_user", self.org.integration_user())
        overrides = given.get("config") or {}
        rules = {**DEFAULT_RULES, **(overrides.get("rules") or {})}
        sf = {**self.org.salesforce(), "retry_base_seconds": 0.05, "retry_cap_seconds": 0.2,
              **(overrides.get("salesforce") or {})}
        service = {"listen": f"127.0.0.1:{_free_port()}", "state_path": str(self.folder / "syncd.db"),
                   "poll_interval_seconds": 0.02, "api_tokens": [API_TOKEN], **(overrides.get("service") or {})}
        self.config = parse_config({"service": service, "salesforce": sf, "webhooks": {"secrets": [SECRET]},
                                    "rules": rules, **{k: overrides[k] for k in INTEGRATIONS if k in overrides}})
        self.start_daemon()

    def customer(self, value: Any) -> Any:
        """Customer ids carry the run's prefix on a real org, so runs never meet each other's Cases."""
        prefix = getattr(self.org, "prefix", "")
        if not prefix:
            return value
        if isinstance(value, dict):
            return {**value, "id": f"{prefix}:{value['id']}"}
        return f"{prefix}:{value}"

    def start_daemon(self) -> None:
        runtime = Runtime(self.config, clock=self.clock.now)
        ready = threading.Event()

        def main() -> None:
            asyncio.run(serve(runtime))

        thread = threading.Thread(target=main, name="syncd-scenario", daemon=True)
        thread.start()
        url = f"http://{self.config.service.listen}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not ready.is_set():
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.02)
        else:
            raise ScenarioError("syncd did not start")
        self.daemon = Daemon(runtime, thread, url)

    def stop_daemon(self) -> None:
        if self.daemon is None:
            return
        runtime = self.daemon.runtime
        loop_stop = getattr(runtime, "begin_stop", None)
        if loop_stop is not None:
            _call_soon(runtime, loop_stop)
        self.daemon.thread.join(timeout=30)
        runtime.close()
        self.daemon = None

    def close(self) -> None:
        self.stop_daemon()
        if self.org is not None:
            if isinstance(self.org, RemoteOrg):
                rules = self.config.rules if self.config is not None else None
                self.org.close((rules.storage_object if rules else None) or "SocialPost",
                               rules.storage_parent_field if rules else "ParentId")
            else:
                self.org.close()

    # -- helpers -----------------------------------------------------------------------------------
    def sub(self, value: Any) -> Any:
        return substitute(value, self.refs, self.variables)

    def now(self) -> datetime:
        return self.clock.now()

    def send_events(self, events: list[dict]) -> httpx.Response:
        body = json.dumps(events).encode()
        headers = {"Content-Type": "application/cloudevents-batch+json",
                   **signed_headers(SECRET, f"msg_{uuid.uuid4().hex}", body)}
        return httpx.post(self.daemon.url + "/v1/events", content=body, headers=headers, timeout=30)

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        return httpx.request(method, self.daemon.url + path, json=body, headers=headers, timeout=60)

    def case_id(self, spec: Any) -> str:
        """A care case named by {customer, profile, number} (the pair's latest case when no number)."""
        if isinstance(spec, str):
            return spec
        spec = self.sub(spec)
        cases = self.call("GET", f"/v1/care/customers/{quote(self.customer(spec['customer']), safe='')}/cases").json()
        mine = [c for c in cases.get("cases", []) if c["profileId"] == spec["profile"]]
        if not mine:
            raise ScenarioError(f"no care case for {spec}")
        if "number" in spec:
            return next(c["id"] for c in mine if c["id"].endswith(f"_{spec['number']}"))
        return mine[-1]["id"]

    def outbox(self) -> dict[str, int]:
        """Outbox counts, and ``jobs``: chat jobs not yet turned into operations."""
        state = State(self.config.service.state_path)
        try:
            # jobs first: a job finishes in the transaction that queues its operations, so a job counted
            # done here has its operations in the counts below (the other order can see neither)
            jobs = state.conn.execute("SELECT COUNT(*) FROM chat_jobs WHERE status = 'pending'").fetchone()[0]
            counts = state.counts()
            counts["jobs"] = jobs
            return counts
        finally:
            state.close()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the outbox holds nothing pending (or the time is up: a fault may keep work waiting)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            counts = self.daemon and self.outbox()
            if self.daemon is None or (counts["pending"] == 0 and counts["jobs"] == 0):
                return
            time.sleep(0.03)

    def query(self, text: str) -> tuple[int, list[dict]]:
        return self.org.query(text)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call_soon(runtime: Runtime, func) -> None:
    loop = getattr(runtime, "loop", None)
    if loop is not None:
        loop.call_soon_threadsafe(func)
    else:
        func()


def expect(run: Run, response: httpx.Response, spec: dict | None, what: str) -> None:
    if not spec:
        return
    spec = run.sub(spec)
    if "status" in spec and response.status_code != spec["status"]:
        raise Mismatch(f"{what}: status {response.status_code}, expected {spec['status']}: {response.text[:500]}")
    if "json" in spec:
        matches(spec["json"], response.json())


def run_step(run: Run, step: dict) -> None:
    kind = next((k for k in step if k not in ("expect", "save", "note")), None)
    value = step.get(kind)
    response: httpx.Response | None = None
    if kind == "message" or kind == "messages":
        specs = value if isinstance(value, list) else [value]
        expanded = []
        for spec in specs:
            repeat = int(spec.get("repeat", 1)) if isinstance(spec, dict) else 1
            for _ in range(repeat):
                expanded.append(message_event(run, {k: v for k, v in spec.items() if k != "repeat"}))
        for start in range(0, len(expanded), 1000):
            response = run.send_events(expanded[start: start + 1000])
        run.last_message_event = expanded[-1]
        if not step.get("expect"):
            step = {**step, "expect": {"status": 202}}
    elif kind == "redeliver":
        response = run.send_events([run.last_message_event])
    elif kind == "event":
        response = run.send_events([run.sub(e) for e in (value if isinstance(value, list) else [value])])
    elif kind in CARE_STEPS:  # C2, L1, E1-E6: status changes, links, escalations
        response = care_step(run, kind, value)
    elif kind == "call":
        spec = run.sub(value)
        path = spec["path"]
        if isinstance(spec.get("case"), (dict, str)):
            path = path.replace("{case}", quote(run.case_id(spec["case"]), safe=""))
        response = run.call(spec.get("method", "GET"), path, spec.get("body"))
    elif kind == "clock":
        moment = (run.now() + timedelta(seconds=seconds(value["advance"])) if "advance" in value
                  else parse_datetime(str(value["set"])))
        run.org.set_clock(moment)
    elif kind == "fault":
        run.org.fault(run.sub(value))
    elif kind == "clear_faults":
        if isinstance(run.org, LocalOrg):  # how many requests the faults answered, for `faults_fired`
            fired = sum(f["fired"] for f in run.org.server.fakeforce.faults.list())
            run.variables["faults_fired"] = run.variables.get("faults_fired", 0) + fired
        run.org.clear_faults()
    elif kind == "restart":
        run.stop_daemon()
        run.start_daemon()
    elif kind == "wait":
        run.settle(seconds(value) if value not in ("outbox", True) else 15.0)
    elif kind == "org":
        spec = run.sub(value)
        for type_name, record_id in (spec.get("delete") or {}).items():
            run.org.delete(type_name, record_id)
        for type_name, changes in (spec.get("update") or {}).items():
            for record_id, fields in changes.items():
                run.org.update(type_name, record_id, fields)
        if spec.get("seed"):
            run.refs.update(run.org.seed(spec["seed"]))
    elif kind == "sleep":
        time.sleep(seconds(value))
    elif kind in CONNECTION_STEPS:  # S1, S2: disconnect, connect, revoke, use_refresh_token, org_requests
        response = connection_step(run, kind, run.sub(value))
        if response is not None and not step.get("expect"):
            step = {**step, "expect": {"status": 200}}
    elif kind in CHAT_STEPS:  # T, M, F, O1: chat, offline-message and inbox events
        response = chat_step(run, kind, run.sub(value))
        if response is not None and not step.get("expect"):
            step = {**step, "expect": {"status": 202}}
    elif kind in BOT_STEPS:  # B1-B4: the chatbot calls
        response = bot_step(run, run.sub(value))
    elif kind in INTERACTION_STEPS:  # I1-I5: interactions as events, the interaction jobs
        response = interactions_step(run, kind, run.sub(value))
    elif kind in ECONOMY_STEPS:  # S3: the org's API usage, what the sender reports
        economy_step(run, kind, run.sub(value))
    else:
        raise ScenarioError(f"unknown step {step!r}")
    if response is not None:
        if kind == "escalate" and isinstance(run.org, RemoteOrg) and response.status_code in (200, 201):
            run.org.forget("Case", response.json()["caseId"])
        expect(run, response, step.get("expect"), kind)
        for name, dotted in (step.get("save") or {}).items():
            run.variables[name] = lookup(response.json(), dotted)


@dataclass
class Result:
    scenario: Scenario
    passed: bool
    error: str | None = None
    seconds: float = 0.0
    skipped: str | None = None

    @property
    def outcome(self) -> str:
        return "skipped" if self.skipped else "passed" if self.passed else "failed"


def run_scenario(path: str | Path, target: dict | None = None) -> Result:
    """Run one scenario; ``target`` (login_url, client_id, client_secret, username, password) means a real org."""
    scenario = Scenario.load(path)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scenario-") as folder:
        run = Run(scenario, Path(folder), target=target)
        try:
            run.start()
            for index, step in enumerate(scenario.steps, 1):
                try:
                    run_step(run, step)
                except ScenarioSkipped:
                    raise
                except (Mismatch, ScenarioError, httpx.HTTPError, KeyError, ValueError, SalesforceError) as exc:
                    raise ScenarioError(f"step {index} {next(iter(step))}: {exc}") from exc
            run.settle()
            for index, item in enumerate(scenario.then, 1):
                try:
                    check(run, item)
                except (Mismatch, ScenarioError, KeyError, SalesforceError) as exc:
                    raise ScenarioError(f"then {index}: {exc}") from exc
        except ScenarioError as exc:
            skipped = exc.__cause__ if isinstance(exc.__cause__, ScenarioSkipped) else None
            if skipped is not None:
                return Result(scenario, False, None, time.monotonic() - started, skipped=str(skipped))
            return Result(scenario, False, str(exc), time.monotonic() - started)
        except ScenarioSkipped as exc:
            return Result(scenario, False, None, time.monotonic() - started, skipped=str(exc))
        finally:
            run.close()
    return Result(scenario, True, None, time.monotonic() - started)
