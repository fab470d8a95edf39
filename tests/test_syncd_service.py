"""syncd as a service: systemd notifications, SIGHUP reload, the unit file, JSON logs without secrets,
the API budget, check-config, connect, and configuration errors that name their keys."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from daemon.config import ConfigError, load_config, parse_config
from syncd_helpers import wait_for, API_TOKEN, SECRET, Syncd, free_port, upsert_event, write_config

ROOT = Path(__file__).resolve().parent.parent


def test_config_errors_are_reported_at_once_with_their_keys(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[service]\nlisten = "nowhere"\nbogus = 1\n[salesforce]\nauth = "password"\n'
                    '[webhooks]\nsecrets = ["plain"]\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = "\n".join(info.value.problems)
    assert "service.listen: must be host:port, got 'nowhere'" in problems
    assert "service.bogus: unknown key" in problems
    assert "salesforce" in problems and "client_id" in problems
    assert "webhooks.secrets: each secret must look like whsec_<base64>" in problems
    assert len(info.value.problems) >= 4
    with pytest.raises(ConfigError, match="not valid TOML"):
        path.write_text("[service\n")
        load_config(path)
    open_local = {"salesforce": {"embedded": True}, "service": {"allow_unauthenticated": True}}
    assert parse_config(open_local).salesforce.auth == "password"
    with pytest.raises(ConfigError, match="salesforce: required"):
        parse_config({})


def test_check_config_against_the_org(tmp_path, care_org):
    config = write_config(tmp_path, care_org.url)
    text = config.read_text() + ('\n[mappings.contact]\nobject = "Contact"\nexternal_id_field = "Care_Customer_Id__c"\n'
                                 '[mappings.contact.fields]\nLastName = "customer.name"\nNmae = "x"\nName = "y"\n'
                                 '[mappings.ghost]\nobject = "Ghost__c"\n')
    config.write_text(text)
    out = subprocess.run([sys.executable, "-m", "daemon", "check-config", "--config", str(config)],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert "mappings.contact.fields.Nmae: no such field on Contact" in out.stderr
    assert "mappings.contact.fields.Name: Contact.Name is read-only" in out.stderr
    assert "mappings.ghost.object: 'Ghost__c' is not an object of the org" in out.stderr
    assert "LastName" not in out.stderr


class NotifySocket:
    def __init__(self, tmp_path: Path) -> None:
        self.path = str(tmp_path / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._stop = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self._stop:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except OSError:
                continue

    def seen(self, text: str) -> bool:
        return any(text in m for m in self.messages)

    def close(self) -> None:
        self._stop = True
        self.sock.close()




def test_systemd_notifications_reload_and_drain(tmp_path, care_org):
    notify = NotifySocket(tmp_path)
    config = write_config(tmp_path, care_org.url)
    env = {**os.environ, "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"}
    log = tmp_path / "syncd.log"
    proc = subprocess.Popen([sys.executable, "-m", "daemon", "run", "--config", str(config)],
                            stderr=open(log, "wb"), stdout=subprocess.DEVNULL, env=env)
    daemon = Syncd(config)
    try:
        wait_for(lambda: notify.seen("READY=1"))
        wait_for(lambda: notify.seen("WATCHDOG=1"))
        # SIGHUP with a broken file keeps the old configuration running and says why.
        good = config.read_text()
        config.write_text(good + "\n[oops\n")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration not reloaded" in log.read_text())
        assert daemon.send(upsert_event("h1", "after-bad-reload")).status_code == 202
        # SIGHUP with a good file applies it (a second webhook secret now verifies).
        new_secret = "whsec_c2Vjb25kLXNlY3JldC1hZnRlci1yZWxvYWQ="
        config.write_text(good.replace(f'secrets = ["{SECRET}"]', f'secrets = ["{SECRET}", "{new_secret}"]'))
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in log.read_text())
        assert notify.seen("RELOADING=1")
        assert daemon.send(upsert_event("h2", "new-secret"), secret=new_secret).status_code == 202
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert notify.seen("STOPPING=1")
    finally:
        if proc.poll() is None:
            proc.kill()
        notify.close()
    logs = log.read_text()
    for line in logs.splitlines():
        json.loads(line)  # every line is JSON
    assert SECRET not in logs and new_secret not in logs and "fakeforce!" not in logs


def test_logs_never_print_tokens():
    from daemon.logs import Redactor

    redact = Redactor(["s3cr3t-password"])
    text = redact("token 00D5g0000000001!AQ8Xv.abc-def and Bearer xyz and s3cr3t-password and whsec_QUJD")
    assert "00D5g" not in text and "xyz" not in text and "s3cr3t" not in text and "whsec_" not in text


def test_api_budget_pauses_the_sender(tmp_path, care_org):
    config = write_config(tmp_path, care_org.url, salesforce={"budget_fraction": 0.5})
    daemon = Syncd(config).start()
    try:
        care_org.fakeforce.usage.set_used(care_org.fakeforce.usage.daily_limit // 2 + 10)
        assert daemon.send(upsert_event("b1", "first")).status_code == 202
        from fakeforce import soql

        wait_for(lambda: soql.query(care_org.org, "SELECT COUNT() FROM Contact")[0] == 1)
        assert daemon.send(upsert_event("b2", "second")).status_code == 202
        time.sleep(1.0)
        assert soql.query(care_org.org, "SELECT COUNT() FROM Contact")[0] == 1  # held back, not dropped
        status = json.loads(subprocess.run([sys.executable, "-m", "daemon", "status", "--config", str(config)],
                                           capture_output=True, text=True).stdout)
        assert status["outbox"]["pending"] == 1
        assert status["api_usage"]["max"] == care_org.fakeforce.usage.daily_limit
        metrics = httpx.get(daemon.url + "/metrics").text
        assert re.search(r'syncd_salesforce_api_usage\{kind="used"\} 75\d\d', metrics)
        assert "syncd_sender_paused 1.0" in metrics
    finally:
        assert daemon.kill(signal.SIGTERM) == 0


def test_systemd_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "systemd"], capture_output=True, timeout=600)
        analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not available and could not be installed here")
    syncd_bin = Path(sys.executable).with_name("syncd")
    unit = (ROOT / "packaging" / "syncd.service").read_text()
    assert "Type=notify" in unit and "NoNewPrivileges=yes" in unit and "ProtectSystem=strict" in unit
    local = tmp_path / "syncd.service"
    local.write_text(unit.replace("/opt/syncd/venv/bin/syncd", str(syncd_bin)))
    out = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True)
    problems = [l for l in (out.stdout + out.stderr).splitlines() if l.strip() and "syncd.service" in l]
    assert out.returncode == 0 and not problems, out.stdout + out.stderr


def test_connect_stores_a_refresh_token(tmp_path, care_org):
    port = free_port()
    callback = f"http://localhost:{port}/callback"
    care_org.fakeforce.settings.apps[0].callback_urls.append(callback)
    token_file = tmp_path / "secrets" / "refresh_token"
    config = tmp_path / "syncd.toml"
    config.write_text(f'[service]\napi_tokens = ["{API_TOKEN}"]\n'
                      f'[salesforce]\nauth = "refresh_token"\nlogin_url = "{care_org.url}"\nclient_id = "fakeforce"\n'
                      f'client_secret = "fakeforce"\nrefresh_token_file = "{token_file}"\n'
                      f'redirect_uri = "{callback}"\n')
    proc = subprocess.Popen([sys.executable, "-m", "daemon", "connect", "--config", str(config), "--port", str(port),
                             "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    url = None
    for line in proc.stdout:
        if line.startswith("http"):
            url = line.strip()
            break
    assert url and "/services/oauth2/authorize?" in url
    from urllib.parse import parse_qs, urlparse

    params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    decision = httpx.post(f"{care_org.url}/services/oauth2/authorize",
                          data={**params, "username": "admin@fakeforce.local", "password": "fakeforce",
                                "decision": "allow"})
    assert decision.status_code == 302
    assert httpx.get(decision.headers["location"]).status_code == 200  # the browser follows the redirect
    assert proc.wait(timeout=30) == 0
    assert token_file.stat().st_mode & 0o777 == 0o600
    refresh = token_file.read_text().strip()
    grant = httpx.post(f"{care_org.url}/services/oauth2/token",
                       data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "fakeforce"})
    assert grant.status_code == 200
