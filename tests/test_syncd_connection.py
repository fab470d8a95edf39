"""Disconnect (S2) and connect (S1) as operations: the client against a real fakeforce, and a real syncd
process driven by ``syncd disconnect`` / ``syncd connect``.

Requests reaching the org are counted twice: the org's own API counter (REST requests) and a fault on the
OAuth token route that would answer 503 to any login and counts how often it fired (logins)."""

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from daemon.config import SalesforceConfig
from daemon.salesforce.client import SalesforceClient
from daemon.salesforce.connection import FACT, REFRESH_TOKEN_REFUSED, fingerprint
from daemon.salesforce.errors import SalesforceApiError
from daemon.state.store import State
from fakeforce import soql
from syncd_helpers import wait_for, syncd_cli, Syncd, free_port, upsert_event, write_config

TOKEN = "connection-test-api-token-0123456789"


def run(coro):
    return asyncio.run(coro)


def login_counter(ff) -> dict:
    """A fault that fires on every token request while present (each firing is a login attempt)."""
    return ff.faults.add({"route": "/services/oauth2/token", "status": 503}).as_dict()


def fired(ff, fault: dict) -> int:
    return next(f["fired"] for f in ff.faults.list() if f["id"] == fault["id"])


def password_config(url: str) -> SalesforceConfig:
    return SalesforceConfig(login_url=url, client_id="fakeforce", client_secret="fakeforce",
                            username="admin@fakeforce.local", password="fakeforce")


# -- the client ------------------------------------------------------------------------------------
def test_disconnect_revokes_the_session_and_then_sends_nothing(fakeforce):
    ff = fakeforce.instance

    async def scenario():
        client = SalesforceClient(password_config(fakeforce.url))
        try:
            await client.request("GET", "/limits")
            token = client.token
            outcomes = await client.disconnect()
            used, logins = ff.usage.used, login_counter(ff)
            with pytest.raises(SalesforceApiError) as info:
                await client.request("GET", "/limits")
            with pytest.raises(SalesforceApiError):
                await client.ensure_session()
            return token, outcomes, used, logins, info.value, client
        finally:
            await client.close()

    token, outcomes, used, logins, error, client = run(scenario())
    assert outcomes == [{"token": "access token", "result": "revoked"}]
    assert ff.sessions.validate(token) is None  # revoked at the org, not only forgotten
    assert (error.status, error.code, error.retryable) == (0, "DISCONNECTED", True)
    assert ff.usage.used == used and fired(ff, logins) == 0  # no request and no login reached the org
    assert not client.connected and client.token is None
    assert client.connection.cause == "operator" and client.connection.reason == "disconnected by operator"


def test_connect_logs_in_again_and_a_failed_connect_stays_disconnected(fakeforce):
    config = password_config(fakeforce.url)

    async def scenario():
        client = SalesforceClient(config)
        try:
            await client.disconnect()
            since = client.connection.since
            config.password = "wrong"
            with pytest.raises(SalesforceApiError) as info:
                await client.connect()
            still = (client.connected, client.connection.since)
            config.password = "fakeforce"
            await client.connect()
            body = await client.request("GET", "/limits")
            return since, still, info.value, body, client.connected
        finally:
            await client.close()

    since, still, error, body, connected = run(scenario())
    assert error.code == "invalid_grant"
    assert still == (False, since)
    assert "DailyApiRequests" in body and connected


def test_refresh_token_refused_disconnects_without_retrying(fakeforce, tmp_path):
    """invalid_grant on refresh (the token was revoked in the org) is a disconnect, not an error per request."""
    ff = fakeforce.instance
    refresh = ff.sessions.issue_refresh_token(fakeforce.org.admin_user_id, "fakeforce")
    token_file = tmp_path / "refresh_token"
    token_file.write_text(refresh + "\n")
    config = SalesforceConfig(auth="refresh_token", login_url=fakeforce.url, client_id="fakeforce",
                              refresh_token_file=str(token_file))
    changes = []

    async def scenario():
        client = SalesforceClient(config)
        client.on_connection_change = changes.append
        try:
            await client.request("GET", "/limits")
            ff.sessions.revoke(refresh)  # an admin revokes syncd's access: its sessions end too
            with pytest.raises(SalesforceApiError) as first:
                await client.request("GET", "/limits")
            logins = login_counter(ff)
            with pytest.raises(SalesforceApiError) as second:
                await client.request("GET", "/limits")
            return first.value, second.value, fired(ff, logins), client.connection
        finally:
            await client.close()

    first, second, logins, state = run(scenario())
    assert first.code == second.code == "DISCONNECTED" and first.retryable
    assert logins == 0  # the refused token is not tried again and again
    assert not state.connected and state.cause == REFRESH_TOKEN_REFUSED and "invalid_grant" in state.reason
    assert state.dead_refresh_token == fingerprint(refresh)
    assert [c.connected for c in changes] == [False]


# -- a real syncd process ------------------------------------------------------------------------------




def contact_ids(org) -> list[str]:
    """Care customer ids of the org's Contacts in creation order."""
    return [r["Care_Customer_Id__c"] for r in
            soql.query(org.org, "SELECT Care_Customer_Id__c FROM Contact ORDER BY Id")[1]]


def outbox(config: Path) -> dict:
    return json.loads(syncd_cli(config, "status").stdout)["outbox"]


