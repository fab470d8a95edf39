"""Issue 9, "secrets never logged": every spelling of a secret (JSON-escaped non-ASCII, quotes, backslashes,
repr, URL-encoded) is redacted, and tracebacks that do not come from syncd's own log calls (uvicorn's error
logger, sys.excepthook, threading.excepthook, asyncio's exception handler) are JSON lines through the same
redactor. Each check captures the real stderr of a real process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from syncd_helpers import API_TOKEN, AUTH, Syncd, write_config

SECRETS = ['pa"ss\\wörd-ünïcode-€', "quote'and\"double\\back", "tab\there-and-new\nline", "日本語のひみつ"]


def spellings(secret: str) -> set[str]:
    """How a secret can show up in a JSON log line: as is, JSON-escaped (ASCII or not), as repr() shows it,
    URL-encoded, and JSON-escaped once more (a repr or a JSON text inside a message)."""
    from urllib.parse import quote, quote_plus

    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1],
             quote(secret, safe=""), quote_plus(secret)}
    forms |= {json.dumps(form)[1:-1] for form in list(forms)}
    return forms


def leaked(text: str, secret: str) -> list[str]:
    """Every spelling of ``secret`` that appears in ``text``."""
    return [form for form in spellings(secret) if form in text]


def run_logging(script: str) -> str:
    """Run ``script`` after ``daemon.logs.setup`` in a fresh interpreter; its stderr."""
    prelude = f"import logging, sys\nfrom daemon.logs import setup\nSECRETS = {SECRETS!r}\nsetup('info', SECRETS)\n"
    done = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)], capture_output=True,
                          text=True, timeout=60)
    return done.stderr


def json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_each_spelling_of_a_secret_is_redacted():
    err = run_logging("""
        import json, urllib.parse
        log = logging.getLogger("syncd")
        for s in SECRETS:
            log.info("plain %s", s)
            log.info("repr %r", s)
            log.warning("in a body", extra={"body": {"password": s}, "form": urllib.parse.urlencode({"p": s})})
            log.info("dumped " + json.dumps({"p": s}))
            try:
                raise ValueError(f"login failed for {s!r}")
            except ValueError:
                log.exception("with a traceback")
    """)
    lines = json_lines(err)
    assert len(lines) == 5 * len(SECRETS)
    for secret in SECRETS:
        assert not leaked(err, secret), (secret, leaked(err, secret))
    assert err.count("[redacted]") >= 5 * len(SECRETS)


def test_tracebacks_outside_the_formatter_are_json_and_redacted():
    err = run_logging("""
        import asyncio, threading, warnings
        warnings.warn("a warning about " + SECRETS[0])
        t = threading.Thread(target=lambda: 1 / 0 if False else (_ for _ in ()).throw(RuntimeError(SECRETS[1])))
        t.start(); t.join()

        async def main():
            loop = asyncio.get_running_loop()
            loop.call_soon(lambda: (_ for _ in ()).throw(RuntimeError("in a callback " + SECRETS[2])))
            await asyncio.sleep(0.05)
        asyncio.run(main())
        raise SystemError("uncaught " + SECRETS[3])
    """)
    lines = json_lines(err)
    messages = " ".join(str(line.get("message")) + str(line.get("exception", "")) for line in lines)
    assert "uncaught exception in a thread" in messages and "uncaught exception" in messages
    assert "Exception in callback" in messages and "SystemError" in messages and "warning" in messages
    for secret in SECRETS:
        assert not leaked(err, secret), (secret, leaked(err, secret))


TOKEN_WITH_QUOTES = 'tok"en\\with\'quotes-0123456789'


def test_syncd_process_logs_are_json_and_hold_no_token(tmp_path, care_org):
    """A real syncd: a 500 inside a route (injected into the process), garbage on the socket (uvicorn's own
    error logger): every stderr line is JSON, the caller gets an error id, the log has it and no token."""
    config = write_config(tmp_path, care_org.url, service={"api_tokens": [API_TOKEN, TOKEN_WITH_QUOTES]})
    daemon = Syncd(config)
    inject = ("import sys, daemon.api as api\n"
              "def boom(*a):\n"
              f"    raise RuntimeError('metrics broke, token ' + {TOKEN_WITH_QUOTES!r} + ' ' + {API_TOKEN!r})\n"
              "api.generate_latest = boom\n"
              "from daemon.service import run\n"
              f"sys.exit(run({str(config)!r}))\n")
    proc = subprocess.Popen([sys.executable, "-c", inject], stdout=subprocess.DEVNULL, stderr=open(daemon.log, "wb"))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(daemon.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, daemon.log.read_text()
                time.sleep(0.05)
        r = httpx.get(daemon.url + "/metrics")
        assert r.status_code == 500 and r.headers["content-type"].startswith("application/problem+json")
        error_id = r.json()["errorId"]
        assert "Traceback" not in r.text and "metrics broke" not in r.text
        with socket.create_connection(("127.0.0.1", daemon.port)) as sock:
            sock.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
            sock.recv(1000)
        assert httpx.get(daemon.url + "/v1/admin/salesforce",
                         headers={"Authorization": f"Bearer {TOKEN_WITH_QUOTES}"}).status_code == 200
        assert httpx.get(daemon.url + "/v1/admin/salesforce", headers=AUTH).status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    text = daemon.log.read_text()
    lines = json_lines(text)
    assert any(line.get("error_id") == error_id and "RuntimeError" in line.get("exception", "") for line in lines)
    assert any("Invalid HTTP request" in line["message"] for line in lines), text[-2000:]
    for secret in (TOKEN_WITH_QUOTES, API_TOKEN):
        assert not leaked(text, secret), leaked(text, secret)


@pytest.mark.parametrize("secret", SECRETS)
def test_redactor_covers_json_escapes(secret):
    from daemon.logs import Redactor

    redact = Redactor([secret])
    for text in (json.dumps({"x": secret}), json.dumps({"x": secret}, ensure_ascii=False), repr(secret),
                 json.dumps({"x": repr(secret)}), json.dumps({"x": json.dumps(secret)})):
        assert not leaked(redact(text), secret), text
