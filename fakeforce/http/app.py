"""The ASGI application: routes, fault injection, and a last line that turns any crash into an error array."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..instance import Fakeforce
from . import routes_auth, routes_control, routes_openapi, routes_rest
from .responses import JSON_TYPE, json_response

log = logging.getLogger("fakeforce.http")
CONTROL_PREFIX = "/_fakeforce"


def _json_bytes(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


async def _send_json(send: Send, status: int, body: object) -> None:
    data = _json_bytes(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", JSON_TYPE.encode()), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


class FaultsAndSafety:
    """The org-wide limit on concurrent long requests, injected faults (never on the control surface), then
    the app, with any crash turned into Salesforce's UNKNOWN_EXCEPTION answer."""

    def __init__(self, app: ASGIApp, ff: Fakeforce) -> None:
        self.app = app
        self.ff = ff
        self._inflight: dict[object, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith(CONTROL_PREFIX):
            await self._guarded(scope, receive, send)
            return
        token = object()
        settings = self.ff.settings
        now = time.monotonic()
        long_running = sum(1 for started in self._inflight.values()
                           if now - started >= settings.long_request_seconds)
        if long_running >= settings.max_long_requests:
            await _send_json(send, 403, [{"message": "ConcurrentPerOrgLongTxn Limit exceeded.",
                                          "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
            return
        self._inflight[token] = now
        try:
            fault = self.ff.faults.pick(scope.get("method", "GET"), path)
            if fault is not None:
                if fault.latency_ms:
                    await asyncio.sleep(fault.latency_ms / 1000)
                if fault.drop:
                    await self._drop(send)
                    return
                if fault.status is not None:
                    await _send_json(send, fault.status, [{"message": fault.message,
                                                           "errorCode": fault.error_code}])
                    return
            await self._guarded(scope, receive, send)
        finally:
            del self._inflight[token]

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            error_id = str(uuid.uuid4().int)[:10]
            log.exception("unexpected error %s on %s %s", error_id, scope.get("method"), scope.get("path"))
            if not started:
                await _send_json(send, 500, [{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error "
                                              f"occurred. Please include this ErrorId if you contact support: "
                                              f"{error_id}-0 (fakeforce)"}])

    @staticmethod
    async def _drop(send: Send) -> None:
        """Announce a body and close the connection before it arrives: the client sees a broken connection."""
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", JSON_TYPE.encode()), (b"content-length", b"1024")]})
        await send({"type": "http.response.body", "body": b'{"dro', "more_body": False})


async def _http_error(request, exc) -> Response:
    if exc.status_code == 405:
        allowed = exc.headers.get("Allow", "") if exc.headers else ""
        return json_response([{"errorCode": "METHOD_NOT_ALLOWED", "message": f"HTTP Method '{request.method}' not "
                               f"allowed. Allowed are {allowed.replace(', ', ',')}"}], 405)
    if exc.status_code == 404:
        return json_response([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], 404)
    return json_response([{"errorCode": "UNKNOWN_EXCEPTION", "message": str(exc.detail)}], exc.status_code)


def create_app(ff: Fakeforce) -> ASGIApp:
    app = Starlette(routes=[*routes_auth.routes(), *routes_control.routes(), *routes_openapi.routes(), *routes_rest.routes()],
                    exception_handlers={HTTPException: _http_error})
    app.router.redirect_slashes = False
    app.state.fakeforce = ff
    return FaultsAndSafety(app, ff)
