"""The interaction calls (I1-I5), thin: validate, call ``service.Interactions``, answer.

* ``POST /v1/interactions``: log a handled interaction; answers the Task's Id (201 when it was created now,
  200 when it existed: a retry or a second send of the same interaction).
* ``GET /v1/interactions/{channel}/{id}``: the Task as Salesforce has it, with its people.
* ``POST .../take``, ``POST .../finish``, ``PATCH .../relations``: the agent's follow-ups (I5).

Every call goes through ``guard.guarded`` (Host, bearer token, body bounds, problem+json). Salesforce that
cannot be asked now answers 503 SALESFORCE_UNAVAILABLE with nothing changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..guard import Problem, guarded, json_body, validated
from ..salesforce.errors import SalesforceApiError
from .events import FinishV1, InteractionId, InteractionV1, RelationsV1, TakeV1, key_of
from .rules import Refusal

if TYPE_CHECKING:
    from ..service import Runtime

CHANNELS = ("phone", "chat", "email")
_ID = TypeAdapter(InteractionId)




def _key(request: Request) -> str:
    channel, interaction_id = request.path_params["channel"], request.path_params["interaction_id"]
    try:
        _ID.validate_python(interaction_id)
    except ValidationError:
        interaction_id = ""
    if channel not in CHANNELS or not interaction_id:
        raise Problem(404, "NOT_FOUND", f"No interaction {channel[:20]}/{interaction_id[:200]}: the channel is "
                      f"one of {', '.join(CHANNELS)} and the id has no spaces, slashes or URL punctuation")
    return key_of(channel, interaction_id)


async def _run(coroutine) -> Any:
    """The service's outcome, its refusals and Salesforce's failures as problem documents."""
    try:
        return await coroutine
    except Refusal as exc:
        raise Problem(exc.status, exc.code, exc.message, rule=exc.rule, field=exc.pointer) from None
    except SalesforceApiError as exc:
        if exc.org_wide or exc.retryable or exc.status in (0, 401):
            raise Problem(503, "SALESFORCE_UNAVAILABLE", f"Salesforce did not accept the request now ({exc.code}: "
                          f"{exc.message}); nothing was changed, try again later", rule="S3") from None
        raise Problem(422, exc.code, f"Salesforce refused it: {exc.message}", rule="I1") from None


def routes(runtime: "Runtime") -> list[Route]:
    async def log(request: Request) -> Response:
        body = validated(InteractionV1, await json_body(request)).model_dump(mode="json")
        answer = await _run(runtime.interactions.log(body))
        return JSONResponse(answer, status_code=201 if answer["created"] else 200)

    async def show(request: Request) -> Response:
        return JSONResponse(await _run(runtime.interactions.state_of(_key(request))))

    async def take(request: Request) -> Response:
        key = _key(request)
        body = validated(TakeV1, await json_body(request))
        return JSONResponse(await _run(runtime.interactions.take(key, body.agent.email)))

    async def finish(request: Request) -> Response:
        key = _key(request)
        body = validated(FinishV1, await json_body(request))
        return JSONResponse(await _run(runtime.interactions.finish(key, body.status, body.agent.email if body.agent else None)))

    async def relations(request: Request) -> Response:
        key = _key(request)
        body = validated(RelationsV1, await json_body(request)).model_dump(mode="json")
        return JSONResponse(await _run(runtime.interactions.relate(key, body)))

    base = "/v1/interactions/{channel}/{interaction_id}"
    return [
        Route("/v1/interactions", guarded(runtime, log), methods=["POST"]),
        Route(base, guarded(runtime, show), methods=["GET"]),
        Route(f"{base}/take", guarded(runtime, take), methods=["POST"]),
        Route(f"{base}/finish", guarded(runtime, finish), methods=["POST"]),
        Route(f"{base}/relations", guarded(runtime, relations), methods=["PATCH"]),
    ]
