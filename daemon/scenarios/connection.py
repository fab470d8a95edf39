"""Scenario steps for the Salesforce connection (S1, S2): disconnect and connect syncd, switch it to the
refresh-token flow, revoke its tokens from the org's side, count the requests that reach the org, and
look at the outbox mid-scenario."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import httpx

from .matching import Mismatch, matches
from .orgs import LocalOrg, ScenarioSkipped

if TYPE_CHECKING:
    from .runner import Run

STEPS = ("disconnect", "connect", "revoke", "use_refresh_token", "org_requests", "queued")
ADMIN = "/v1/admin/salesforce"


def connection_step(run: "Run", kind: str, value: Any) -> httpx.Response | None:
    """Run one of :data:`STEPS`; the answer of a syncd call, if the step made one."""
    if kind == "disconnect":
        return run.call("POST", f"{ADMIN}/disconnect")
    if kind == "connect":
        if isinstance(value, dict) and value.get("browser"):
            _write_refresh_token(run)  # what `syncd connect --browser` does before calling syncd
        return run.call("POST", f"{ADMIN}/connect")
    if kind == "revoke":
        _revoke(run, value)
        return None
    if kind == "use_refresh_token":
        run.stop_daemon()
        path = Path(run.folder) / "refresh_token"
        sf = run.config.salesforce.model_copy(update={"auth": "refresh_token", "refresh_token_file": str(path)})
        run.config = run.config.model_copy(update={"salesforce": sf})
        _write_refresh_token(run)
        run.start_daemon()
        return None
    if kind == "org_requests":
        _org_requests(run, value)
        return None
    if kind == "queued":  # the outbox now, mid-scenario: work kept while disconnected
        matches(value, run.outbox())
        return None
    raise AssertionError(kind)


def _local(run: "Run", what: str) -> LocalOrg:
    if not isinstance(run.org, LocalOrg):
        raise ScenarioSkipped(what)
    return run.org


def _write_refresh_token(run: "Run") -> None:
    """The OAuth web-server flow against fakeforce, the admin allowing access; the refresh token is stored
    in the configured file, as ``syncd connect`` stores it."""
    org = _local(run, "authorizes in a browser")
    creds = org.salesforce()
    redirect = "http://localhost:1717/OauthRedirect"
    decision = httpx.post(f"{org.server.url}/services/oauth2/authorize", timeout=30, data={
        "response_type": "code", "client_id": creds["client_id"], "redirect_uri": redirect, "state": "scenario",
        "username": creds["username"], "password": creds["password"], "decision": "allow"})
    code = parse_qs(urlparse(decision.headers.get("location", "")).query).get("code")
    if decision.status_code != 302 or not code:
        raise Mismatch(f"web-server flow: authorize answered {decision.status_code}")
    grant = httpx.post(f"{org.server.url}/services/oauth2/token", timeout=30, data={
        "grant_type": "authorization_code", "code": code[0], "client_id": creds["client_id"],
        "client_secret": creds["client_secret"], "redirect_uri": redirect})
    if grant.status_code != 200 or "refresh_token" not in grant.json():
        raise Mismatch(f"web-server flow: token exchange answered {grant.status_code}: {grant.text[:200]}")
    from ..connect import write_secret

    write_secret(run.config.salesforce.refresh_token_file, grant.json()["refresh_token"])


def _revoke(run: "Run", what: Any) -> None:
    """From the org's side (an admin revoking syncd's access in Setup): ``session`` revokes syncd's current
    access token, ``refresh_token`` its refresh token (and with it every session it made)."""
    org = _local(run, "revokes tokens in the org")
    client = run.daemon.runtime.client
    if what == "session":
        token = client.token
    elif what == "refresh_token":
        token = Path(run.config.salesforce.refresh_token_file or "").read_text(encoding="utf-8").strip()
    else:
        raise Mismatch(f"revoke: session or refresh_token, not {what!r}")
    if not token:
        raise Mismatch(f"revoke {what}: syncd holds none")
    answer = httpx.post(f"{org.server.url}/services/oauth2/revoke", data={"token": token}, timeout=30)
    if answer.status_code != 200:
        raise Mismatch(f"revoke {what}: the org answered {answer.status_code}: {answer.text[:200]}")


def _org_requests(run: "Run", spec: Any) -> None:
    """``{save: name}`` keeps the org's API request count (as the org counts it: REST requests, not
    logins); ``{since: name, equals: n}`` checks how many arrived since."""
    org = _local(run, "reads the org's request counters")
    used = org.server.fakeforce.usage.used
    if not isinstance(spec, dict):
        raise Mismatch("org_requests: {save: name} or {since: name, equals: n}")
    if "save" in spec:
        run.variables[spec["save"]] = used
    if "since" in spec:
        arrived = used - int(run.variables[spec["since"]])
        if "equals" in spec and arrived != int(spec["equals"]):
            raise Mismatch(f"{arrived} requests reached the org since {spec['since']}, expected {spec['equals']}")
        if "at_least" in spec and arrived < int(spec["at_least"]):
            raise Mismatch(f"{arrived} requests reached the org since {spec['since']}, expected at least "
                           f"{spec['at_least']}")
