"""Responses in Salesforce's shapes: JSON with its content type, error arrays, 405 with the allowed verbs."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..errors import SalesforceError

JSON_TYPE = "application/json;charset=UTF-8"
Handler = Callable[[Request], Awaitable[Response]]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status,
                    media_type=None, headers={"Content-Type": JSON_TYPE, **(headers or {})})


def error_response(error: SalesforceError) -> Response:
    return json_response(error.as_array(), error.status)


def method_not_allowed(method: str, allowed: list[str]) -> SalesforceError:
    verbs = sorted(set(allowed) | ({"HEAD"} if "GET" in allowed else set()))
    return SalesforceError("METHOD_NOT_ALLOWED",
                           f"HTTP Method '{method}' not allowed. Allowed are {','.join(verbs)}", 405)


async def read_json(request: Request, limit: int) -> Any:
    """The request body as JSON, or Salesforce's JSON_PARSER_ERROR pointing at the line and column."""
    raw = await request.body()
    if len(raw) > limit:
        raise SalesforceError("REQUEST_ENTITY_TOO_LARGE",
                              f"Request body of {len(raw)} bytes exceeds the limit of {limit} bytes", 413)
    if not raw.strip():
        raise SalesforceError("JSON_PARSER_ERROR", "No content to map due to end-of-input at [line:1, column:0]")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SalesforceError("JSON_PARSER_ERROR", "Invalid UTF-8 start byte at [line:1, column:1]") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        bad = text[exc.pos] if exc.pos < len(text) else ""
        detail = (f"Unexpected character ('{bad}' (code {ord(bad)}))" if bad else "Unexpected end-of-input")
        raise SalesforceError("JSON_PARSER_ERROR",
                              f"{detail}: {exc.msg} at [line:{exc.lineno}, column:{exc.colno}]") from None
