"""``fakeforce serve`` as a user runs it: a real process, a data file that survives kill -9, TLS."""

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "fakeforce", "serve", "--port", str(self.port), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.banner = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("fakeforce exited: " + "".join(self.banner))
            self.banner.append(line)
            if line.startswith("  records:"):
                break
        if "--tls" in args:
            self.banner.append(self.proc.stdout.readline())
        scheme = "https" if "--tls" in args else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        verify = self.verify()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/services/data/", verify=verify, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("fakeforce did not answer")

    def verify(self):
        ca = self.ca_bundle()
        return ssl.create_default_context(cafile=ca) if ca else True

    def ca_bundle(self):
        for line in self.banner:
            match = re.search(r"CA bundle: (\S+)", line)
            if match:
                return match.group(1)
        return None

    def token(self) -> str:
        r = httpx.post(self.url + "/services/oauth2/token", verify=self.verify(),
                       data={"grant_type": "password", "client_id": "fakeforce", "client_secret": "fakeforce",
                             "username": "admin@fakeforce.local", "password": "fakeforce"})
        return r.json()["access_token"]

    def kill(self, sig=signal.SIGKILL) -> int:
        os.kill(self.proc.pid, sig)
        return self.proc.wait(timeout=15)


def test_data_file_survives_kill_9(tmp_path):
    data = tmp_path / "org.json"
    first = Served("--data", str(data))
    token = first.token()
    auth = {"Authorization": f"Bearer {token}"}
    ids = [httpx.post(f"{first.url}/services/data/v62.0/sobjects/Contact", headers=auth,
                      json={"LastName": f"L{i}"}).json()["id"] for i in range(20)]
    first.kill()
    second = Served("--data", str(data))
    try:
        for rid in ids:  # the old token still works: sessions persist with the org, as in a real one
            r = httpx.get(f"{second.url}/services/data/v62.0/sobjects/Contact/{rid}", headers=auth)
            assert r.status_code == 200
        new = httpx.post(f"{second.url}/services/data/v62.0/sobjects/Contact", headers=auth,
                         json={"LastName": "after"}).json()["id"]
        assert new not in ids
    finally:
        assert second.kill(signal.SIGTERM) == 0


def test_schema_seed_and_tls(tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"name": "Ticket__c", "fields": [{"name": "Code__c", "type": "string",
                                                                    "externalId": True}]}))
    seed = tmp_path / "seed.yaml"
    seed.write_text("records:\n  Ticket__c:\n    - {Name: First, Code__c: T-1}\n")
    served = Served("--schema", str(schema), "--seed", str(seed), "--tls", "--cert-dir", str(tmp_path / "tls"))
    try:
        ca = served.ca_bundle()
        assert ca and os.path.exists(ca)
        with pytest.raises(httpx.ConnectError):
            httpx.get(served.url + "/services/data/", verify=True)  # not trusted without the CA
        auth = {"Authorization": f"Bearer {served.token()}"}
        r = httpx.get(f"{served.url}/services/data/v62.0/sobjects/Ticket__c/Code__c/T-1", headers=auth, verify=served.verify())
        assert r.status_code == 200 and r.json()["Name"] == "First"
    finally:
        served.kill(signal.SIGTERM)


def test_bad_schema_file_exits_with_a_message(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    proc = subprocess.run([sys.executable, "-m", "fakeforce", "serve", "--schema", str(bad)], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2
    assert "bad.json" in proc.stderr and "Traceback" not in proc.stderr
