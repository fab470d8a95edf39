"""The control surface for tests under ``/_fakeforce/``: reset, seed, clock, faults, counters, sessions,
duplicate rules, a consistent snapshot of the records.

Off unless enabled. With a control token set, every call must carry ``Authorization: Bearer <token>``
(or ``X-Fakeforce-Token: <token>``). Without one, calls are refused unless the instance says the surface
may be open (``Fakeforce.control_without_token``), which :class:`fakeforce.server.FakeforceServer` allows
only for a test-mode server bound to a loopback address: anything else fails closed.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import formats, jsonbody
from ..errors import SalesforceError
from ..seed import SeedError, load_seed
from .context import bearer_token, fakeforce
from .loopback import foreign_origin, loopback_host
from .responses import json_response


def _error(message: str, status: int = 400, code: str = "INVALID_INPUT") -> Response:
    return json_response([{"message": message, "errorCode": code}], status)


def _refusal(request: Request) -> Response | None:
    """Why this caller may not use the control surface, or None when it may."""
    ff = fakeforce(request)
    if not ff.settings.control_enabled:
        return _error("The requested resource does not exist", 404, "NOT_FOUND")
    expected = ff.settings.control_token
    if not expected:
        if ff.control_without_token:
            return _open_refusal(request)
        return _error("the control surface requires a control token on this server", 401, "INVALID_SESSION_ID")
    given = [t for t in (bearer_token(request), request.headers.get("x-fakeforce-token")) if t]
    if not any(hmac.compare_digest(t.encode(), expected.encode()) for t in given):
        return _error("a valid control token is required (Authorization: Bearer <token>)", 401,
                      "INVALID_SESSION_ID")
    return None


def _open_refusal(request: Request) -> Response | None:
    """An open surface (no token) answers only loopback Host names (DNS rebinding) and refuses writes
    from another site's page (a cross-site form POST carries that site's Origin)."""
    if not loopback_host(request):
        return _error("without a control token this server answers only loopback host names "
                      "(127.0.0.1, ::1, localhost)", 403, "INSUFFICIENT_ACCESS")
    if request.method != "GET" and foreign_origin(request):
        return _error("cross-site requests to the control surface are refused (Origin is not this server)",
                      403, "INSUFFICIENT_ACCESS")
    return None


def control(handler):
    async def endpoint(request: Request) -> Response:
        refusal = _refusal(request)
        if refusal is not None:
            return refusal
        body = None
        if request.method in ("POST", "PUT", "PATCH"):
            raw = await request.body()
            if raw.strip():
                try:
                    body = jsonbody.loads(raw)
                except SalesforceError as exc:
                    return json_response(exc.as_array(), exc.status)
        try:
            return await handler(request, body)
        except (ValueError, TypeError) as exc:
            return _error(str(exc))

    return endpoint


async def reset(request: Request, body) -> Response:
    fakeforce(request).reset()
    return json_response({"reset": True})


async def seed(request: Request, body) -> Response:
    if not isinstance(body, dict):
        return _error("the body must be a seed object with 'users' and/or 'records'")
    try:
        refs = load_seed(fakeforce(request).org, body)
    except SeedError as exc:
        return _error(str(exc))
    return json_response({"refs": refs}, 201)


async def clock(request: Request, body) -> Response:
    """GET reads the clock; POST ``{"set": iso, "freeze": bool}`` or ``{"advance_seconds": n}`` moves it."""
    clk = fakeforce(request).org.clock
    if request.method == "POST":
        body = body or {}
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        if "set" in body:
            clk.set(formats.parse_datetime(str(body["set"])), freeze=bool(body.get("freeze", False)))
        elif "advance_seconds" in body:
            seconds = float(body["advance_seconds"])
            if not abs(seconds) <= 100 * 365 * 86400:
                raise ValueError("advance_seconds must be within a hundred years")
            clk.advance(timedelta(seconds=seconds))
        elif body.get("reset"):
            clk.reset()
        else:
            raise ValueError("give 'set', 'advance_seconds' or 'reset'")
    return json_response({"now": formats.format_datetime(clk.now()), "frozen": clk.frozen})


async def faults(request: Request, body) -> Response:
    ff = fakeforce(request)
    if request.method == "POST":
        if not isinstance(body, dict):
            raise ValueError("the body must be a fault object")
        return json_response(ff.faults.add(body).as_dict(), 201)
    if request.method == "DELETE":
        ff.faults.clear()
        return Response(status_code=204)
    return json_response({"faults": ff.faults.list()})


async def fault_item(request: Request, body) -> Response:
    if not fakeforce(request).faults.remove(int(request.path_params["fault_id"])):
        return _error("no such fault", 404, "NOT_FOUND")
    return Response(status_code=204)


async def counters(request: Request, body) -> Response:
    ff = fakeforce(request)
    if request.method == "DELETE":
        ff.usage.reset()
        return Response(status_code=204)
    if request.method == "POST":
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object with api_usage")
        ff.usage.set_used(int(body.get("api_usage", 0)))
    return json_response({"api_usage": ff.usage.used, "daily_limit": ff.usage.daily_limit,
                          "routes": dict(sorted(ff.usage.routes.items()))})


async def sessions(request: Request, body) -> Response:
    """DELETE expires every access token, so clients' refresh paths run."""
    fakeforce(request).sessions.expire_all()
    return Response(status_code=204)


