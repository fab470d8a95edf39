"""The gate of every synchronous call (the care calls, the management calls under ``/v1/admin``).

``guarded(runtime, handler)`` checks, in this order, before the handler runs:

* the ``Host`` header (and ``Origin`` when sent) names syncd itself, so a page whose DNS name was
  rebound to 127.0.0.1 cannot reach the API from a browser (421 / 403);
* a bearer token from ``service.api_tokens`` (401), unless ``service.allow_unauthenticated`` is set;
* a body, when there is one, is JSON (415) and not larger than ``service.api_max_body_bytes`` (413).

Whatever the handler raises becomes an RFC 9457 problem document: a ``Problem`` its own status, a
Salesforce failure 503/502, anything else a 500 with an error id that is logged with the traceback.
``json_body(request)`` reads the bounded body into a dict or raises the fitting 400/413/415/422 problem.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pydantic import BaseModel, ValidationError

from .salesforce.errors import SalesforceApiError
from .strictjson import JsonProblem, loads

if TYPE_CHECKING:
    from .service import Runtime

PROBLEM = "application/problem+json"
DEFAULT_BODY_LIMIT = 64 * 1024
log = logging.getLogger("syncd.api")

Handler = Callable[[Request], Awaitable[Response]]


class Problem(Exception):
    """A refusal with its HTTP status and code; ``field`` (a JSON pointer) says which input was wrong."""

    def __init__(self, status: int, code: str, detail: str, *, rule: str | None = None,
                 field: str | None = None, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.rule, self.field = status, code, detail, rule, field
        self.headers = headers
        self.extra = extra

    def response(self) -> JSONResponse:
        return problem(self.status, self.code, self.detail, rule=self.rule, field=self.field,
                       headers=self.headers, **self.extra)


def problem(status: int, code: str, detail: str, rule: str | None = None, *, field: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document; ``code`` is both the title and a stable machine-readable code."""
    body: dict[str, Any] = {"type": "about:blank", "title": code, "status": status, "detail": detail,
                            "code": code, **extra}
    if rule:
        body["rule"] = rule
    if field is not None:
        body["errors"] = [{"pointer": field, "detail": detail}]
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def internal_error(exc: BaseException, where: str) -> JSONResponse:
    """A 500 for an exception nobody expected: the caller gets an id, the log gets the traceback."""
    error_id = uuid.uuid4().hex
    log.error("unexpected error answering a request", exc_info=(type(exc), exc, exc.__traceback__),
              extra={"error_id": error_id, "path": where})
    return problem(500, "INTERNAL_ERROR", f"syncd failed to answer this request; the log has error id {error_id}",
                   errorId=error_id)


# --- Host and Origin ---------------------------------------------------------------------------------

def allowed_hosts(service: Any) -> set[str]:
    """The ``Host`` values syncd answers to: ``service.allowed_hosts`` (host or host:port, lower case),
    else the listen address and localhost / 127.0.0.1 / [::1], each with and without the port."""
    configured = getattr(service, "allowed_hosts", None) or []
    if configured:
        return {h.lower() for h in configured}
    host, port = service.host_port
    names = {host.lower(), "localhost", "127.0.0.1", "[::1]"}
    if ":" in host and not host.startswith("["):
        names.add(f"[{host.lower()}]")
    names.discard("0.0.0.0")
    names.discard("[::]")
    return {n for name in names for n in (name, f"{name}:{port}")}


def _host_ok(value: str, allowed: set[str], port: int) -> bool:
    value = value.strip().lower()
    if value in allowed:
        return True
    name, _, given_port = value.rpartition(":") if not value.endswith("]") else (value, "", "")
    # a configured bare name allows it on syncd's own port
    return bool(given_port) and given_port == str(port) and name in allowed


def check_origin(runtime: "Runtime", request: Request) -> None:
    """421 when ``Host`` is not syncd's own name, 403 when a browser ``Origin`` is foreign."""
    service = runtime.config.service
    allowed = allowed_hosts(service)
    port = service.host_port[1]
    host = request.headers.get("host", "")
    if not _host_ok(host, allowed, port):
        raise Problem(421, "MISDIRECTED_REQUEST", f"this syncd does not answer to Host {host[:200]!r}; "
                      "add it to service.allowed_hosts if it is a name of this syncd")
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not _host_ok(parts.netloc, allowed, port):
            raise Problem(403, "FORBIDDEN_ORIGIN", f"requests from origin {origin[:200]!r} are not allowed")


