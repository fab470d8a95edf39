"""The web console without a browser: the token's protection, the CSRF defence, escaping, and the
benchmark report's reading of pytest-benchmark JSON (so these hold where Chromium is missing too)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note about httpx2
    from starlette.testclient import TestClient

from fakeforce.http.app import create_app
from fakeforce.instance import Fakeforce
from fakeforce.seed import load_seed
from fakeforce.settings import OrgSettings

TOKEN = "console-test-token-0123456789"
BASE = "/_fakeforce/console"


@pytest.fixture
def client():
    ff = Fakeforce(settings=OrgSettings(control_enabled=True, control_token=TOKEN))
    with TestClient(create_app(ff), follow_redirects=False) as c:
        c.ff = ff
        yield c


def _login(client) -> str:
    answer = client.post(BASE + "/login", data={"token": TOKEN})
    assert answer.status_code == 303 and TOKEN not in answer.headers["location"]
    page = client.get(BASE).text
    return page.split('name="csrf" value="')[1].split('"')[0]


def test_every_page_refuses_without_the_token(client):
    for path in ("", "/objects", "/objects/Account", "/soql?q=SELECT+Id+FROM+Account", "/requests", "/requests/rows"):
        answer = client.get(BASE + path)
        assert answer.status_code == 401 and 'name="token"' in answer.text, path
    assert client.post(BASE + "/reset", data={"csrf": "x"}).status_code == 401
    assert client.post(BASE + "/login", data={"token": TOKEN + "x"}).status_code == 401
    assert client.get(BASE + "/objects", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_cookie_is_httponly_strict_and_not_the_token(client):
    cookie = client.post(BASE + "/login", data={"token": TOKEN}).headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie


def test_posts_need_the_csrf_token_and_a_same_origin(client):
    csrf = _login(client)
    load_seed(client.ff.org, {"records": {"Account": [{"Name": "Kept"}]}})
    assert client.post(BASE + "/reset", data={"csrf": "forged"}).status_code == 403
    assert client.post(BASE + "/reset", data={"csrf": csrf}, headers={"Origin": "http://evil.example"}
                       ).status_code == 403
    assert client.ff.org.store.count("Account") == 1
    assert client.post(BASE + "/reset", data={"csrf": csrf}).status_code == 303
    assert client.ff.org.store.count("Account") == 0


def test_user_data_is_escaped(client):
    _login(client)
    load_seed(client.ff.org, {"records": {"Account": [{"Name": "<script>alert(1)</script>"}]}})
    for path in ("/objects/Account", "/soql?q=SELECT+Name+FROM+Account"):
        text = client.get(BASE + path).text
        assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    answer = client.get(BASE + "/soql", params={"q": "SELECT Id FROM Account WHERE Name = '<img src=x>"})
    assert "<img src=x>" not in answer.text and "&lt;img src=x&gt;" in answer.text  # in the box and the error
    assert 'class="error"' in answer.text


def test_off_with_the_control_surface():
    with TestClient(create_app(Fakeforce())) as c:
        assert c.get(BASE).status_code == 404 and c.get(BASE).json()[0]["errorCode"] == "NOT_FOUND"


def test_bad_paging_input_is_a_precise_400(client):
    _login(client)
    answer = client.get(BASE + "/objects/Account", params={"after": "' OR Name != '"})
    assert answer.status_code == 400 and "after: a record Id" in answer.text


def test_the_benchmark_report_reads_pytest_benchmark_json(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import report

    data = {"datetime": "2026-12-02T00:00:00", "benchmarks": [
        {"name": "test_requests_per_escalation_with_backfill", "group": None, "stats": {"median": 1.0},
         "extra_info": {"requests_syncd": 3, "requests_naive": 104}},
        *({"name": f"test_soql[email_eq-{n}]", "group": "soql email_eq", "stats": {"median": n / 1e6},
           "extra_info": {"rows": n}} for n in (10_000, 1_000))]}
    source = tmp_path / "latest.json"
    source.write_text(json.dumps(data))
    assert report.main([str(source), "--out", str(tmp_path)]) == 0
    assert report.soql_series(data) == {"soql email_eq": [(1_000, 0.001), (10_000, 0.01)]}
    assert report.sync_figures(data) == {"per_escalation": {"syncd": 3, "naive": 104}}
    text = (tmp_path / "bench-report.md").read_text()
    assert "| requests per escalation (100-message backfill) | 3 | 104 |" in text and "throughput" in text
    assert (tmp_path / "bench-requests.png").stat().st_size > 1000 and (tmp_path / "bench-soql.png").exists()
    assert not (tmp_path / "bench-latency.png").exists()  # not in the run: named, not drawn


def test_an_open_console_refuses_a_rebound_host_and_a_cross_site_post():
    ff = Fakeforce(settings=OrgSettings(control_enabled=True))
    ff.control_without_token = True  # what FakeforceServer sets in test mode on loopback
    load_seed(ff.org, {"records": {"Account": [{"Name": "Secret customer"}]}})
    with TestClient(create_app(ff), base_url="http://evil.example:8080", follow_redirects=False) as evil:
        page = evil.get(BASE + "/soql?q=SELECT+Name+FROM+Account")
        assert page.status_code == 401 and "Secret customer" not in page.text
        assert evil.post(BASE + "/reset", data={"csrf": "x"}).status_code == 401
    with TestClient(create_app(ff), base_url="http://127.0.0.1:8080", follow_redirects=False) as local:
        page = local.get(BASE + "/soql?q=SELECT+Name+FROM+Account")
        assert page.status_code == 200 and "Secret customer" in page.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        cross = local.post(BASE + "/reset", data={"csrf": csrf}, headers={"Origin": "http://evil.example"})
        assert cross.status_code == 403 and cross.json()[0]["errorCode"]
        assert ff.org.store.count("Account") == 1


def test_an_oversized_login_form_is_413_in_the_error_shape(client):
    answer = client.post(BASE + "/login", content=b"token=" + b"a" * 1_100_000,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413 and answer.json()[0]["errorCode"] == "INVALID_INPUT"


def test_an_object_whose_count_is_refused_shows_a_question_mark(client):
    """ContentDocumentLink refuses an unfiltered COUNT() (and listing): the page answers, not a 500."""
    _login(client)
    page = client.get(BASE + "/objects/ContentDocumentLink")
    assert page.status_code == 200 and "ContentDocumentLink" in page.text
