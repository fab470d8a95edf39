"""syncd's HTTP API (Starlette): event ingest, health, readiness, metrics, the OpenAPI document.

``POST /v1/events`` answers 202 only after the events and their operations are committed to SQLite.
Errors are RFC 9457 problem documents; schema violations carry the JSON pointer of the problem.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .admin import routes as admin_routes
from .bot.api import routes as bot_routes
from .care.api import routes as care_routes
from .console.api import routes as console_routes
from .console.forms_api import routes as form_routes
from .interactions.api import routes as interaction_routes
from .ops.routes import routes as ops_routes
from .guard import Problem, internal_error, is_json, read_bounded
from .events import EventProblem, event_schemas, parse_events
from .webhooks import SignatureError, verify

if TYPE_CHECKING:
    from .service import Runtime

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, pointer: str | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if pointer is not None:
        body["errors"] = [{"pointer": pointer, "detail": detail}]
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """404 for an unknown route, 405 (with ``Allow``) for a wrong method: problem+json like every answer."""
    status = getattr(exc, "status_code", 500)
    headers = dict(getattr(exc, "headers", None) or {})
    if status == 404:
        return problem(404, "Not found", f"syncd has no route {request.url.path[:200]!r}; see /openapi.json")
    if status == 405:
        return problem(405, "Method not allowed", f"{request.method} is not allowed here; allowed: "
                       f"{headers.get('allow', headers.get('Allow', ''))}", headers=headers)
    detail = getattr(exc, "detail", None) or "the request cannot be answered"
    return problem(status, "Error", str(detail), headers=headers)


async def unexpected(request: Request, exc: Exception) -> Response:
    """The last wall: an exception no handler caught is a 500 problem with an id the log also holds."""
    return internal_error(exc, request.url.path)


def create_app(runtime: "Runtime") -> Starlette:
    async def events(request: Request) -> Response:
        started = time.monotonic()
        config = runtime.config
        metrics = runtime.metrics
        if runtime.draining:
            return problem(503, "Shutting down", "syncd is stopping; send again shortly")
        limit = config.webhooks.max_body_bytes
        try:
            body = await read_bounded(request, limit)
        except Problem as exc:
            if exc.status == 413:
                metrics.rejected.labels("too_large").inc()
                return problem(413, "Payload too large", exc.detail)
            return problem(exc.status, "Bad request", exc.detail)
        content_type = request.headers.get("content-type")
        if content_type is not None and not is_json(content_type):
            metrics.rejected.labels("bad_json").inc()
            return problem(415, "Unsupported media type", "events are JSON: send Content-Type "
                           "application/cloudevents+json, application/cloudevents-batch+json or application/json")
        try:
            verify(config.webhooks.secrets, request.headers, body, tolerance=config.webhooks.tolerance_seconds)
        except SignatureError as exc:
            metrics.rejected.labels("signature").inc()
            return problem(401, "Invalid signature", str(exc))
        try:
            parsed = parse_events(body, max_batch=config.webhooks.max_batch)
        except EventProblem as exc:
            metrics.rejected.labels("bad_json" if exc.status == 400 else "schema").inc()
            title = {400: "Malformed JSON", 413: "Batch too large"}.get(exc.status, "Invalid event")
            return problem(exc.status, title, exc.detail, exc.pointer)
        accepted, duplicates = runtime.state.accept(parsed, runtime.handle)
        metrics.events.inc(len(accepted))
        metrics.duplicates.inc(len(duplicates))
        metrics.ingest_latency.observe(time.monotonic() - started)
        return JSONResponse({"accepted": accepted, "duplicates": duplicates}, status_code=202)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        problems = []
        try:
            runtime.state.conn.execute("BEGIN IMMEDIATE")
            runtime.state.conn.execute("ROLLBACK")
        except Exception as exc:  # any failure to take the write lock means "not ready"
            problems.append(f"state not writable: {type(exc).__name__}")
        # a deliberate disconnect (S2) is not unreadiness: events are still taken and kept for later
        if not runtime.client.authenticated and getattr(runtime.client, "connected", True):
            problems.append("Salesforce not authenticated")
        if runtime.draining:
            problems.append("stopping")
        sender_problems = getattr(runtime.sender, "problems", None)
        if callable(sender_problems):
            problems.extend(sender_problems())
        status = 200 if not problems else 503
        return JSONResponse({"ready": not problems, "problems": problems}, status_code=status)

    async def metrics(request: Request) -> Response:
        runtime.sender.refresh_gauges()  # outbox depth and the oldest waiting operation's age
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def schemas(request: Request) -> Response:
        return JSONResponse(event_schemas())

    async def openapi(request: Request) -> Response:
        from .openapi import document

        return Response(json.dumps(document()), media_type="application/json")

    return Starlette(exception_handlers={HTTPException: http_error, Exception: unexpected}, routes=[
        Route("/v1/events", events, methods=["POST"]),
        Route("/v1/event-schemas", schemas, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        *care_routes(runtime),
        *interaction_routes(runtime),  # I1-I5: /v1/interactions
        *bot_routes(runtime),  # B1-B4: /v1/bot
        *form_routes(runtime),  # T5: /v1/console/forms
        *console_routes(runtime),  # T4: /v1/console
        *admin_routes(runtime),  # S1, S2: /v1/admin/salesforce
        *ops_routes(runtime),  # the operator page (issue 17): /ops, /v1/admin/ops
    ])
