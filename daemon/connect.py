"""``syncd connect``: the OAuth web-server flow. Prints the authorize URL, receives the callback on a local
port, exchanges the code and stores the refresh token in a file only its owner can read (mode 0600)."""

from __future__ import annotations

import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
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


def connect(config: SyncdConfig, port: int, timeout: float) -> int:
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
