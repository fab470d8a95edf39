"""Logging in as an org allows it: OAuth grants, SOAP login, sessions that expire and refresh."""

import base64
import hashlib
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import jwt
from certs import jwt_certificate
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

CALLBACK = "http://localhost:1717/OauthRedirect"


@pytest.fixture
def http(fakeforce):
    with fakeforce.http() as client:
        yield client


def password_grant(http, fakeforce, **overrides):
    form = {"grant_type": "password", "client_id": fakeforce.client_id, "client_secret": fakeforce.client_secret,
            "username": fakeforce.username, "password": fakeforce.password, **overrides}
    return http.post("/services/oauth2/token", data=form)


def test_password_grant_answers_like_salesforce(http, fakeforce):
    r = password_grant(http, fakeforce)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == fakeforce.url
    assert body["id"] == f"{fakeforce.url}/id/{fakeforce.org.org_id}/{fakeforce.org.admin_user_id}"
    assert body["issued_at"].isdigit() and abs(int(body["issued_at"]) / 1000 - time.time()) < 60
    assert body["access_token"].startswith(fakeforce.org.org_id[:15] + "!")
    expected = base64.b64encode(__import__("hmac").new(fakeforce.client_secret.encode(),
                                                       (body["id"] + body["issued_at"]).encode(),
                                                       hashlib.sha256).digest()).decode()
    assert body["signature"] == expected
    api = http.get("/services/data/v62.0/sobjects/", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert api.status_code == 200


@pytest.mark.parametrize("overrides, error, description", [
    ({"password": "wrong"}, "invalid_grant", "authentication failure"),
    ({"username": "nobody@example.com"}, "invalid_grant", "authentication failure"),
    ({"client_id": "other"}, "invalid_client_id", "client identifier invalid"),
    ({"client_secret": "wrong"}, "invalid_client", "invalid client credentials"),
    ({"grant_type": "magic"}, "unsupported_grant_type", "grant type not supported"),
])
def test_token_errors(http, fakeforce, overrides, error, description):
    r = password_grant(http, fakeforce, **overrides)
    assert r.status_code == 400
    assert r.json() == {"error": error, "error_description": description}


def test_client_credentials_with_basic_auth(http, fakeforce):
    basic = base64.b64encode(f"{fakeforce.client_id}:{fakeforce.client_secret}".encode()).decode()
    r = http.post("/services/oauth2/token", data={"grant_type": "client_credentials"},
                  headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200 and "refresh_token" not in r.json()
    bad = base64.b64encode(f"{fakeforce.client_id}:nope".encode()).decode()
    r = http.post("/services/oauth2/token", data={"grant_type": "client_credentials"},
                  headers={"Authorization": f"Basic {bad}"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"


def authorize(http, fakeforce, **extra):
    params = {"response_type": "code", "client_id": fakeforce.client_id, "redirect_uri": CALLBACK, "state": "s1",
              **extra}
    page = http.get("/services/oauth2/authorize", params=params)
    assert page.status_code == 200 and "<form" in page.text
    r = http.post("/services/oauth2/authorize", data={**params, "username": fakeforce.username,
                                                       "password": fakeforce.password, "decision": "allow"})
    assert r.status_code == 302
    location = urlparse(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def test_authorization_code_and_refresh_flow(http, fakeforce):
    code = authorize(http, fakeforce)
    r = http.post("/services/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                  "client_id": fakeforce.client_id,
                                                  "client_secret": fakeforce.client_secret,
                                                  "redirect_uri": CALLBACK})
    assert r.status_code == 200
    tokens = r.json()
    assert tokens["refresh_token"] and tokens["scope"] == "api refresh_token"
    # A code works once.
    again = http.post("/services/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                      "client_id": fakeforce.client_id,
                                                      "client_secret": fakeforce.client_secret,
                                                      "redirect_uri": CALLBACK})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    # The access token expires when the clock passes the session lifetime; the refresh token goes on.
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get("/services/data/v62.0/", headers=auth).status_code == 200
    fakeforce.org.clock.advance(timedelta(seconds=fakeforce.settings.session_seconds + 1))
    r = http.get("/services/data/v62.0/", headers=auth)
    assert r.status_code == 401
    assert r.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    r = http.post("/services/oauth2/token", data={"grant_type": "refresh_token",
                                                  "refresh_token": tokens["refresh_token"],
                                                  "client_id": fakeforce.client_id})
    assert r.status_code == 200 and "refresh_token" not in r.json()
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert http.get("/services/data/v62.0/", headers=fresh).status_code == 200

    # Revoking the refresh token ends it and the sessions it made.
    assert http.post("/services/oauth2/revoke", data={"token": tokens["refresh_token"]}).status_code == 200
    assert http.get("/services/data/v62.0/", headers=fresh).status_code == 401
    r = http.post("/services/oauth2/token", data={"grant_type": "refresh_token",
                                                  "refresh_token": tokens["refresh_token"],
                                                  "client_id": fakeforce.client_id})
    assert r.json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}
    assert http.post("/services/oauth2/revoke", data={"token": "nope"}).status_code == 400


def test_authorization_code_with_pkce_and_redirect_checks(http, fakeforce):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = authorize(http, fakeforce, code_challenge=challenge, code_challenge_method="S256")
    r = http.post("/services/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                  "client_id": fakeforce.client_id, "redirect_uri": CALLBACK,
                                                  "code_verifier": verifier})
    assert r.status_code == 200
    bad = http.get("/services/oauth2/authorize", params={"response_type": "code", "client_id": fakeforce.client_id,
                                                         "redirect_uri": "http://evil.example/cb"})
    assert bad.status_code == 400 and "redirect_uri_mismatch" in bad.text
    denied = http.post("/services/oauth2/authorize", data={"response_type": "code", "client_id": fakeforce.client_id,
                                                           "redirect_uri": CALLBACK, "decision": "deny"})
    assert denied.status_code == 302 and "error=access_denied" in denied.headers["location"]


def test_jwt_bearer_flow(http, fakeforce):
    cert, key = jwt_certificate()
    app = fakeforce.settings.apps[0]
    app.certificate_pem = cert
    try:
        def assertion(**claims):
            base = {"iss": fakeforce.client_id, "sub": fakeforce.username, "aud": "https://login.salesforce.com",
                    "exp": int(time.time()) + 180}
            return jwt.encode({**base, **claims}, key, algorithm="RS256")

        grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
        r = http.post("/services/oauth2/token", data={"grant_type": grant, "assertion": assertion()})
        assert r.status_code == 200 and r.json()["access_token"]
        for claims, error in [({"exp": int(time.time()) - 10}, "invalid_grant"),
                              ({"aud": "https://elsewhere.example"}, "invalid_grant"),
                              ({"iss": "someone"}, "invalid_client_id"),
                              ({"sub": "ghost@example.com"}, "invalid_grant")]:
            r = http.post("/services/oauth2/token", data={"grant_type": grant, "assertion": assertion(**claims)})
            assert r.status_code == 400 and r.json()["error"] == error, claims
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode({"iss": fakeforce.client_id, "sub": fakeforce.username,
                             "aud": "https://login.salesforce.com", "exp": int(time.time()) + 60},
                            other_key, algorithm="RS256")
        r = http.post("/services/oauth2/token", data={"grant_type": grant, "assertion": forged})
        assert r.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
    finally:
        app.certificate_pem = None


def test_userinfo_and_identity(http, fakeforce):
    token = password_grant(http, fakeforce).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    info = http.get("/services/oauth2/userinfo", headers=auth).json()
    assert info["preferred_username"] == fakeforce.username and info["user_id"] == fakeforce.org.admin_user_id
    ident = http.get(urlparse(token["id"]).path, params={"format": "json", "oauth_token": token["access_token"]})
    assert ident.status_code == 200
    assert ident.json()["organization_id"] == fakeforce.org.org_id
    assert ident.json()["urls"]["rest"] == f"{fakeforce.url}/services/data/v{{version}}/"
    assert http.get("/services/oauth2/userinfo").status_code == 403


def test_every_data_route_needs_a_session(http):
    for path in ["/services/data/v62.0/", "/services/data/v62.0/sobjects", "/services/data/v62.0/sobjects/Contact",
                 "/services/data/v62.0/sobjects/Contact/describe", "/services/data/v62.0/sobjects/Contact/003"]:
        for headers in [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}]:
            r = http.get(path, headers=headers)
            assert r.status_code == 401, path
            assert r.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert http.get("/services/data/").status_code == 200