async def duplicate_rules(request: Request, body) -> Response:
    """GET lists the active rules; PUT replaces them (``{"duplicateRules": [...]}``), POST adds one rule,
    DELETE turns them all off. ``POST /_fakeforce/reset`` restores the schema files' rules."""
    org = fakeforce(request).org
    if request.method == "DELETE":
        org.set_duplicate_rules([])
        return Response(status_code=204)
    if request.method == "PUT":
        if not isinstance(body, dict) or not isinstance(body.get("duplicateRules"), list):
            raise ValueError('the body must be {"duplicateRules": [rule, ...]}')
        org.set_duplicate_rules(body["duplicateRules"])
    elif request.method == "POST":
        if not isinstance(body, dict):
            raise ValueError("the body must be one duplicate rule object")
        org.set_duplicate_rules([*org.duplicate_rules, body])
    rules = {"duplicateRules": [r.as_dict() for r in org.duplicate_rules]}
    return json_response(rules, 201 if request.method == "POST" else 200)


async def status(request: Request, body) -> Response:
    ff = fakeforce(request)
    return json_response({"org_id": ff.org.org_id, "admin_user_id": ff.org.admin_user_id,
                          "records": {t: ff.org.store.count(t) for t in ff.org.store.tables()}})


async def snapshot(request: Request, body) -> Response:
    """GET: every table as one consistent copy, in the data file's own format (usable as ``--data FILE``).

    Copying a running org's data file with ``cp`` can catch the snapshot and its journal at different
    moments; this copy is taken under the store's lock, between two transactions.
    """
    tables = fakeforce(request).org.store.snapshot()
    return json_response(tables, headers={"Content-Disposition": 'attachment; filename="fakeforce-org.json"'})


def routes() -> list[Route]:
    p = "/_fakeforce"
    return [
        Route(p, control(status), methods=["GET"]),
        Route(p + "/reset", control(reset), methods=["POST"]),
        Route(p + "/seed", control(seed), methods=["POST"]),
        Route(p + "/clock", control(clock), methods=["GET", "POST"]),
        Route(p + "/faults", control(faults), methods=["GET", "POST", "DELETE"]),
        Route(p + "/faults/{fault_id:int}", control(fault_item), methods=["DELETE"]),
        Route(p + "/counters", control(counters), methods=["GET", "POST", "DELETE"]),
        Route(p + "/sessions", control(sessions), methods=["DELETE"]),
        Route(p + "/duplicate-rules", control(duplicate_rules), methods=["GET", "PUT", "POST", "DELETE"]),
        Route(p + "/snapshot", control(snapshot), methods=["GET"]),
    ]
