"""Settings for running fakeforce at scale: an unlimited daily API limit, the TLS recipe with
REQUESTS_CA_BUNDLE set, and the garbage-collector freeze after start-up."""

import argparse
import gc

import certifi
import httpx
import pytest
import requests

from fakeforce.cli import api_limit, build_parser, settle_heap, settings_from
from fakeforce.instance import Fakeforce
from fakeforce.server import FakeforceServer
from fakeforce.settings import UNLIMITED_API_REQUESTS, OrgSettings


def test_daily_api_limit_accepts_unlimited_and_numbers():
    args = build_parser().parse_args(["serve", "--daily-api-limit", "unlimited"])
    assert settings_from(args).daily_api_limit == UNLIMITED_API_REQUESTS
    assert api_limit("0") == 0 and api_limit("250") == 250 and api_limit("UNLIMITED") == UNLIMITED_API_REQUESTS
    for bad in ("-1", "lots"):
        with pytest.raises(argparse.ArgumentTypeError):
            api_limit(bad)


def test_unlimited_never_runs_out_and_zero_refuses_everything():
    unlimited = Fakeforce(settings=OrgSettings(daily_api_limit=UNLIMITED_API_REQUESTS))
    unlimited.usage.set_used(10_000_000)
    assert unlimited.usage.try_spend()
    assert not Fakeforce(settings=OrgSettings(daily_api_limit=0)).usage.try_spend()


def _tls_get(server: FakeforceServer, trust_env: bool) -> int:
    session = requests.Session()
    session.verify = str(server.certificates.ca_bundle)
    session.trust_env = trust_env
    return session.get(server.url + "/services/data/", timeout=10).status_code


@pytest.mark.parametrize("env_bundle", [None, "certifi"])
def test_the_tls_recipe_works_with_and_without_requests_ca_bundle(monkeypatch, env_bundle):
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    if env_bundle:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # another bundle, as on many CI images
    else:
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with FakeforceServer(tls=True) as server:
        assert _tls_get(server, trust_env=False) == 200  # the documented recipe
        if env_bundle:  # the old recipe: requests lets the environment's bundle win over session.verify
            with pytest.raises(requests.exceptions.SSLError):
                _tls_get(server, trust_env=True)


def test_settle_heap_freezes_the_loaded_objects():
    gc.unfreeze()
    settle_heap()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def _limits(limit: int) -> httpx.Response:
    with FakeforceServer(settings=OrgSettings(daily_api_limit=limit)) as server:
        token = httpx.post(server.url + "/services/oauth2/token", data={
            "grant_type": "password", "client_id": "fakeforce", "client_secret": "fakeforce",
            "username": "admin@fakeforce.local", "password": "fakeforce"}).json()["access_token"]
        return httpx.get(server.url + "/services/data/v62.0/limits",
                         headers={"Authorization": f"Bearer {token}"})


def test_over_http_zero_refuses_and_unlimited_reports_its_maximum():
    refused = _limits(0)
    assert refused.status_code == 403 and refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    ok = _limits(UNLIMITED_API_REQUESTS)
    assert ok.status_code == 200 and ok.json()["DailyApiRequests"]["Max"] == UNLIMITED_API_REQUESTS
    assert ok.headers["Sforce-Limit-Info"] == f"api-usage=1/{UNLIMITED_API_REQUESTS}"