def admin(daemon: Syncd, method: str = "GET", path: str = "", token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{daemon.url}/v1/admin/salesforce{path}", headers=headers, timeout=30)


@pytest.fixture
def running(tmp_path, care_org):
    config = write_config(tmp_path, care_org.url, service={"api_tokens": [TOKEN]})
    daemon = Syncd(config).start()
    yield daemon, config
    if daemon.proc.poll() is None:
        assert daemon.kill(signal.SIGTERM) == 0


def test_disconnect_keeps_work_survives_restart_and_connect_delivers_in_order(running, care_org):
    daemon, config = running
    ff = care_org.fakeforce
    assert daemon.send([upsert_event("e0", "c0")]).status_code == 202
    wait_for(lambda: contact_ids(care_org) == ["c0"])

    out = syncd_cli(config, "disconnect")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["connected"] is False and answer["revoked"] == [{"token": "access token", "result": "revoked"}]
    used, logins = ff.usage.used, login_counter(ff)
    events = [upsert_event(f"e{i}", f"c{i}", ordering_key="one-key") for i in range(1, 6)]
    assert daemon.send(events).status_code == 202  # events keep being accepted
    time.sleep(1.5)
    assert daemon.kill(signal.SIGTERM) == 0
    daemon.start()  # a restart while disconnected stays disconnected
    time.sleep(1.0)
    state = admin(daemon).json()
    assert state["connected"] is False and state["session"] is False and state["reason"] == "disconnected by operator"
    assert ff.usage.used == used and fired(ff, logins) == 0
    counts = outbox(config)
    assert counts["pending"] == 5 and counts["dead"] == 0
    status = json.loads(syncd_cli(config, "status").stdout)
    assert status["salesforce_connection"]["connected"] is False

    ff.faults.clear()
    out = syncd_cli(config, "connect")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["connected"] is True
    wait_for(lambda: outbox(config)["pending"] == 0)
    assert contact_ids(care_org) == [f"c{i}" for i in range(6)]  # each once, in order
    assert outbox(config)["dead"] == 0


def test_management_routes_need_the_token(running):
    daemon, _ = running
    for method, path in (("GET", ""), ("POST", "/disconnect"), ("POST", "/connect")):
        answer = admin(daemon, method, path, token=None)
        assert answer.status_code == 401 and answer.headers["content-type"].startswith("application/problem+json")
    assert admin(daemon).json()["connected"] is True  # nothing was disconnected by the refused calls


def test_connect_refused_by_salesforce_answers_502_and_stays_disconnected(running, care_org):
    daemon, config = running
    assert admin(daemon, "POST", "/disconnect").status_code == 200
    care_org.fakeforce.settings.security_token = "changed"  # the password no longer logs in
    out = syncd_cli(config, "connect")
    assert out.returncode == 1
    problem = json.loads(out.stdout)
    assert problem["status"] == 502 and problem["code"] == "SALESFORCE_LOGIN_REFUSED"
    assert problem["salesforce"][0]["error"] == "invalid_grant"
    assert admin(daemon).json()["connected"] is False


def test_cli_when_syncd_is_not_running_records_the_state(tmp_path, care_org):
    config = write_config(tmp_path, care_org.url, service={"api_tokens": [TOKEN]})
    out = syncd_cli(config, "disconnect")
    assert out.returncode == 0 and "not running" in out.stderr
    daemon = Syncd(config).start()
    try:
        time.sleep(0.5)
        assert admin(daemon).json()["connected"] is False
    finally:
        assert daemon.kill(signal.SIGTERM) == 0
    out = syncd_cli(config, "connect")
    assert out.returncode == 0, out.stderr
    state = State(str(tmp_path / "state" / "syncd.db"))
    try:
        assert state.fact(FACT)["connected"] is True
    finally:
        state.close()


def test_connect_runs_the_web_server_flow_when_no_refresh_token_is_stored(tmp_path, care_org):
    """S1 web-server flow: syncd starts without a refresh token (disconnected), `syncd connect` authorizes in
    the browser, stores the token and tells the running syncd to connect."""
    port = free_port()
    callback = f"http://localhost:{port}/callback"
    care_org.fakeforce.settings.apps[0].callback_urls.append(callback)
    token_file = tmp_path / "refresh_token"
    config = write_config(tmp_path, care_org.url, service={"api_tokens": [TOKEN]}, salesforce={
        "auth": "refresh_token", "refresh_token_file": str(token_file), "redirect_uri": callback})
    daemon = Syncd(config).start()
    try:
        state = admin(daemon).json()
        assert state["connected"] is False and state["cause"] == "no_refresh_token" and state["needsAuthorization"]
        assert daemon.send([upsert_event("w1", "w1")]).status_code == 202
        proc = subprocess.Popen([sys.executable, "-m", "daemon", "connect", "--config", str(config), "--port",
                                 str(port), "--timeout", "60"], stdout=subprocess.PIPE, text=True)
        url = next(line.strip() for line in proc.stdout if line.startswith("http"))
        params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        decision = httpx.post(f"{care_org.url}/services/oauth2/authorize", data={
            **params, "username": "admin@fakeforce.local", "password": "fakeforce", "decision": "allow"})
        assert httpx.get(decision.headers["location"]).status_code == 200  # the browser follows the redirect
        rest = proc.stdout.read()
        assert proc.wait(timeout=60) == 0, rest
        assert json.loads(rest[rest.index("{"):])["connected"] is True
        wait_for(lambda: contact_ids(care_org) == ["w1"])
    finally:
        assert daemon.kill(signal.SIGTERM) == 0
