"""The OAuth 2.0 token endpoint's grants, as pure decisions over the org and its sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import jwt

from ..settings import ConnectedApp
from .sessions import Session, Sessions

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


@dataclass
class OAuthError(Exception):
    error: str
    description: str
    status: int = 400

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _client(sessions: Sessions, client_id: str | None, secret: str | None, *, secret_required: bool) -> ConnectedApp:
    app = sessions.org.settings.app(client_id)
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if secret is not None or secret_required:
        if secret is None or not hmac.compare_digest(secret, app.client_secret):
            raise OAuthError("invalid_client", "invalid client credentials")
    return app


def basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        raw = base64.b64decode(header[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None, None
    key, _, secret = raw.partition(":")
    return key, secret


def token_response(sessions: Sessions, session: Session, base_url: str, *, refresh_token: str | None = None,
                   scope: str = "api") -> dict[str, Any]:
    org = sessions.org
    identity = f"{base_url}/id/{org.org_id}/{session.user_id}"
    issued = str(session.issued_at_ms)
    app = org.settings.app(session.client_id)
    key = (app.client_secret if app else org.org_id).encode()
    signature = base64.b64encode(hmac.new(key, (identity + issued).encode(), hashlib.sha256).digest()).decode()
    body: dict[str, Any] = {"access_token": session.token}
    if refresh_token:
        body["refresh_token"] = refresh_token
    body.update({"signature": signature, "scope": scope, "instance_url": base_url, "id": identity,
                 "token_type": "Bearer", "issued_at": issued})
    return body


def grant(sessions: Sessions, form: dict[str, str], authorization: str | None, base_url: str) -> dict[str, Any]:
    """Answer one POST /services/oauth2/token; raises OAuthError with Salesforce's error and description."""
    org = sessions.org
    grant_type = form.get("grant_type")
    basic_id, basic_secret = basic_credentials(authorization)
    client_id = form.get("client_id") or basic_id
    client_secret = form.get("client_secret") or basic_secret

    if grant_type == "password":
        app = _client(sessions, client_id, client_secret, secret_required=True)
        user_id = org.check_password(form.get("username", ""), form.get("password", ""))
        if user_id is None:
            raise OAuthError("invalid_grant", "authentication failure")
        return token_response(sessions, sessions.issue(user_id, app.client_id), base_url)

    if grant_type == "client_credentials":
        app = _client(sessions, client_id, client_secret, secret_required=True)
        return token_response(sessions, sessions.issue(org.admin_user_id, app.client_id), base_url)

    if grant_type == "refresh_token":
        owner = sessions.refresh_owner(form.get("refresh_token", ""))
        app = _client(sessions, client_id, client_secret, secret_required=False)
        if owner is None or owner["client_id"] != app.client_id or not org.user_active(owner["user_id"]):
            raise OAuthError("invalid_grant", "expired access/refresh token")
        session = sessions.issue(owner["user_id"], app.client_id, refresh_token=form.get("refresh_token"))
        return token_response(sessions, session, base_url, scope="api refresh_token")

    if grant_type == "authorization_code":
        app = _client(sessions, client_id, client_secret, secret_required=not form.get("code_verifier"))
        code = sessions.take_code(form.get("code", ""))
        if code is None or code.client_id != app.client_id:
            raise OAuthError("invalid_grant", "invalid authorization code")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
        if code.code_challenge and not _pkce_ok(code.code_challenge, code.code_challenge_method,
                                                form.get("code_verifier")):
            raise OAuthError("invalid_grant", "invalid code verifier")
        refresh = sessions.issue_refresh_token(code.user_id, app.client_id)
        session = sessions.issue(code.user_id, app.client_id, refresh_token=refresh)
        return token_response(sessions, session, base_url, refresh_token=refresh, scope=code.scope)

    if grant_type == JWT_GRANT:
        user_id, app = _jwt_user(sessions, form.get("assertion", ""), base_url)
        return token_response(sessions, sessions.issue(user_id, app.client_id), base_url)

    raise OAuthError("unsupported_grant_type", "grant type not supported")


def _pkce_ok(challenge: str, method: str | None, verifier: str | None) -> bool:
    if not verifier:
        return False
    if (method or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        return hmac.compare_digest(base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), challenge)
    return hmac.compare_digest(verifier, challenge)


def _jwt_user(sessions: Sessions, assertion: str, base_url: str) -> tuple[str, ConnectedApp]:
    """Check a JWT bearer assertion: signed by the app's certificate, iss = client id, sub = user, aud, exp."""
    org = sessions.org
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    app = org.settings.app(claims.get("iss"))
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not app.certificate_pem:
        raise OAuthError("invalid_app_access", "user is not admin approved to access this app")
    try:
        key = _public_key(app.certificate_pem)
        jwt.decode(assertion, key=key, algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False})
    except (jwt.PyJWTError, ValueError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(a, str) and a.rstrip("/") in (*LOGIN_AUDIENCES, base_url) for a in audiences):
        raise OAuthError("invalid_grant", "audience is invalid")
    exp = claims.get("exp")
    if isinstance(exp, str) and exp.isdigit():
        exp = int(exp)  # simple-salesforce sends exp as a string of digits, and Salesforce accepts it
    if not isinstance(exp, (int, float)) or exp <= org.clock.now().timestamp():
        raise OAuthError("invalid_grant", "expired authorization code")
    user_id = org.user_by_username(str(claims.get("sub", "")))
    if user_id is None:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return user_id, app


def _public_key(pem: str):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = pem.encode()
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return load_pem_public_key(data)
