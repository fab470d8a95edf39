"""Bodies are bounded before they are read: Content-Length first, then bytes counted as they arrive, on every
route, with Salesforce's error array (issue 9)."""

import json
import socket
from urllib.parse import urlparse

import httpx
import pytest

from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

V = "/services/data/v62.0"
REST_LIMIT, BULK_LIMIT, CONTROL_LIMIT = 2_000, 8_000, 1_000
ROUTES = [("POST", f"{V}/sobjects/Account", REST_LIMIT), ("POST", f"{V}/composite", REST_LIMIT),
          ("POST", "/services/oauth2/token", REST_LIMIT), ("POST", "/services/Soap/u/62.0", REST_LIMIT),
          ("PUT", f"{V}/jobs/ingest/7505g0000000001AAA/batches", BULK_LIMIT),
          ("POST", "/_fakeforce/seed", CONTROL_LIMIT), ("POST", "/nowhere", REST_LIMIT)]


@pytest.fixture(scope="module")
def server():
    settings = OrgSettings(control_enabled=True, max_body_bytes=REST_LIMIT, bulk_upload_max_bytes=BULK_LIMIT,
                           control_max_body_bytes=CONTROL_LIMIT)
    with FakeforceServer(settings=settings) as running:
        yield running


def _raw(server, head: str, *parts: bytes, timeout: float = 5) -> tuple[int, dict, bytes]:
    """Send a request by hand (headers, then body parts, never necessarily finished); read the answer."""
    url = urlparse(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n")
        for part in parts:
            sock.sendall(part)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 1 << 30


def _token(server) -> str:
    return server.fakeforce.sessions.issue(server.org.admin_user_id, "fakeforce").token


@pytest.mark.parametrize("method, path, limit", ROUTES, ids=[p for _, p, _ in ROUTES])
def test_a_declared_length_over_the_limit_is_refused_unread(server, method, path, limit):
    head = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {_token(server)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: 1000000000\r\n")
    status, headers, body = _raw(server, head)  # not one byte of the gigabyte is sent
    assert status == 413
    assert json.loads(body) == [{"errorCode": "REQUEST_ENTITY_TOO_LARGE",
                                 "message": f"Request body of 1000000000 bytes exceeds the limit of {limit} bytes"}]
    assert headers["connection"] == "close"


@pytest.mark.parametrize("method, path, limit", ROUTES, ids=[p for _, p, _ in ROUTES])
def test_a_streamed_body_is_cut_off_at_the_limit(server, method, path, limit):
    head = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {_token(server)}\r\n"
            f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")
    chunk = b"x" * 500
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (limit // 500 + 1)
    status, _, body = _raw(server, head, *parts)  # the stream is never finished: the answer comes anyway
    assert status == 413 and json.loads(body)[0]["errorCode"] == "REQUEST_ENTITY_TOO_LARGE"


def test_bodies_under_the_limit_go_through(server):
    headers = {"Authorization": f"Bearer {_token(server)}"}
    with httpx.Client(base_url=server.url, headers=headers) as http:
        r = http.post(f"{V}/sobjects/Account", json={"Name": "n" * 200})
        assert r.status_code == 201
        job = http.post(f"{V}/jobs/ingest", json={"object": "Account", "operation": "insert"}).json()["id"]
        csv = b"Name\n" + b"".join(b"Account %d\n" % i for i in range(400))  # over the REST limit, under Bulk's
        assert REST_LIMIT < len(csv) < BULK_LIMIT
        assert http.put(f"{V}/jobs/ingest/{job}/batches", content=csv,
                        headers={"Content-Type": "text/csv"}).status_code == 201
        r = http.put(f"{V}/jobs/ingest/{job}/batches", content=csv, headers={"Content-Type": "text/csv"})
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALIDBATCH"  # the job's total
        r = http.post("/_fakeforce/faults", json={"route": "/x", "status": 503, "message": "m" * 500})
        assert r.status_code == 201


def test_chunked_bodies_under_the_limit_go_through(server):
    headers = {"Authorization": f"Bearer {_token(server)}", "Content-Type": "application/json"}

    def stream():
        yield b'{"Name": '
        yield b'"streamed"}'

    with httpx.Client(base_url=server.url, headers=headers) as http:
        r = http.post(f"{V}/sobjects/Account", content=stream())
    assert r.status_code == 201


def test_the_default_bulk_limit_is_salesforces():
    """150 MB after base64 encoding, as Salesforce documents for an ingest job's data."""
    assert OrgSettings().bulk_upload_max_bytes * 4 // 3 == 150 * 1024 * 1024
    assert OrgSettings().control_max_body_bytes <= 10 * 1024 * 1024
