"""Management routes for the Salesforce connection (S1, S2).

``POST /v1/admin/salesforce/disconnect`` stops all Salesforce traffic at once, revokes syncd's session
and refresh token, and records the state so a restart stays disconnected; events keep being accepted
and queued. ``POST /v1/admin/salesforce/connect`` logs in by the configured flow and lets the sender
resume where it stopped. ``GET /v1/admin/salesforce`` says whether syncd is connected, since when and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .guard import guarded, problem
from .salesforce.connection import REFRESH_TOKEN_REFUSED, fingerprint
from .salesforce.errors import SalesforceApiError

if TYPE_CHECKING:
    from .service import Runtime

def describe(runtime: "Runtime") -> dict[str, Any]:
    """The connection as ``GET /v1/admin/salesforce`` shows it."""
    client = runtime.client
    sf = runtime.config.salesforce
    return {**client.connection.answer(), "auth": "password" if sf.embedded else sf.auth,
            "instanceUrl": client.instance_url, "session": client.authenticated,
            "needsAuthorization": needs_authorization(runtime)}


def needs_authorization(runtime: "Runtime") -> bool:
    """True when only a new web-server authorization can reconnect: the refresh-token flow with no
    refresh token, or with the very token that was revoked or refused."""
    client = runtime.client
    if not client.uses_refresh_token or client.connected:
        return False
    stored = client.stored_refresh_token()
    return stored is None or client.connection.dead_refresh_token == fingerprint(stored)


def routes(runtime: "Runtime") -> list[Route]:
    async def status(request: Request) -> Response:
        return JSONResponse(describe(runtime))

    async def disconnect(request: Request) -> Response:
        outcomes = await runtime.client.disconnect()
        return JSONResponse({**describe(runtime), "revoked": outcomes})

    async def connect(request: Request) -> Response:
        try:
            await runtime.client.connect()
        except SalesforceApiError as exc:
            state = describe(runtime)
            if exc.code == "DISCONNECTED":
                return problem(409, "NO_REFRESH_TOKEN", exc.message, rule="S1", connection=state)
            if exc.status == 0 or exc.status >= 500:
                return problem(503, "SALESFORCE_UNAVAILABLE", f"Salesforce could not be reached to log in "
                               f"({exc.code}: {exc.message}); still disconnected", rule="S1", connection=state)
            hint = (" The stored refresh token no longer works: run `syncd connect --browser`."
                    if runtime.client.connection.cause == REFRESH_TOKEN_REFUSED else "")
            return problem(502, "SALESFORCE_LOGIN_REFUSED", f"Salesforce refused the login ({exc.code}: "
                           f"{exc.message}).{hint}", rule="S1", salesforce=exc.errors[:1], connection=state)
        return JSONResponse(describe(runtime))

    return [
        Route("/v1/admin/salesforce", guarded(runtime, status), methods=["GET"]),
        Route("/v1/admin/salesforce/disconnect", guarded(runtime, disconnect), methods=["POST"]),
        Route("/v1/admin/salesforce/connect", guarded(runtime, connect), methods=["POST"]),
    ]
