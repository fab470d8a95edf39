"""fakeforce's web console at ``/_fakeforce/console``: objects and fields, records, a SOQL box, the
request journal (live), API usage against the limits, reset and seed.

Server-rendered HTML with one small script; behind the control surface's protection (see :mod:`.auth`).
Off, like the control surface, unless ``control_enabled``.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..http.context import fakeforce
from ..http.responses import json_response
from . import actions, auth, pages, static
from .html import BASE

Page = Callable[[Request, str], Awaitable[Response]]
Action = Callable[[Request, str, dict[str, str]], Awaitable[Response]]


def _closed(request: Request) -> Response | None:
    if not fakeforce(request).settings.control_enabled:
        return json_response([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}], 404)
    return None


def _view(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for an allowed caller; anyone else gets the login form with 401."""

    async def endpoint(request: Request) -> Response:
        closed = _closed(request)
        if closed is not None:
            return closed
        who = auth.principal(request)
        if who is None:
            return actions.login_page(request, status=401)
        try:
            return await handler(request, auth.csrf_token(request, who))
        except ValueError as exc:
            from .html import esc, page

            return page("Bad request", f'<div class="error" role="alert">{esc(exc)}</div>', status=400,
                        csrf=auth.csrf_token(request, who))

    return endpoint


def _action(handler: Action) -> Callable[[Request], Awaitable[Response]]:
    """A POST for an allowed caller whose form carries this caller's CSRF token."""

    async def endpoint(request: Request) -> Response:
        closed = _closed(request)
        if closed is not None:
            return closed
        who = auth.principal(request)
        if who is None:
            return json_response([{"message": "a valid control token is required (log in to the console)",
                                   "errorCode": "INVALID_SESSION_ID"}], 401)
        try:
            fields = await actions.form_fields(request)
        except ValueError as exc:
            return json_response([{"message": str(exc), "errorCode": "INVALID_INPUT"}], 413)
        if not auth.csrf_ok(request, who, fields.get("csrf")):
            return json_response([{"message": "the form's CSRF token or origin is wrong: reload the page",
                                   "errorCode": "INVALID_CROSS_REFERENCE_KEY"}], 403)
        return await handler(request, who, fields)

    return endpoint


async def _login(request: Request) -> Response:
    closed = _closed(request)
    return closed if closed is not None else await actions.login(request)


def routes() -> list[Route]:
    return [
        Route(BASE, _view(pages.overview), methods=["GET"]),
        Route(BASE + "/login", _login, methods=["GET", "POST"]),
        Route(BASE + "/logout", _action(actions.logout), methods=["POST"]),
        Route(BASE + "/reset", _action(actions.reset), methods=["POST"]),
        Route(BASE + "/seed", _action(actions.seed), methods=["POST"]),
        Route(BASE + "/objects", _view(pages.objects), methods=["GET"]),
        Route(BASE + "/objects/{name}", _view(pages.sobject), methods=["GET"]),
        Route(BASE + "/soql", _view(pages.soql), methods=["GET"]),
        Route(BASE + "/requests", _view(pages.requests), methods=["GET"]),
        Route(BASE + "/requests/rows", _view(pages.requests_fragment), methods=["GET"]),
        Route(BASE + "/static/console.css", static.css, methods=["GET"]),
        Route(BASE + "/static/console.js", static.js, methods=["GET"]),
    ]
