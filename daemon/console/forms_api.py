"""T5 over HTTP: ``GET /v1/console/forms/{object}?chat={chatKey}`` answers the form for creating a Lead,
Contact, Case or Task by hand (``forms.py`` builds it), pre-filled from the chat's field mapping.

The object's describe and page layout are fetched together (ONE composite request) and kept in memory
for ``[forms] cache_seconds``: a form answered from the cache costs no Salesforce request. Concurrent
misses for one object wait for the first. Salesforce down: 503 SALESFORCE_UNAVAILABLE (S3), nothing
cached. Also the OpenAPI entries of the call (``SCHEMAS``, ``paths()``), merged by ``daemon/openapi.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..bot.actions import KeyLocks
from ..chat import transcript
from ..chat.options import OBJECTS as CHAT_OBJECTS
from ..chat.store import ChatStore
from ..guard import Problem, guarded
from ..salesforce.errors import SalesforceApiError
from . import forms
from .forms import FORM_OBJECTS, FormsOptions

if TYPE_CHECKING:
    from ..service import Runtime

CHAT_KEY = re.compile(r"(chat|offline|inbox):[^\s]{1,255}")


@dataclass
class Metadata:
    describe: dict
    layouts: dict | None
    fetched_at: float


def options_of(runtime: "Runtime") -> FormsOptions:
    return getattr(runtime.config, "forms", None) or FormsOptions()


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat()


class FormMetadata:
    """Per object: the describe and the describe/layouts answer, fetched in one request, reused while fresh."""

    def __init__(self, runtime: "Runtime") -> None:
        self.runtime = runtime
        self.entries: dict[str, Metadata] = {}
        self.locks = KeyLocks()

    def _now(self) -> float:
        return self.runtime.now().timestamp()  # syncd's clock: scenarios age the cache with it

    async def get(self, sobject: str) -> tuple[Metadata, bool]:
        """(the object's metadata, whether it came from the cache)."""
        ttl = options_of(self.runtime).cache_seconds
        async with self.locks.hold(sobject):
            hit = self.entries.get(sobject)
            if hit is not None and self._now() - hit.fetched_at < ttl:
                return hit, True
            fresh = await self._fetch(sobject)
            if ttl > 0:
                self.entries[sobject] = fresh
            return fresh, False

    async def _fetch(self, sobject: str) -> Metadata:
        client = self.runtime.client
        base = f"/services/data/v{client.config.api_version}/sobjects/{quote(sobject, safe='')}"
        answers = await client.composite([
            {"method": "GET", "referenceId": "describe", "url": f"{base}/describe"},
            {"method": "GET", "referenceId": "layouts", "url": f"{base}/describe/layouts"}])
        describe, layouts = answers[0], answers[1]
        status = describe.get("httpStatusCode", 500)
        if status >= 300:
            errors = describe.get("body") if isinstance(describe.get("body"), list) else []
            if status == 404:
                raise Problem(404, "OBJECT_NOT_IN_ORG", f"the org has no object {sobject} that the integration "
                              "user may see (Salesforce answered NOT_FOUND to its describe)", rule="T5")
            raise SalesforceApiError(status, errors)  # the guard answers 503 or 502
        # An object without page layouts (or a user without access to them) gets the describe order.
        layout_body = layouts.get("body") if layouts.get("httpStatusCode", 500) < 300 else None
        return Metadata(describe["body"], layout_body if isinstance(layout_body, dict) else None, self._now())


def chat_context(runtime: "Runtime", key: str) -> dict[str, Any]:
    """The mapping sources of a stored chat (F2), or 404 when syncd has no chat with that key."""
    if CHAT_KEY.fullmatch(key) is None:
        raise Problem(422, "INVALID_CHAT_KEY", "chat must be a chat key such as chat:<chatId>, offline:<messageId> "
                      "or inbox:<conversationId>", parameter="chat")
    chat = ChatStore(runtime.state.conn).chat(key)
    if chat is None:
        raise Problem(404, "CHAT_NOT_FOUND", f"syncd has no chat {key[:80]!r}: forms are pre-filled from a chat "
                      "whose events syncd received", parameter="chat")
    return transcript.context(chat["kind"], key, chat["data"], runtime.config.chat.description_limit)


def routes(runtime: "Runtime") -> list[Route]:
    metadata = FormMetadata(runtime)

    async def form(request: Request) -> Response:
        """T5: the fields to create the object with, in the org's layout order, pre-filled from the chat."""
        name = request.path_params["object"]
        sobject = forms.form_object(name)
        if sobject is None:
            raise Problem(404, "UNKNOWN_FORM", f"there is no form for {name[:80]!r}: forms exist for "
                          f"{', '.join(FORM_OBJECTS)}", rule="T5")
        unknown = set(request.query_params) - {"chat"}
        if unknown:
            raise Problem(400, "UNKNOWN_PARAMETER", f"unknown query parameter {sorted(unknown)[0][:80]!r}; "
                          "the only one is chat")
        key = request.query_params.get("chat")
        context = chat_context(runtime, key) if key else {}
        meta, cached = await metadata.get(sobject)
        mapping = runtime.config.chat.mapping(sobject) if sobject in CHAT_OBJECTS else {}
        chat = runtime.config.chat
        body = forms.build_form(sobject, meta.describe, meta.layouts, mapping, context,
                                include_off_layout=options_of(runtime).include_fields_off_layout,
                                hidden=(chat.contact_key_field, chat.conversation_key_field))
        return JSONResponse({**body, "chat": key, "cached": cached, "fetchedAt": _iso(meta.fetched_at)})

    return [Route("/v1/console/forms/{object}", guarded(runtime, form), methods=["GET"])]


# -- OpenAPI --------------------------------------------------------------------------------------------
_NULLABLE_TEXT = {"type": ["string", "null"]}
SCHEMAS: dict[str, Any] = {
    "ConsoleFormField": {"type": "object", "required": ["name", "label", "type", "custom", "required", "requiredBy",
                                                          "onLayout", "value", "picklist"], "properties": {
        "name": {"type": "string"}, "label": {"type": "string"},
        "type": {"type": "string", "description": "Salesforce's field type: string, picklist, date, reference..."},
        "custom": {"type": "boolean"}, "required": {"type": "boolean"},
        "requiredBy": {"type": "array", "items": {"enum": ["salesforce", "layout"]}},
        "onLayout": {"type": "boolean", "description": "false: createable but not placed on the page layout"},
        "section": _NULLABLE_TEXT, "length": {"type": ["integer", "null"]},
        "default": {"description": "What Salesforce sets on create when nothing is sent"},
        "value": {"description": "The pre-filled value: the chat's mapped value, else the default"},
        "valueFrom": {"enum": ["mapping", "default", None]}, "mappedFrom": _NULLABLE_TEXT,
        "picklist": {"type": ["object", "null"], "properties": {
            "values": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}, "default": {"type": "boolean"}}}},
            "restricted": {"type": "boolean"}, "multiple": {"type": "boolean"}}},
        "helpText": _NULLABLE_TEXT,
        "number": {"type": "object", "properties": {"precision": {"type": ["integer", "null"]},
                                                    "scale": {"type": ["integer", "null"]}}},
        "referenceTo": {"type": "array", "items": {"type": "string"}}}},
    "ConsoleForm": {"type": "object", "required": ["object", "order", "fields", "required", "cached", "fetchedAt"],
                    "properties": {
        "object": {"enum": list(FORM_OBJECTS)}, "label": {"type": "string"},
        "order": {"enum": ["layout", "describe"], "description": "Whose order the fields follow"},
        "layout": {"type": ["object", "null"], "properties": {
            "id": _NULLABLE_TEXT, "sections": {"type": "array", "items": _NULLABLE_TEXT}}},
        "fields": {"type": "array", "items": {"$ref": "#/components/schemas/ConsoleFormField"}},
        "required": {"type": "array", "items": {"type": "string"}},
        "ignoredMappings": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "source": {"type": "string"}, "reason": {"type": "string"}}}},
        "chat": _NULLABLE_TEXT, "cached": {"type": "boolean"}, "fetchedAt": {"type": "string"}}},
}


