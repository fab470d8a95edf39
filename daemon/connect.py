"""``syncd connect`` and ``syncd disconnect`` (S1, S2).

Both call the running daemon's management routes (``/v1/admin/salesforce/...``) with the first API token.
For ``auth = "refresh_token"``, ``connect`` first runs the OAuth web-server flow when asked (``--browser``),
when no refresh token is stored, or when the daemon says the stored one was revoked or refused: it prints
the authorize URL, receives the callback on a local port, exchanges the code and stores the refresh token
in a file only its owner can read (mode 0600). When syncd is not running, both record the state in its
state database instead (so the next start is connected, or stays disconnected) and do at Salesforce what
the daemon would: ``connect`` checks the login, ``disconnect`` revokes the refresh token.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx

from .config import SyncdConfig


def write_secret(path: str | Path, value: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    os.chmod(path, 0o600)


def web_server_flow(config: SyncdConfig, port: int, timeout: float) -> int:
    """The OAuth web-server flow: 0 when a refresh token is stored, 1 when it failed, 2 when not configured."""
    sf = config.salesforce
    if not sf.client_id or not sf.refresh_token_file:
        print("connect needs [salesforce] client_id and refresh_token_file")
        return 2
    redirect = urlparse(sf.redirect_uri)
    redirect_uri = sf.redirect_uri if redirect.port == port else f"http://localhost:{port}{redirect.path or '/'}"
    state = secrets.token_urlsafe(16)
    authorize = f"{sf.login_url.rstrip('/')}/services/oauth2/authorize?" + urlencode(
        {"response_type": "code", "client_id": sf.client_id, "redirect_uri": redirect_uri, "state": state})
    received: dict[str, str] = {}
    done = threading.Event()

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            received.update(query)
            ok = query.get("state") == state and "code" in query
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"syncd is connected; you can close this window." if ok else
                             b"syncd could not connect: " + query.get("error", "bad callback").encode())
            done.set()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", port), Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"Open this URL in a browser and allow access:\n{authorize}", flush=True)
    try:
        if not done.wait(timeout):
            print("no callback arrived in time")
            return 1
    finally:
        server.shutdown()
    if received.get("state") != state or "code" not in received:
        print(f"authorization failed: {received.get('error', 'state mismatch')}")
        return 1
    form = {"grant_type": "authorization_code", "code": received["code"], "client_id": sf.client_id,
            "redirect_uri": redirect_uri}
    if sf.client_secret:
        form["client_secret"] = sf.client_secret
    response = httpx.post(f"{sf.login_url.rstrip('/')}/services/oauth2/token", data=form, timeout=30)
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200 or "refresh_token" not in body:
        print(f"token exchange failed: {body.get('error', response.status_code)} {body.get('error_description', '')}")
        return 1
    write_secret(sf.refresh_token_file, body["refresh_token"])
    print(f"connected to {body.get('instance_url')}; refresh token stored in {sf.refresh_token_file} (mode 0600)")
    return 0


# -- the management calls ------------------------------------------------------------------------------
def _daemon_url(config: SyncdConfig) -> str:
    host, port = config.service.host_port
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}" if ":" not in host or host.startswith("[") else f"http://[{host}]:{port}"


def _call(config: SyncdConfig, method: str, path: str) -> httpx.Response | None:
    """One management call to the running daemon; None when no daemon listens."""
    tokens = config.service.api_tokens
    headers = {"Authorization": f"Bearer {tokens[0]}"} if tokens else {}
    names = getattr(config.service, "allowed_hosts", None) or []
    if names:  # syncd answers only to these names (DNS-rebinding guard): use the first
        headers["Host"] = names[0] if names[0].rpartition(":")[2].isdigit() else \
            f"{names[0]}:{config.service.host_port[1]}"
    try:
        return httpx.request(method, _daemon_url(config) + path, headers=headers, timeout=60)
    except httpx.ConnectError:
        return None


def _print(body: Any) -> None:
    print(json.dumps(body, indent=2))


def _answer(response: httpx.Response) -> int:
    try:
        body = response.json()
    except ValueError:
        body = {"status": response.status_code, "detail": response.text[:500]}
    _print(body)
    if response.status_code != 200:
        print(f"syncd answered {response.status_code}: {body.get('detail', '')}", file=sys.stderr)
        return 1
    return 0


def connect(config: SyncdConfig, port: int, timeout: float, browser: bool = False) -> int:
    """``syncd connect``: authorize in the browser when needed, then tell syncd to connect."""
    sf = config.salesforce
    refresh_flow = sf.auth == "refresh_token" and not sf.embedded
    if browser and not refresh_flow:
        print('--browser is for auth = "refresh_token" (the web-server flow)', file=sys.stderr)
        return 2
    if refresh_flow and not browser:
        token_file = Path(sf.refresh_token_file or "")
        status = _call(config, "GET", "/v1/admin/salesforce")
        needs = status is not None and status.status_code == 200 and status.json().get("needsAuthorization")
        browser = not token_file.is_file() or bool(needs)
    if browser:
        code = web_server_flow(config, port, timeout)
        if code:
            return code
    response = _call(config, "POST", "/v1/admin/salesforce/connect")
    if response is not None:
        return _answer(response)
    return _offline(config, "connect")


def disconnect(config: SyncdConfig) -> int:
    """``syncd disconnect``: tell syncd to revoke its tokens and stop all Salesforce traffic."""
    response = _call(config, "POST", "/v1/admin/salesforce/disconnect")
    if response is not None:
        return _answer(response)
    return _offline(config, "disconnect")


def _offline(config: SyncdConfig, action: str) -> int:
    """syncd is not running: record the state for its next start, and do what it would at Salesforce."""
    from .salesforce.client import SalesforceClient
    from .salesforce.connection import attach
    from .salesforce.errors import SalesforceApiError
    from .state.store import State

    state = State(config.service.state_path)

    async def run() -> dict:
        client = SalesforceClient(config.salesforce)
        attach(client, state, lambda: datetime.now(timezone.utc))
        try:
            if action == "disconnect":
                revoked = await client.disconnect()
                return {**client.connection.answer(), "revoked": revoked}
            if config.salesforce.embedded:  # the embedded org only runs inside syncd: nothing to check
                client.mark_connected()
            else:
                await client.connect()
            return client.connection.answer()
        finally:
            await client.close()

    try:
        answer = asyncio.run(run())
    except SalesforceApiError as exc:
        print(f"syncd is not running; Salesforce refused the login: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        state.close()
    _print({**answer, "running": False})
    print(f"syncd is not running at {_daemon_url(config)}; its next start will be "
          f"{'connected' if answer['connected'] else 'disconnected'}", file=sys.stderr)
    return 0
