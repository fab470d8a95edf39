"""Responses in Salesforce's shapes: JSON with its content type, error arrays, 405 with the allowed verbs."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from ..errors import SalesforceError

JSON_TYPE = "application/json;charset=UTF-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status,
                    media_type=None, headers={"Content-Type": JSON_TYPE, **(headers or {})})


def error_response(error: SalesforceError) -> Response:
    return json_response(error.as_array(), error.status, error.headers)