SOAP_LOGIN = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">
<env:Header><urn:CallOptions><urn:client>test</urn:client></urn:CallOptions></env:Header>
<env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{u}</n1:username>
<n1:password>{p}</n1:password></n1:login></env:Body></env:Envelope>"""


def test_soap_login(http, fakeforce):
    r = http.post("/services/Soap/u/59.0", content=SOAP_LOGIN.format(u=fakeforce.username, p=fakeforce.password),
                  headers={"Content-Type": "text/xml", "SOAPAction": "login"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    for tag in ("sessionId", "serverUrl", "userId", "organizationId"):
        assert f"<{tag}>" in r.text
    assert f"<serverUrl>{fakeforce.url}/services/Soap/u/59.0/{fakeforce.org.org_id[:15]}</serverUrl>" in r.text
    session = r.text.split("<sessionId>")[1].split("</sessionId>")[0]
    assert http.get("/services/data/v59.0/", headers={"Authorization": f"Bearer {session}"}).status_code == 200

    r = http.post("/services/Soap/u/59.0", content=SOAP_LOGIN.format(u=fakeforce.username, p="wrong"),
                  headers={"Content-Type": "text/xml"})
    assert r.status_code == 500
    assert "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>" in r.text
    assert "<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out." \
           "</faultstring>" in r.text
    r = http.post("/services/Soap/u/59.0", content=b"<not xml", headers={"Content-Type": "text/xml"})
    assert r.status_code == 500 and "<faultcode>" in r.text


def test_inactive_user_cannot_log_in(http, fakeforce):
    fakeforce.seed({"users": [{"ref": "u", "Username": "agent@example.com", "LastName": "Agent",
                               "password": "pw", "IsActive": False}]})
    r = password_grant(http, fakeforce, username="agent@example.com", password="pw")
    assert r.status_code == 400
