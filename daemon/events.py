"""Incoming events: CloudEvents 1.0 (structured JSON, one or a batch), with a versioned schema per type.

Schema violations are reported with the JSON pointer of the problem. ``event_schemas()`` gives the JSON
Schema of every type, as published in docs/events/.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .fields import Identifier
from .state.store import Event, Operation
from .strictjson import JsonProblem, loads


class EventProblem(ValueError):
    """One problem in a request's events: where (a JSON pointer) and what."""

    def __init__(self, pointer: str, detail: str, status: int = 422) -> None:
        super().__init__(f"{pointer}: {detail}")
        self.pointer = pointer
        self.detail = detail
        self.status = status


class Envelope(BaseModel):
    """The CloudEvents 1.0 context attributes syncd requires or reads."""

    model_config = ConfigDict(extra="allow")
    specversion: str = Field(pattern=r"^1\.0$")
    id: Identifier
    source: str = Field(min_length=1, max_length=2048, pattern=r"^[^\x00-\x1f\x7f]+$")
    type: str = Field(min_length=1, max_length=255)
    time: datetime | None = None
    subject: str | None = None
    datacontenttype: str | None = None
    data: Any = None


class RecordUpsertV1(BaseModel):
    """``io.syncd.record.upsert.v1``: write one record, idempotently, by an external id."""

    model_config = ConfigDict(extra="forbid")
    object: str = Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    externalIdField: str = Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    externalId: Identifier
    fields: dict[str, Any] = Field(default_factory=dict)
    orderingKey: Identifier | None = None

    @field_validator("fields")
    @classmethod
    def _scalar_values(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                raise ValueError(f"field {key} must be a string, number, boolean or null")
        return value


def plan_record_upsert(event: Event, *_: object) -> list[Operation]:
    data = event.data
    return [Operation(sobject=data["object"], external_id_field=data["externalIdField"],
                      external_id=data["externalId"], fields=dict(data["fields"]),
                      ordering_key=data.get("orderingKey") or f"{data['object']}:{data['externalId']}")]


def _care_types() -> dict[str, type[BaseModel]]:
    from .care.events import CARE_EVENT_TYPES

    return CARE_EVENT_TYPES


def _chat_types() -> dict[str, type[BaseModel]]:
    from .chat.events import CHAT_EVENT_TYPES

    return {name: model for name, (model, _, _) in CHAT_EVENT_TYPES.items()}


def _interaction_types() -> dict[str, type[BaseModel]]:
    from .interactions.events import INTERACTION_EVENT_TYPES

    return INTERACTION_EVENT_TYPES


EventType = tuple[type[BaseModel], Callable[..., list[Operation]] | None]
EVENT_TYPES: dict[str, EventType] = {
    "io.syncd.record.upsert.v1": (RecordUpsertV1, plan_record_upsert),
    **{name: (model, None) for name, model in _care_types().items()},  # applied by the care handler
    **{name: (model, None) for name, model in _chat_types().items()},  # applied by the chat handler
    **{name: (model, None) for name, model in _interaction_types().items()},  # queued for the interaction worker
}


def _pointer(prefix: str, loc: tuple) -> str:
    return prefix + "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in loc)


def parse_events(body: bytes, *, max_batch: int) -> list[Event]:
    """Events from a request body (one CloudEvent or a JSON array of them); EventProblem for the first fault."""
    try:
        raw = loads(body)  # strict: no NaN/Infinity, no lone surrogate in any string, bounded nesting
    except JsonProblem as exc:
        if exc.pointer is None:
            raise EventProblem("", exc.detail, 400) from None
        raise EventProblem(exc.pointer, exc.detail, 422) from None
    batch = isinstance(raw, list)
    items = raw if batch else [raw]
    if not items:
        raise EventProblem("", "the batch is empty", 422)
    if len(items) > max_batch:
        raise EventProblem("", f"a batch holds at most {max_batch} events, this one has {len(items)}", 413)
    events = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        prefix = f"/{index}" if batch else ""
        if not isinstance(item, dict):
            raise EventProblem(prefix, "an event must be a JSON object")
        try:
            envelope = Envelope.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise EventProblem(_pointer(prefix, err["loc"]), err["msg"]) from None
        known = EVENT_TYPES.get(envelope.type)
        if known is None:
            raise EventProblem(prefix + "/type", f"unknown event type {envelope.type!r}; known: "
                               f"{', '.join(sorted(EVENT_TYPES))}", 422)
        model, _ = known
        try:
            data = model.model_validate(envelope.data).model_dump(mode="json", exclude_none=False)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise EventProblem(_pointer(prefix + "/data", err["loc"]), err["msg"]) from None
        if envelope.id in seen:
            continue  # the same event twice in one batch is one event
        seen.add(envelope.id)
        events.append(Event(id=envelope.id, source=envelope.source, type=envelope.type, data=data,
                            time=envelope.time.isoformat() if envelope.time else None, subject=envelope.subject))
    return events


def plan(event: Event) -> list[Operation]:
    """The Salesforce operations of an event that needs no care state (pure)."""
    planner = EVENT_TYPES[event.type][1]
    assert planner is not None, event.type
    return planner(event)


def event_schemas() -> dict[str, dict]:
    return {name: {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": name,
                   "description": "CloudEvents 1.0 event; this schema is its data",
                   **model.model_json_schema()} for name, (model, _) in EVENT_TYPES.items()}
