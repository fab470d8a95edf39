"""The ASGI application: routes, fault injection, and a last line that turns any crash into an error array."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import time
import uuid

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import console
from ..bulk1 import http as bulk1_http
from ..instance import Fakeforce
from . import routes_auth, routes_control, routes_openapi, routes_requests, routes_rest
from .recorder import Recorder
from .limits import CONTROL_PREFIX, read_bounded
from .responses import JSON_TYPE, json_response

log = logging.getLogger("fakeforce.http")


def _json_bytes(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


async def _send_json(send: Send, status: int, body: object) -> None:
    data = _json_bytes(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", JSON_TYPE.encode()), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


_DROPPED: contextvars.ContextVar[bool] = contextvars.ContextVar("fakeforce_dropped", default=False)


class _QuietDrops(logging.Filter):
    """uvicorn reports an app that ends without completing its answer ("ASGI callable returned without
    completing response.") at ERROR; for an injected drop fakeforce has already logged one line of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_DROPPED.get() and record.getMessage().startswith("ASGI callable returned without completing"))


_quiet_drops = _QuietDrops()


async def _discard(message: Message) -> None:
    """The answer of a request applied under an ``apply`` fault: it never reaches the client."""


class FaultsAndSafety:
    """Bodies bounded before they are read (:mod:`.limits`), the org-wide limit on concurrent long requests,
    injected faults (never on the control surface), then the app, with any crash turned into Salesforce's
    UNKNOWN_EXCEPTION answer."""

    def __init__(self, app: ASGIApp, ff: Fakeforce) -> None:
        self.app = app
        self.ff = ff
        self._inflight: dict[object, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bounded = await read_bounded(self.ff, scope, receive, send)
        if bounded is None:
            return  # answered 413, or the client left before its body was in
        receive = bounded
        scope = _collapse_slashes(scope)
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
            if fault is None:
                await self._guarded(scope, receive, send)
                return
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if not fault.drop and fault.status is None:  # latency only
                await self._guarded(scope, receive, send)
                return
            if fault.apply:  # the org does the work and commits it; only the answer is lost
                await self._guarded(scope, receive, _discard)
            if fault.drop:
                log.warning("fault %d: dropped the connection of %s %s (%s)", fault.id, scope.get("method"), path,
                            "after applying the request" if fault.apply else "request not applied")
                await self._drop(send)
                return
            await _send_json(send, int(fault.status), [{"message": fault.message, "errorCode": fault.error_code}])
        finally:
            del self._inflight[token]

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if getattr(exc, "fakeforce_error_id", None):
                return  # answered and logged by the app's crash handler
            error_id = _error_id()
            log.exception("unexpected error %s on %s %s", error_id, scope.get("method"), scope.get("path"))
            if not started:
                await _send_json(send, 500, _crash_body(error_id))

    @staticmethod
    async def _drop(send: Send) -> None:
        """Announce a 1024-byte body, send 5 bytes and stop: uvicorn closes the connection and the client
        sees it broken mid-answer. The app returning early (rather than a protocol error) keeps the log to
        fakeforce's one line: uvicorn's own complaint about the unfinished answer is filtered out."""
        _DROPPED.set(True)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", JSON_TYPE.encode()), (b"content-length", b"1024")]})
        await send({"type": "http.response.body", "body": b'{"dro', "more_body": True})


def _collapse_slashes(scope: Scope) -> Scope:
    """An org's front end serves ``//services//data/...`` as ``/services/data/...``; the Salesforce CLI sends a
    leading ``//`` when the instance URL it keeps ends in ``/`` (after ``sf org login access-token``)."""
    path = scope.get("path", "")
    if "//" not in path:
        return scope
    collapsed = re.sub(r"/{2,}", "/", path)
    raw = scope.get("raw_path")
    fixed = dict(scope, path=collapsed)
    if isinstance(raw, bytes):
        fixed["raw_path"] = re.sub(rb"/{2,}", b"/", raw)
    return fixed


def _error_id() -> str:
    return str(uuid.uuid4().int)[:10]


def _crash_body(error_id: str) -> list[dict]:
    return [{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred. Please include this "
             f"ErrorId if you contact support: {error_id}-0 (fakeforce)"}]


async def _crash(request, exc: Exception) -> Response:
    """Starlette's last handler: a crash answers Salesforce's 500 array (not Starlette's plain text)."""
    error_id = _error_id()
    log.error("unexpected error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc)
    exc.fakeforce_error_id = error_id  # type: ignore[attr-defined]
    return json_response(_crash_body(error_id), 500)


async def _http_error(request, exc) -> Response:
    if exc.status_code == 405:
        allowed = (exc.headers.get("Allow", "") if exc.headers else "").replace(", ", ",")
        return json_response([{"errorCode": "METHOD_NOT_ALLOWED", "message": f"HTTP Method '{request.method}' not "
                               f"allowed. Allowed are {allowed}"}], 405, {"Allow": allowed.replace(",", ", ")})
    if exc.status_code == 404:
        return json_response([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], 404)
    return json_response([{"errorCode": "UNKNOWN_EXCEPTION", "message": str(exc.detail)}], exc.status_code)


def create_app(ff: Fakeforce) -> ASGIApp:
    app = Starlette(routes=[*routes_auth.routes(), *routes_control.routes(), *routes_requests.routes(),
                            *routes_openapi.routes(), *routes_rest.routes(),
                            *bulk1_http.routes(),
                            *console.routes()],  # the web console (issue 17)
                    exception_handlers={HTTPException: _http_error, Exception: _crash})
    app.router.redirect_slashes = False
    app.state.fakeforce = ff
    uvicorn_log = logging.getLogger("uvicorn.error")
    if _quiet_drops not in uvicorn_log.filters:
        uvicorn_log.addFilter(_quiet_drops)
    return Recorder(FaultsAndSafety(app, ff), ff)
