"""``GET/DELETE /_fakeforce/requests``: the request journal (:mod:`fakeforce.requestlog`), newest first,
filtered by path, method, status and time, behind the control surface's token like every control call."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..requestlog import Filter, parse_status
from .context import fakeforce
from .responses import json_response
from .routes_control import control

MAX_LIMIT = 10_000


def _filter(request: Request) -> Filter:
    """The filter the query string asks for; ValueError (answered 400 by ``control``) for a bad one."""
    params = request.query_params
    unknown = set(params) - {"path", "method", "status", "since", "limit"}
    if unknown:
        raise ValueError(f"unknown parameter {sorted(unknown)[0]!r}: use path, method, status, since, limit")
    since = None
    if params.get("since"):
        try:
            since = datetime.fromisoformat(params["since"].replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("since: an ISO 8601 time such as 2026-12-02T10:00:00Z") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
    limit = params.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise ValueError(f"limit: a whole number from 1 to {MAX_LIMIT}")
    return Filter(path=params.get("path") or None, method=params.get("method") or None,
                  status=parse_status(params["status"]) if params.get("status") else None,
                  since=since, limit=int(limit))


async def requests(request: Request, body) -> Response:
    log = fakeforce(request).requests
    if request.method == "DELETE":
        log.clear()
        return Response(status_code=204)
    found = log.find(_filter(request))
    return json_response({"size": log.size, "kept": len(log), "droppedSinceClear": log.dropped,
                          "returned": len(found), "requests": [e.as_json() for e in found]})


def routes() -> list[Route]:
    return [Route("/_fakeforce/requests", control(requests), methods=["GET", "DELETE"])]
