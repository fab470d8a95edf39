"""Issue 9, "no caller gets in unasked", against a real syncd: bearer tokens by default, an explicit and
loopback-only open mode, Host and Origin checks against DNS rebinding, JSON-only bodies, a private state file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import httpx
import pytest

from daemon.config import ConfigError, parse_config
from syncd_helpers import API_TOKEN, AUTH, Syncd, message_event, write_config

CARE_CALLS = [("GET", "/v1/care/customers/fb:ann/cases"), ("GET", "/v1/care/cases/{case}"),
              ("PUT", "/v1/care/customers/fb:ann/link"), ("DELETE", "/v1/care/customers/fb:ann/link"),
              ("POST", "/v1/care/cases/{case}/escalate"), ("DELETE", "/v1/care/cases/{case}"),
              ("GET", "/v1/admin/salesforce"), ("POST", "/v1/admin/salesforce/disconnect")]


@pytest.fixture
def syncd(tmp_path, care_org):
    daemon = Syncd(write_config(tmp_path, care_org.url)).start()
    yield daemon
    assert daemon.kill(15) == 0


def case_of(daemon: Syncd) -> str:
    assert daemon.send(message_event("a1")).status_code == 202
    return httpx.get(f"{daemon.url}/v1/care/customers/fb:ann/cases", headers=AUTH).json()["cases"][0]["id"]


# -- tokens --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path", CARE_CALLS)
def test_every_synchronous_call_needs_the_token(syncd, method, path):
    case = case_of(syncd)
    path = path.replace("{case}", case)
    for authorization in (None, "", "Bearer", "Bearer wrong-token-0123456789", f"Basic {API_TOKEN}",
                          f"Bearer {API_TOKEN}x", f"Bearer {API_TOKEN[:-1]}", API_TOKEN):
        headers = {} if authorization is None else {"Authorization": authorization}
        r = httpx.request(method, syncd.url + path, headers=headers, json={"contactId": "003000000000000AAA"})
        assert r.status_code == 401, (authorization, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["www-authenticate"].startswith("Bearer")
    # nothing was done: the case is still there and the Salesforce connection untouched
    assert httpx.get(f"{syncd.url}/v1/care/cases/{case}", headers=AUTH).status_code == 200
    assert httpx.get(f"{syncd.url}/v1/admin/salesforce", headers=AUTH).json()["connected"] is True


def test_the_token_opens_the_calls(syncd):
    case = case_of(syncd)
    assert httpx.get(f"{syncd.url}/v1/care/cases/{case}", headers=AUTH).status_code == 200
    assert httpx.get(f"{syncd.url}/v1/care/cases/{case}", headers={"authorization": f"bearer {API_TOKEN}"}
                     ).status_code == 200


@pytest.mark.parametrize("service, fragment", [
    ({}, "service.api_tokens"),
    ({"api_tokens": [""]}, "at least 16"),
    ({"api_tokens": ["short-token"]}, "at least 16"),
    ({"api_tokens": [" " * 20]}, "at least 16"),
    ({"allow_unauthenticated": True, "listen": "0.0.0.0:8700"}, "loopback"),
    ({"allow_unauthenticated": True, "listen": "192.168.1.5:8700"}, "loopback"),
])
def test_configuration_errors(service, fragment):
    with pytest.raises(ConfigError) as err:
        parse_config({"salesforce": {"embedded": True}, "service": service})
    assert fragment in str(err.value) and str(err.value).startswith("service"), str(err.value)


def test_no_token_is_a_configuration_error_at_start(tmp_path, care_org):
    config = write_config(tmp_path, care_org.url, service={"api_tokens": []})
    done = subprocess.run([sys.executable, "-m", "daemon", "run", "--config", str(config)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "api_tokens" in done.stdout and "allow_unauthenticated" in done.stdout


def test_allow_unauthenticated_opens_loopback_and_warns(tmp_path, care_org):
    daemon = Syncd(write_config(tmp_path, care_org.url, service={"allow_unauthenticated": True})).start()
    try:
        assert daemon.send(message_event("u1")).status_code == 202
        assert httpx.get(f"{daemon.url}/v1/care/customers/fb:ann/cases").status_code == 200
    finally:
        assert daemon.kill(15) == 0
    assert "allow_unauthenticated = true" in daemon.log.read_text()
    assert '"level": "warning"' in next(line for line in daemon.log.read_text().splitlines()
                                        if "allow_unauthenticated" in line)


# -- Host and Origin --------------------------------------------------------------------------------
@pytest.mark.parametrize("host, status", [
    ("evil.example", 421), ("evil.example:{port}", 421), ("127.0.0.1.nip.io:{port}", 421), ("", 421),
    ("localhost:{port}", 200), ("127.0.0.1:{port}", 200), ("[::1]:{port}", 200), ("LOCALHOST:{port}", 200),
    ("localhost:1", 421),
])
def test_host_is_checked(syncd, host, status):
    headers = {**AUTH, "Host": host.replace("{port}", str(syncd.port))}
    r = httpx.get(f"{syncd.url}/v1/care/customers/fb:ann/cases", headers=headers)
    assert r.status_code == (404 if status == 200 else status), r.text  # 404: no such customer yet
    if status != 200:
        assert r.json()["code"] == "MISDIRECTED_REQUEST"


@pytest.mark.parametrize("origin, status", [
    ("http://evil.example", 403), ("null", 403), ("http://127.0.0.1.evil.example:{port}", 403),
    ("file://", 403), ("http://localhost:{port}", 404), ("http://127.0.0.1:{port}", 404),
])
def test_origin_is_checked(syncd, origin, status):
    headers = {**AUTH, "Origin": origin.replace("{port}", str(syncd.port))}
    r = httpx.get(f"{syncd.url}/v1/care/customers/fb:ann/cases", headers=headers)
    assert r.status_code == status, r.text


def test_configured_allowed_hosts(tmp_path, care_org):
    daemon = Syncd(write_config(tmp_path, care_org.url, service={"allowed_hosts": ["syncd.internal"]})).start()
    try:
        url = f"{daemon.url}/v1/care/customers/fb:ann/cases"
        assert httpx.get(url, headers={**AUTH, "Host": f"syncd.internal:{daemon.port}"}).status_code == 404
        assert httpx.get(url, headers={**AUTH, "Host": "syncd.internal"}).status_code == 404
        assert httpx.get(url, headers={**AUTH, "Host": f"localhost:{daemon.port}"}).status_code == 421
    finally:
        assert daemon.kill(15) == 0


# -- JSON bodies only ---------------------------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None, "application/jsonx"])
def test_json_calls_refuse_other_bodies(syncd, content_type):
    assert syncd.send(message_event("j1")).status_code == 202
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    r = httpx.put(f"{syncd.url}/v1/care/customers/fb:ann/link", content=b'{"contactId": "003000000000000AAA"}',
                  headers=headers)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_ingest_refuses_text_plain(syncd):
    r = syncd.send(message_event("j2"), headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_json_with_charset_is_fine(syncd):
    assert syncd.send(message_event("j3")).status_code == 202
    r = httpx.put(f"{syncd.url}/v1/care/customers/fb:ann/link", content=b'{"contactId": "003000000000000AAA"}',
                  headers={**AUTH, "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 422 and r.json()["code"] == "CONTACT_NOT_FOUND"


# -- the state database is private --------------------------------------------------------------------
def test_state_database_is_owner_only(tmp_path, care_org):
    old = os.umask(0o022)
    try:
        daemon = Syncd(write_config(tmp_path, care_org.url)).start()
    finally:
        os.umask(old)
    try:
        assert daemon.send(message_event("p1")).status_code == 202
        folder = tmp_path / "state"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        files = [p for p in folder.iterdir() if p.name.startswith("syncd.db")]
        assert {p.name for p in files} >= {"syncd.db", "syncd.db-wal", "syncd.db-shm"}
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        assert daemon.kill(15) == 0


def test_existing_state_folder_keeps_its_mode(tmp_path, care_org):
    (tmp_path / "state").mkdir(mode=0o750)
    os.chmod(tmp_path / "state", 0o750)
    daemon = Syncd(write_config(tmp_path, care_org.url)).start()
    try:
        assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o750
        assert stat.S_IMODE((tmp_path / "state" / "syncd.db").stat().st_mode) == 0o600
    finally:
        assert daemon.kill(15) == 0
