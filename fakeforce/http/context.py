"""What every data route needs: the running fakeforce, the caller's session, the API version, usage."""

from __future__ import annotations

import functools
import logging
from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from .. import API_VERSIONS
from ..auth.sessions import Session
from ..errors import MultipleMatches, SalesforceError, invalid_session, not_found
from ..instance import Fakeforce
from .responses import error_response, json_response, method_not_allowed

log = logging.getLogger("fakeforce.http")


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


Endpoint = Callable[[Request], Awaitable[Response]]


def api(**methods: Callable[[Request, Session, str], Awaitable[Response]]) -> Endpoint:
    """A REST resource: version and session checked, the request counted against the daily limit,
    ``Sforce-Limit-Info`` on the answer, and Salesforce errors (or 405 for other verbs) as error arrays."""
    allowed = list(methods)

    async def endpoint(request: Request) -> Response:
        ff = fakeforce(request)
        try:
            version = version_of(request)
            session = require_session(request)
            handler = methods.get(request.method) or (methods.get("GET") if request.method == "HEAD" else None)
            if handler is None:
                raise method_not_allowed(request.method, allowed)
            if not ff.usage.try_spend():
                raise SalesforceError("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", 403)
            route = request.scope.get("route")
            ff.usage.count_route(f"{request.method} {getattr(route, 'path', request.url.path)}")
            response = await handler(request, session, version)
        except SalesforceError as exc:
            response = error_response(exc)
        except MultipleMatches as exc:
            response = json_response(exc.urls, 300)
        if ff.usage.daily_limit:
            response.headers["Sforce-Limit-Info"] = ff.usage.header()
        return response

    return endpoint


def guard(func: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """Turn Salesforce errors raised by a non-API route into their error array."""

    @functools.wraps(func)
    async def wrapper(request: Request) -> Response:
        try:
            return await func(request)
        except SalesforceError as exc:
            return error_response(exc)

    return wrapper
