"""Running the real ``tap-salesforce`` against fakeforce through a CONNECT proxy (see connect_proxy).

The tap always logs in at ``https://login.salesforce.com`` (``test.salesforce.com`` for sandboxes) with a
refresh token, then uses the ``instance_url`` the token answer gives. Here ``requests`` inside the tap is
pointed at the proxy with ``HTTPS_PROXY`` and made to trust fakeforce's CA with ``REQUESTS_CA_BUNDLE``;
fakeforce's certificate also names login.salesforce.com, and fakeforce answers ``instance_url`` with the
host the client asked for, so every later call goes through the same tunnel. Nothing in the tap changes.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from fakeforce.pytest_plugin import FakeforceHandle

CALLBACK = "http://localhost:1717/OauthRedirect"  # a callback fakeforce's default connected app registers
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def refresh_token(ff: FakeforceHandle) -> str:
    """A refresh token the way a user gets one: the web-server flow (authorize, then the code grant)."""
    with ff.http(follow_redirects=False) as http:
        r = http.post("/services/oauth2/authorize", data={
            "response_type": "code", "client_id": ff.client_id, "redirect_uri": CALLBACK,
            "username": ff.username, "password": ff.password, "decision": "allow"})
        assert r.status_code == 302, r.text
        code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
        token = http.post("/services/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "client_id": ff.client_id,
            "client_secret": ff.client_secret, "redirect_uri": CALLBACK})
        assert token.status_code == 200, token.text
        return token.json()["refresh_token"]


def select(catalog: dict[str, Any], streams: set[str]) -> dict[str, Any]:
    """A copy of the catalog with ``streams`` selected for INCREMENTAL replication on SystemModstamp (as a user
    edits it)."""
    catalog = copy.deepcopy(catalog)
    for stream in catalog["streams"]:
        if stream["tap_stream_id"] in streams:
            for entry in stream["metadata"]:
                if entry["breadcrumb"] == []:
                    entry["metadata"].update({"selected": True, "replication-method": "INCREMENTAL",
                                              "replication-key": "SystemModstamp"})
    return catalog


@dataclass
class Tap:
    exe: Path
    folder: Path
    proxy_url: str
    ca_bundle: str

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARS}
        env.update(HTTPS_PROXY=self.proxy_url, REQUESTS_CA_BUNDLE=self.ca_bundle)
        return env

    def write_config(self, **config: Any) -> Path:
        path = self.folder / f"config-{config.get('api_type', 'REST')}.json"
        path.write_text(json.dumps(config))
        return path

    def stdout(self, *args: str) -> str:
        proc = subprocess.run([str(self.exe), *args], env=self.env(), capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"tap-salesforce {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-4000:]}"
        return proc.stdout

    def run(self, *args: str) -> list[dict[str, Any]]:
        """The Singer messages (one JSON object a line) the tap printed; asserts exit 0."""
        return [json.loads(line) for line in self.stdout(*args).splitlines() if line.strip()]

    def discover(self, config: Path) -> dict[str, Any]:
        return json.loads(self.stdout("--config", str(config), "--discover"))

    def sync(self, config: Path, catalog: dict[str, Any], state: dict[str, Any], name: str) -> list[dict[str, Any]]:
        cat, st = self.folder / f"catalog-{name}.json", self.folder / f"state-{name}.json"
        cat.write_text(json.dumps(catalog))
        st.write_text(json.dumps(state))
        return self.run("--config", str(config), "--properties", str(cat), "--state", str(st))


def records(messages: list[dict[str, Any]], stream: str) -> list[dict[str, Any]]:
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def last_state(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return [m["value"] for m in messages if m["type"] == "STATE"][-1]