def paths() -> dict[str, Any]:
    from ..openapi import _call, _json, _problem  # here: daemon/openapi.py imports this module

    operation = _call(
        "consoleForm", "The form for creating a Lead, Contact, Case or Task by hand (T5)",
        {"200": _json("The form", "ConsoleForm")}, params=("object",),
        more={"404": _problem("No form for that object (UNKNOWN_FORM), the org lacks it (OBJECT_NOT_IN_ORG) or "
                              "syncd has no such chat (CHAT_NOT_FOUND)"),
              "503": _problem("Salesforce cannot be asked now (S3)"),
              "502": _problem("Salesforce refused the describe")},
        description="The createable fields in the page layout's order (then the others, onLayout false), "
                    "required and optional, with types, lengths, active picklist values and defaults, "
                    "pre-filled from [chat.mappings] and the chat. Cached per object for [forms] cache_seconds.")
    operation["parameters"][0]["description"] = "Lead, Contact, Case or Task (any case)"
    operation["parameters"].append({"name": "chat", "in": "query", "required": False, "schema": {
        "type": "string", "pattern": f"^{CHAT_KEY.pattern}$"},
        "description": "The chat key (chat:<chatId>, offline:<messageId>, inbox:<conversationId>) to pre-fill from"})
    return {"/v1/console/forms/{object}": {"get": operation}}
