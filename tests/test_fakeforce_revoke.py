"""``/services/oauth2/revoke`` as Salesforce documents it (issue 9): POST form ``token=`` or GET ``?token=``;
200 on success, 400 ``invalid_token`` otherwise; a refresh token takes the access tokens issued from it along,
an access token goes alone."""

from urllib.parse import parse_qs, urlparse

import pytest

CALLBACK = "http://localhost:1717/OauthRedirect"
ME = "/services/data/v62.0/sobjects"


@pytest.fixture
def http(fakeforce):
    with fakeforce.http() as client:
        yield client


def _web_server_flow(http, fakeforce) -> dict:
    """The authorization-code flow: consent, code, then an access and a refresh token."""
    r = http.post("/services/oauth2/authorize", data={
        "response_type": "code", "client_id": fakeforce.client_id, "redirect_uri": CALLBACK,
        "username": fakeforce.username, "password": fakeforce.password, "decision": "allow"})
    code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
    r = http.post("/services/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                  "client_id": fakeforce.client_id,
                                                  "client_secret": fakeforce.client_secret, "redirect_uri": CALLBACK})
    assert r.status_code == 200
    return r.json()


def _refresh(http, fakeforce, refresh_token: str):
    return http.post("/services/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                                     "client_id": fakeforce.client_id})


def _works(http, access_token: str) -> bool:
    return http.get(ME, headers={"Authorization": f"Bearer {access_token}"}).status_code == 200


def _password_login(http, fakeforce) -> str:
    return http.post("/services/oauth2/token", data={
        "grant_type": "password", "client_id": fakeforce.client_id, "client_secret": fakeforce.client_secret,
        "username": fakeforce.username, "password": fakeforce.password}).json()["access_token"]


@pytest.mark.parametrize("how", ["POST", "GET"])
def test_revoking_a_refresh_token_ends_it_and_the_access_tokens_issued_from_it(http, fakeforce, how):
    tokens = _web_server_flow(http, fakeforce)
    refreshed = _refresh(http, fakeforce, tokens["refresh_token"]).json()["access_token"]
    other = _password_login(http, fakeforce)  # same user and app, not from this refresh token
    if how == "POST":
        r = http.post("/services/oauth2/revoke", data={"token": tokens["refresh_token"]})
    else:
        r = http.get("/services/oauth2/revoke", params={"token": tokens["refresh_token"]})
    assert r.status_code == 200 and r.content == b""
    assert not _works(http, tokens["access_token"]) and not _works(http, refreshed)
    assert _works(http, other)
    r = _refresh(http, fakeforce, tokens["refresh_token"])
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}


@pytest.mark.parametrize("how", ["POST", "GET"])
def test_revoking_an_access_token_ends_only_it(http, fakeforce, how):
    tokens = _web_server_flow(http, fakeforce)
    if how == "POST":
        r = http.post("/services/oauth2/revoke", data={"token": tokens["access_token"]})
    else:
        r = http.get("/services/oauth2/revoke", params={"token": tokens["access_token"]})
    assert r.status_code == 200
    r = http.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 401 and r.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    fresh = _refresh(http, fakeforce, tokens["refresh_token"])
    assert fresh.status_code == 200 and _works(http, fresh.json()["access_token"])


@pytest.mark.parametrize("form", [{"token": "nope"}, {}, {"token": ""}])
def test_an_unknown_token_is_invalid_token(http, form):
    r = http.post("/services/oauth2/revoke", data=form)
    assert r.status_code == 400
    assert r.json()["error"] in ("invalid_token", "unsupported_token_type")


def test_a_token_revoked_twice_is_invalid_the_second_time(http, fakeforce):
    tokens = _web_server_flow(http, fakeforce)
    assert http.post("/services/oauth2/revoke", data={"token": tokens["refresh_token"]}).status_code == 200
    r = http.post("/services/oauth2/revoke", data={"token": tokens["refresh_token"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_token"
    assert http.get("/services/oauth2/revoke", params={"token": tokens["access_token"]}).status_code == 400
