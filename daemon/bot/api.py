"""The chatbot calls (B1-B4), as a bot flow builder makes them: thin routes that check the body, run the
action (``actions.py``) and answer. Every call goes through ``guard.guarded`` (Host, bearer token, JSON
body bounds, problem+json for any failure), like the care calls.

* ``POST /v1/bot/records`` (B1) ``{object, fields}`` -> 201 ``{id, object}``; header ``Idempotency-Key``.
* ``POST /v1/bot/records/find`` (B2) ``{object, field, value, fields}`` -> ``{found, id, variables}``.
* ``POST /v1/bot/query`` (B3) ``{soql, variables}`` -> ``{count, totalSize, truncated, rows, variables, soql}``.
* ``POST /v1/bot/route`` (B4) ``{visitor, session, customVariables, preChat}`` -> ``{found, contactId,
  accountId, accountMatchedBy, variables, cached, fetchedAt}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..guard import Problem, guarded, json_body, validated
from .actions import BotActions, Refused
from .options import FIELD_PATH
from .rules import NAME, Refusal

if TYPE_CHECKING:
    from ..service import Runtime

Scalar = Union[StrictBool, StrictInt, StrictFloat, str, None]
Value = Union[StrictBool, StrictInt, StrictFloat, str]
MAX_KEY = 255


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _object(value: str) -> str:
    if NAME.fullmatch(value) is None:
        raise ValueError("not an object API name (letters, digits and _, such as Contact or Tier__c)")
    return value


def _paths(value: list[str]) -> list[str]:
    for index, name in enumerate(value):
        if FIELD_PATH.fullmatch(name) is None:
            raise ValueError(f"item {index} ({name[:80]!r}) is not a field name or path such as Account.Owner.Email")
    return value


class CreateBody(Strict):
    object: str = Field(max_length=80)
    fields: dict[str, Scalar] = Field(default_factory=dict, max_length=500)
    """Field API name -> value (text, number, boolean or null)."""

    _check_object = field_validator("object")(_object)

    @field_validator("fields")
    @classmethod
    def _names(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        for name in value:
            if NAME.fullmatch(name) is None:
                raise ValueError(f"{name[:80]!r} is not a field API name")
        return value


class FindBody(Strict):
    object: str = Field(max_length=80)
    field: str = Field(max_length=400)
    value: Value
    fields: list[str] = Field(default_factory=list, max_length=100)

    _check_object = field_validator("object")(_object)
    _check_fields = field_validator("fields")(_paths)

    @field_validator("field")
    @classmethod
    def _field(cls, value: str) -> str:
        return _paths([value])[0]

    @field_validator("value")
    @classmethod
    def _value(cls, value: Value) -> Value:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; a find compares a value (an empty one would match every blank field)")
        return value


class QueryBody(Strict):
    soql: str = Field(min_length=1, max_length=20_000)
    variables: dict[str, Any] = Field(default_factory=dict, max_length=200)


class RouteBody(Strict):
    visitor: dict[str, Any] = Field(default_factory=dict)
    session: dict[str, Any] = Field(default_factory=dict)
    customVariables: dict[str, Any] = Field(default_factory=dict)
    preChat: dict[str, Any] = Field(default_factory=dict)




def _problem(refusal: Refusal) -> Problem:
    extra: dict[str, Any] = {}
    if refusal.salesforce:
        extra["salesforce"] = refusal.salesforce
        extra["fields"] = refusal.fields
    rule = "S3" if refusal.status == 503 else None
    return Problem(refusal.status, refusal.code, refusal.detail, rule=rule, field=refusal.pointer, **extra)


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY or not key.isascii() or not key.isprintable() or key != key.strip():
        raise Problem(400, "BAD_IDEMPOTENCY_KEY", f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII "
                      "characters without surrounding spaces (a UUID, for example)")
    return key


def routes(runtime: "Runtime") -> list[Route]:
    actions = BotActions(runtime)

    async def create(request: Request) -> Response:
        """B1: create a record of any object from the given field values."""
        key = idempotency_key(request)
        body = validated(CreateBody, await json_body(request))
        try:
            answer, replayed = await actions.create(body.object, body.fields, key)
        except Refused as exc:
            raise _problem(exc.refusal) from None
        return JSONResponse(answer, status_code=201, headers={"Idempotent-Replayed": "true"} if replayed else None)

    async def find(request: Request) -> Response:
        """B2: the first record (oldest CreatedDate, then Id) whose field has the value."""
        body = validated(FindBody, await json_body(request))
        try:
            return JSONResponse(await actions.find(body.object, body.field, body.value, body.fields))
        except Refused as exc:
            raise _problem(exc.refusal) from None

    async def query(request: Request) -> Response:
        """B3: the author's SELECT with the conversation's variables bound as literals, capped."""
        body = validated(QueryBody, await json_body(request))
        try:
            return JSONResponse(await actions.query(body.soql, body.variables))
        except Refused as exc:
            raise _problem(exc.refusal) from None

    async def route(request: Request) -> Response:
        """B4: the matched Contact's and its Account's configured fields, from the cache when fresh."""
        body = validated(RouteBody, await json_body(request))
        try:
            return JSONResponse(await actions.route(body.model_dump()))
        except Refused as exc:
            raise _problem(exc.refusal) from None

    return [
        Route("/v1/bot/records", guarded(runtime, create), methods=["POST"]),
        Route("/v1/bot/records/find", guarded(runtime, find), methods=["POST"]),
        Route("/v1/bot/query", guarded(runtime, query), methods=["POST"]),
        Route("/v1/bot/route", guarded(runtime, route), methods=["POST"]),
    ]
