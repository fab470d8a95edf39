"""``/services/data``: the version list, and every REST resource through :func:`fakeforce.rest.dispatch`."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import API_VERSIONS, rest
from ..errors import SalesforceError
from .context import base_url, fakeforce, require_session, version_of
from .responses import error_response, json_response

log = logging.getLogger("fakeforce.http")
SEASONS = ("Summer", "Winter", "Spring")
ALL_METHODS = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]


def version_label(version: str) -> str:
    index = int(float(version)) - 31
    return f"{SEASONS[index % 3]} '{14 + (index + 2) // 3}"


async def versions(request: Request) -> Response:
    """``GET /services/data/``: no session needed, not counted."""
    return json_response([{"label": version_label(v), "url": f"/services/data/v{v}", "version": v}
                          for v in API_VERSIONS])


def to_response(answer: rest.Answer) -> Response:
    if answer.status == 204 or answer.body is None:
        return Response(status_code=answer.status, headers=answer.headers)
    if answer.media_type != "json":
        return Response(answer.body, status_code=answer.status, media_type=None,
                        headers={"Content-Type": answer.media_type, **answer.headers})
    return json_response(answer.body, answer.status, answer.headers)


def _rest_path(request: Request) -> str:
    """The path after ``/services/data/vXX.X``, from the raw path: Starlette's route pattern ends in ``$``,
    which matches before a trailing newline, so its path parameter would drop a ``%0A`` at the end."""
    full = request.scope.get("path", "")
    prefix = f"/services/data/v{request.path_params.get('version', '')}"
    if full.startswith(prefix):
        return full[len(prefix):] or "/"
    return "/" + request.path_params.get("rest", "")


async def endpoint(request: Request) -> Response:
    """Version and session checked, the request counted against the daily limit, then dispatched."""
    ff = fakeforce(request)
    try:
        version = version_of(request)
        session = require_session(request)
        if not ff.usage.try_spend():
            raise SalesforceError("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", 403)
        call = rest.Call(ff=ff, session=session, version=version, method=request.method,
                         path=_rest_path(request), params=request.query_params,
                         headers=request.headers, raw=await request.body(), base_url=base_url(request))
        method = request.method
        routes: list[str] = []

        def on_route(template: str) -> None:
            routes.append(f"{method} /services/data/v{{version}}{template}")
            ff.usage.count_route(routes[-1])

        response = to_response(rest.dispatch(call, on_route=on_route))
        if await request.is_disconnected():
            # The client went away before its answer: the org did the work, but the caller never got it,
            # so it is not counted against the caller's API usage.
            ff.usage.refund(routes)
            log.info("client went away before its answer: %s %s (not counted)", method, request.url.path)
    except SalesforceError as exc:
        response = error_response(exc)
    if ff.usage.daily_limit:
        response.headers["Sforce-Limit-Info"] = ff.usage.header()
    return response


def routes() -> list[Route]:
    return [
        Route("/services/data", versions, methods=["GET", "HEAD"]),
        Route("/services/data/", versions, methods=["GET", "HEAD"]),
        Route("/services/data/v{version}", endpoint, methods=ALL_METHODS),
        Route("/services/data/v{version}/{rest:path}", endpoint, methods=ALL_METHODS),
    ]

