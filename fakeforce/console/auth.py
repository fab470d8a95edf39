"""Who may use the web console, and the CSRF defence of its forms.

The console sits behind the control surface's protection: the same control token, given once in a login
form (the answer sets an HttpOnly, SameSite=Strict cookie) or as ``Authorization: Bearer`` /
``X-Fakeforce-Token`` on each request. The token never travels in a URL. The cookie does not hold the
token itself but an HMAC of it under a key made when the app starts, so a copied cookie dies with the
process and says nothing about the token. Every POST carries a CSRF token (an HMAC of the session
cookie, or of the bearer token when the caller used the header) and, when the browser sends one, an
``Origin`` equal to the console's own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request

from ..http.context import bearer_token, fakeforce
from ..http.loopback import foreign_origin, loopback_host

COOKIE = "fakeforce_console"


def _key(request: Request) -> bytes:
    """One random key per app (the console may be served by several apps in one test process)."""
    app = request.app
    key = getattr(app.state, "console_key", None)
    if key is None:
        key = secrets.token_bytes(32)
        app.state.console_key = key
    return key


def _mac(request: Request, purpose: str, value: str) -> str:
    return hmac.new(_key(request), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def cookie_for(request: Request, token: str) -> str:
    """The session cookie's value for a caller who gave ``token``."""
    return _mac(request, "session", token)


def token_matches(request: Request, given: str) -> bool:
    expected = fakeforce(request).settings.control_token or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def principal(request: Request) -> str | None:
    """A string naming how this caller is allowed in (the CSRF tokens are tied to it), or None.

    ``open`` when the surface is open without a token (a test-mode server on loopback)."""
    ff = fakeforce(request)
    expected = ff.settings.control_token
    if not expected:
        # Open only to loopback Host names: a rebound DNS name must not read or reset the org.
        return "open" if ff.control_without_token and loopback_host(request) else None
    for given in (bearer_token(request), request.headers.get("x-fakeforce-token")):
        if given and token_matches(request, given):
            return "header:" + cookie_for(request, given)
    cookie = request.cookies.get(COOKIE, "")
    if cookie and hmac.compare_digest(cookie.encode(), cookie_for(request, expected).encode()):
        return "cookie:" + cookie
    return None


def login_possible(request: Request) -> bool:
    """False when no token could ever let anyone in (no token set and the surface is not open)."""
    ff = fakeforce(request)
    return bool(ff.settings.control_token) or ff.control_without_token


def csrf_token(request: Request, who: str) -> str:
    return _mac(request, "csrf", who)


def csrf_ok(request: Request, who: str, given: str | None) -> bool:
    """The form's token matches this caller, and the browser's Origin (when sent) is this console's."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return False
    if who == "open" and foreign_origin(request):
        return False
    return bool(given) and hmac.compare_digest(given.encode(), csrf_token(request, who).encode())
