"""What every data route needs: the running fakeforce, the caller's session, the API version, usage."""

from __future__ import annotations

from starlette.requests import Request

from .. import API_VERSIONS
from ..auth.sessions import Session
from ..errors import invalid_session, not_found
from ..instance import Fakeforce

def fakeforce(request: Request) -> Fakeforce:
    return request.app.state.fakeforce


def base_url(request: Request) -> str:
    """scheme://host[:port] as the client reached us; instance_url and serverUrl point back here."""
    return f"{request.url.scheme}://{request.url.netloc}"


def version_of(request: Request) -> str:
    version = request.path_params.get("version", "")
    if version == "latest":
        return API_VERSIONS[-1]
    if version not in API_VERSIONS:
        raise not_found()
    return version


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return None


def require_session(request: Request, token: str | None = None) -> Session:
    session = fakeforce(request).sessions.validate(token or bearer_token(request) or "")
    if session is None:
        raise invalid_session()
    return session


