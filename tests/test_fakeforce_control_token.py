"""The control surface has a token whenever it is not bound to loopback in test mode (issue 9)."""

import os
import re
import shutil
import stat

import httpx
import pytest
from test_cli import Served

from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings


def _reset(url: str, **headers: str) -> int:
    return httpx.post(f"{url}/_fakeforce/reset", headers=headers, timeout=10).status_code


def test_a_loopback_test_server_stays_open_without_a_token():
    with FakeforceServer(settings=OrgSettings(control_enabled=True)) as server:
        assert server.control_token is None
        assert _reset(server.url) == 200


def test_outside_test_mode_a_token_is_generated_and_required(tmp_path):
    token_file = tmp_path / "private" / "control-token"
    with FakeforceServer(settings=OrgSettings(control_enabled=True), test_mode=False,
                         control_token_file=token_file) as server:
        token = server.control_token
        assert token and len(token) >= 32 and server.control_token_generated
        assert token_file.read_text().strip() == token
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
        assert _reset(server.url) == 401
        assert _reset(server.url, Authorization="Bearer wrong") == 401
        r = httpx.post(f"{server.url}/_fakeforce/reset", headers={"Authorization": "Bearer ünïcode".encode()})
        assert r.status_code == 401  # not a crash
        assert _reset(server.url, Authorization=f"Bearer {token}") == 200
        assert _reset(server.url, **{"X-Fakeforce-Token": token}) == 200
        r = httpx.get(f"{server.url}/_fakeforce/faults")
        assert r.status_code == 401 and r.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_a_given_token_is_used(tmp_path):
    with FakeforceServer(settings=OrgSettings(control_enabled=True), test_mode=False,
                         control_token="given-token") as server:
        assert server.control_token == "given-token" and not server.control_token_generated
        assert _reset(server.url, Authorization="Bearer given-token") == 200
    with pytest.raises(ValueError):
        FakeforceServer(settings=OrgSettings(control_enabled=True), control_token=" ")


def test_a_non_loopback_address_always_needs_a_token():
    with FakeforceServer(settings=OrgSettings(control_enabled=True), host="0.0.0.0") as server:
        assert server.control_token
        url = f"http://127.0.0.1:{server.port}"
        assert _reset(url) == 401
        assert _reset(url, Authorization=f"Bearer {server.control_token}") == 200


def test_without_a_token_the_surface_fails_closed_unless_a_loopback_test_server_opened_it():
    with FakeforceServer(settings=OrgSettings(control_enabled=True), test_mode=False) as server:
        server.fakeforce.settings.control_token = None  # a token lost: no way in, rather than open
        assert _reset(server.url) == 401


def test_the_control_surface_stays_off_unless_enabled():
    with FakeforceServer(settings=OrgSettings(), test_mode=False) as server:
        assert server.control_token is None
        assert _reset(server.url) == 404


def _control_line(served: Served) -> str:
    """The banner line after ``records:`` (where :class:`Served` stops reading)."""
    line = served.proc.stdout.readline()
    served.banner.append(line)
    assert "control surface" in line, served.banner
    return line


def test_fakeforce_serve_control_writes_a_private_token_file_and_never_prints_the_token(tmp_path):
    served = Served("--control", "--control-token-file", str(tmp_path / "token"))
    try:
        assert str(tmp_path / "token") in _control_line(served)
        token = (tmp_path / "token").read_text().strip()
        assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600
        assert token not in "".join(served.banner)
        assert _reset(served.url) == 401
        assert _reset(served.url, Authorization=f"Bearer {token}") == 200
    finally:
        served.kill()
    assert token not in served.proc.stdout.read()


def test_fakeforce_serve_control_defaults_to_a_new_private_folder():
    served = Served("--control")
    path = None
    try:
        path = re.search(r"token is in (\S+)\)", _control_line(served)).group(1)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        token = open(path).read().strip()
        assert _reset(served.url) == 401
        assert _reset(served.url, Authorization=f"Bearer {token}") == 200
    finally:
        served.kill()
        if path:
            shutil.rmtree(os.path.dirname(path))


def test_fakeforce_serve_takes_the_token_from_the_environment(monkeypatch):
    monkeypatch.setenv("FAKEFORCE_CONTROL_TOKEN", "from-env")
    served = Served("--control")
    try:
        assert "--control-token or $FAKEFORCE_CONTROL_TOKEN" in _control_line(served)
        assert "from-env" not in "".join(served.banner)
        assert _reset(served.url, Authorization="Bearer from-env") == 200
        assert _reset(served.url) == 401
    finally:
        served.kill()


def test_an_open_surface_answers_only_loopback_hosts_and_same_origin_writes():
    """DNS rebinding: a page on evil.example rebound to 127.0.0.1 sends ``Host: evil.example``; a
    cross-site form sends its own Origin. Neither may read or reset an org left open without a token."""
    with FakeforceServer(settings=OrgSettings(control_enabled=True)) as server:
        port = server.url.rsplit(":", 1)[1]
        ok = httpx.get(f"{server.url}/_fakeforce")
        assert ok.status_code == 200
        assert httpx.get(f"{server.url}/_fakeforce", headers={"Host": f"localhost:{port}"}).status_code == 200
        rebound = httpx.get(f"{server.url}/_fakeforce", headers={"Host": f"evil.example:{port}"})
        assert rebound.status_code == 403 and rebound.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS"
        cross = httpx.post(f"{server.url}/_fakeforce/reset", headers={"Origin": "http://evil.example"})
        assert cross.status_code == 403 and isinstance(cross.json(), list)
        own = httpx.post(f"{server.url}/_fakeforce/reset", headers={"Origin": server.url})
        assert own.status_code < 300
        page = httpx.get(f"{server.url}/_fakeforce/console", headers={"Host": f"evil.example:{port}"})
        assert page.status_code == 401 and 'name="csrf"' not in page.text


def test_with_a_token_any_host_is_still_accepted():
    with FakeforceServer(settings=OrgSettings(control_enabled=True, control_token="t0ken-t0ken")) as server:
        port = server.url.rsplit(":", 1)[1]
        answer = httpx.get(f"{server.url}/_fakeforce", headers={"Host": f"fakeforce.test:{port}",
                                                                 "Authorization": "Bearer t0ken-t0ken"})
        assert answer.status_code == 200
