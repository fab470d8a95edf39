"""The operator page's routes.

``GET /v1/admin/ops`` (the operator view as JSON) and ``POST /v1/admin/dead-letters/{id}/replay`` sit
behind the management token like the other ``/v1/admin`` calls (see :func:`daemon.guard.guarded`).
``GET /ops`` is the page: a static shell, with no data in it, whose script asks for the token, keeps it
in the tab's sessionStorage (never in a URL or a cookie, so no other site can make the browser use it)
and fills the page from ``/v1/admin/ops``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..guard import guarded, problem
from . import page, snapshot

if TYPE_CHECKING:
    from ..service import Runtime


def routes(runtime: "Runtime") -> list[Route]:
    async def view(request: Request) -> Response:
        return JSONResponse(snapshot.operator_view(runtime))

    async def replay(request: Request) -> Response:
        raw = request.path_params["oid"]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # "²".isdigit() is True; int() refuses it
            return problem(404, "NOT_A_DEAD_LETTER", f"{raw[:40]!r} is not an operation id")
        oid = int(raw)
        if not runtime.state.replay(oid):  # the same call as `syncd dlq replay`
            return problem(404, "NOT_A_DEAD_LETTER", f"operation {oid} is not a dead letter")
        runtime.sender.refresh_gauges()
        return JSONResponse({"id": oid, "replayed": True})

    async def shell(request: Request) -> Response:
        return HTMLResponse(page.HTML, headers=page.HEADERS)

    async def script(request: Request) -> Response:
        return Response(page.JS, media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    async def style(request: Request) -> Response:
        return Response(page.CSS, media_type="text/css", headers={"Cache-Control": "no-cache"})

    return [
        Route("/v1/admin/ops", guarded(runtime, view), methods=["GET"]),
        Route("/v1/admin/dead-letters/{oid}/replay", guarded(runtime, replay), methods=["POST"]),
        Route("/ops", shell, methods=["GET"]),
        Route("/ops/ops.js", script, methods=["GET"]),
        Route("/ops/ops.css", style, methods=["GET"]),
    ]
