"""The agent console calls (T4), as a chat or care console makes them while the agent chats. Every
call goes through ``guard.guarded`` (Host, bearer token, JSON body bounds, problem+json).

* ``GET /v1/console/chats/{chatKey}/visitor`` -> who the visitor is in Salesforce: the matched Contact or
  Lead and Account with the ``[console] display_fields`` and Lightning links, the manual actions offered,
  the pick made; from syncd's cache for ``recognise_cache_seconds``.
* ``POST /v1/console/chats/{chatKey}/action`` ``{action, fields?}`` -> 201 the picked action and the person
  record written at once; the Case or Task is attached when the chat ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..guard import guarded, json_body, validated
from .actions import Console
from .rules import FIELD

if TYPE_CHECKING:
    from ..service import Runtime

Scalar = Union[StrictBool, StrictInt, StrictFloat, str, None]


class PickBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["lead_task", "case", "contact_case", "contact_task"]
    fields: dict[str, Scalar] = Field(default_factory=dict, max_length=500)
    """The agent's edits of the pre-filled person fields: field API name -> value (null blanks it)."""

    @field_validator("fields")
    @classmethod
    def _names(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        for name in value:
            if FIELD.fullmatch(name) is None:
                raise ValueError(f"{name[:80]!r} is not a field API name")
        return value


def routes(runtime: "Runtime") -> list[Route]:
    console = Console(runtime)

    async def visitor(request: Request) -> Response:
        """Who the chat's visitor is in Salesforce (M1-M4), with display fields and record links."""
        return JSONResponse(await console.recognise(request.path_params["chat_key"]))

    async def action(request: Request) -> Response:
        """T4: the agent's one action for a manual chat; the person record is written at once."""
        key = request.path_params["chat_key"]
        console._chat(key)  # an unknown chat is a 404 whatever the body
        body = validated(PickBody, await json_body(request))
        answer, replayed = await console.pick(key, body.action, body.fields)
        return JSONResponse(answer, status_code=200 if replayed else 201,
                            headers={"Idempotent-Replayed": "true"} if replayed else None)

    return [
        Route("/v1/console/chats/{chat_key}/visitor", guarded(runtime, visitor), methods=["GET"]),
        Route("/v1/console/chats/{chat_key}/action", guarded(runtime, action), methods=["POST"]),
    ]