# --- bearer token -----------------------------------------------------------------------------------

def check_token(runtime: "Runtime", request: Request) -> None:
    service = runtime.config.service
    tokens = [t for t in service.api_tokens if t]
    if not tokens and getattr(service, "allow_unauthenticated", False):
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    # compare with every token, so the time taken does not say which one nearly matched
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode("utf-8"))
    if scheme.lower() != "bearer" or not given or not matched:
        raise Problem(401, "UNAUTHORIZED", "a valid bearer token is required (Authorization: Bearer <token>)",
                      headers={"WWW-Authenticate": 'Bearer realm="syncd"'})


# --- body ---------------------------------------------------------------------------------------------

def body_limit(runtime: "Runtime") -> int:
    return getattr(runtime.config.service, "api_max_body_bytes", DEFAULT_BODY_LIMIT)


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return bool(request.headers.get("transfer-encoding")) or (length is not None and length.strip() not in ("", "0"))


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def check_content_type(request: Request) -> None:
    if _has_body(request) and not is_json(request.headers.get("content-type", "")):
        raise Problem(415, "UNSUPPORTED_MEDIA_TYPE", "the body must be JSON (Content-Type: application/json)",
                      headers={"Accept-Post": "application/json"} if request.method == "POST" else None)


def check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise Problem(400, "BAD_REQUEST", "Content-Length is not a number")
        if int(declared) > limit:
            raise Problem(413, "PAYLOAD_TOO_LARGE", f"the body may be at most {limit} bytes")


async def read_bounded(request: Request, limit: int) -> bytes:
    """The body, refused (413) from its Content-Length or as soon as the stream passes ``limit``."""
    check_declared_length(request, limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "PAYLOAD_TOO_LARGE", f"the body may be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request, limit: int | None = None) -> dict:
    """The request's JSON object (``{}`` for an empty body), or a 400/413/415/422 Problem."""
    if limit is None:
        limit = getattr(request.state, "body_limit", DEFAULT_BODY_LIMIT)
    check_content_type(request)
    raw = await read_bounded(request, limit)
    if not raw.strip():
        return {}
    try:
        data = loads(raw)
    except JsonProblem as exc:
        if exc.pointer is None:
            raise Problem(400, "MALFORMED_JSON", exc.detail) from None
        raise Problem(422, "INVALID_TEXT", f"{exc.pointer or 'the body'}: {exc.detail}", field=exc.pointer) from None
    if not isinstance(data, dict):
        raise Problem(422, "INVALID_BODY", "the body must be a JSON object", field="")
    return data


def salesforce_problem(exc: SalesforceApiError) -> Problem:
    if exc.status == 0 or exc.status >= 500 or getattr(exc, "retryable", False) or exc.status == 401:
        return Problem(503, "SALESFORCE_UNAVAILABLE", f"Salesforce did not answer now ({exc.code}); try again later",
                       rule="S3")
    return Problem(502, "SALESFORCE_REFUSED", f"Salesforce refused the request ({exc.code}: {exc.message})")


def guarded(runtime: "Runtime", handler: Handler, *, limit: int | None = None) -> Handler:
    """``handler`` behind the Host, token and body checks; every exception becomes problem+json."""

    async def endpoint(request: Request) -> Response:
        try:
            check_origin(runtime, request)
            check_token(runtime, request)
            check_content_type(request)
            bound = limit if limit is not None else body_limit(runtime)
            check_declared_length(request, bound)  # before any byte is read, whether the handler reads or not
            request.state.body_limit = bound
            return await handler(request)
        except Problem as exc:
            return exc.response()
        except SalesforceApiError as exc:
            return salesforce_problem(exc).response()
        except Exception as exc:  # never a traceback to the caller
            return internal_error(exc, request.url.path)

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    endpoint.__doc__ = handler.__doc__
    return endpoint


def validated(model: type[BaseModel], data: Any) -> Any:
    """``data`` validated by ``model``, or a 422 naming the first wrong input (a JSON pointer)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        pointer = "".join(f"/{p}" for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        raise Problem(422, "INVALID_BODY", f"{pointer or 'the body'}: {message}", field=pointer) from None
