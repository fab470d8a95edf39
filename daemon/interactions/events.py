"""A handled interaction (a phone call, a chat, an email) as syncd receives it: the body of
``POST /v1/interactions`` and the data of the event ``io.syncd.interaction.logged.v1`` are one model, so
both paths log the same Task. The I5 calls have their own small bodies here too.

Accepting the event queues the interaction (``interaction_jobs``) in the journal's transaction; the
interaction worker logs it with the same code as the call. A redelivered event is one event (the journal);
the same interaction sent again, perhaps with more customers, merges into its job and runs again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ..fields import Email, Identifier, Name
from ..sfid import InvalidId, check_id
from ..state.store import Event, Operation
from .store import InteractionStore

Channel = Literal["phone", "chat", "email"]
InteractionId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x20\x7f/?#%]+$")]
"""The platform's id of the call, chat or email: no spaces, slashes or URL punctuation (it is a path segment
of the I5 calls and, with the channel, the Task's external id)."""
Text = Annotated[str, StringConstraints(max_length=32000)]
Short = Annotated[str, StringConstraints(max_length=255)]
EVENT_TYPE = "io.syncd.interaction.logged.v1"


def _sf_id(value: str | None, sobject: str) -> str | None:
    if value is None:
        return None
    try:
        return check_id(value, sobject, "")
    except InvalidId as exc:
        raise ValueError(exc.detail.replace("the value", f"a {sobject} id").lstrip(" ")) from None


class Open(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Agent(Open):
    """Who handled the interaction: the email picks the owner (O1)."""

    email: Email | None = None
    name: Name | None = None
    id: Identifier | None = None


class AccountRef(Open):
    id: str = Field(description="An Account id (001...)")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _sf_id(value, "Account")  # type: ignore[return-value]


class CaseRef(Open):
    """The Case the interaction concerns (``id``), or ``create: true`` for a Case created from it (I2)."""

    id: str | None = Field(None, description="A Case id (500...)")
    create: bool = False
    subject: Short | None = None
    description: Text | None = None
    priority: Annotated[str, StringConstraints(max_length=40)] | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        return _sf_id(value, "Case")

    @model_validator(mode="after")
    def _one(self) -> "CaseRef":
        if bool(self.id) == self.create:
            raise ValueError("give either case.id (the Case it concerns) or case.create = true (a new Case)")
        return self


class Customer(Open):
    """A person in the interaction: a known Contact (``contactId``), or found by ``email`` (case-insensitive;
    several matches: the one in ``accountId``, else in the interaction's Account, else the oldest), or
    created under ``accountId`` (else the interaction's Account) when not found (I4)."""

    contactId: str | None = Field(None, description="A Contact id (003...)")
    email: Email | None = None
    name: Name | None = None
    firstName: Annotated[str, StringConstraints(max_length=40)] | None = None
    lastName: Annotated[str, StringConstraints(max_length=80)] | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    accountId: str | None = Field(None, description="The customer's Account id (001...)")
    primary: bool = False
    """The primary contact (the Task's WhoId); by default the first customer."""

    @field_validator("contactId")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        return _sf_id(value, "Contact")

    @field_validator("accountId")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        return _sf_id(value, "Account")

    @model_validator(mode="after")
    def _someone(self) -> "Customer":
        if not (self.contactId or self.email or self.name or self.lastName or self.phone):
            raise ValueError("a customer needs a contactId, an email, a name or a phone")
        return self


def _one_primary(customers: list[Customer]) -> list[Customer]:
    if sum(1 for c in customers if c.primary) > 1:
        raise ValueError("at most one customer is the primary contact")
    return customers


class InteractionV1(Open):
    """``io.syncd.interaction.logged.v1`` and the body of ``POST /v1/interactions``: a handled interaction,
    logged as one Task (I1) related to its Account, its Case (I2) and every customer in it (I3, I4)."""

    interactionId: InteractionId
    channel: Channel
    direction: Literal["inbound", "outbound", "internal"] | None = None
    startTime: datetime | None = None
    endTime: datetime | None = None
    subject: Short | None = None
    notes: Text | None = None
    disposition: Short | None = None
    """The call result (CallDisposition), such as "resolved" or "call back"."""
    agent: Agent | None = None
    account: AccountRef | None = None
    """The Account the interaction is about; optional when the Case or a customer's Contact gives one."""
    case: CaseRef | None = None
    customers: list[Customer] = Field(default_factory=list, max_length=10)

    @field_validator("customers")
    @classmethod
    def _customers(cls, value: list[Customer]) -> list[Customer]:
        return _one_primary(value)


class RelationsV1(Open):
    """``PATCH /v1/interactions/{channel}/{id}/relations`` (I5): change what the Task relates to."""

    account: AccountRef | None = None
    """Relate the Task to this Account instead (WhatId)."""
    case: CaseRef | None = None
    """Relate the Task to this Case (or to a new Case created from the interaction) instead (WhatId)."""
    add: list[Customer] = Field(default_factory=list, max_length=10)
    remove: list[str] = Field(default_factory=list, max_length=50)
    """Contact ids to relate no more."""
    primary: str | None = None
    """The Contact (already related or added here) that becomes the primary contact (WhoId)."""
    agent: Agent | None = None
    """Who makes the change: the owner (O1) of a Contact or Case it creates."""

    @field_validator("add")
    @classmethod
    def _add(cls, value: list[Customer]) -> list[Customer]:
        return _one_primary(value)

    @field_validator("remove")
    @classmethod
    def _remove(cls, value: list[str]) -> list[str]:
        return [_sf_id(v, "Contact") for v in value]  # type: ignore[misc]

    @field_validator("primary")
    @classmethod
    def _primary(cls, value: str | None) -> str | None:
        return _sf_id(value, "Contact")

    @model_validator(mode="after")
    def _something(self) -> "RelationsV1":
        if self.account and self.case:
            raise ValueError("a Task relates to one Account or one Case (WhatId): give account or case")
        if not (self.account or self.case or self.add or self.remove or self.primary):
            raise ValueError("nothing to change: give account, case, add, remove or primary")
        return self


class TakeV1(Open):
    """``POST .../take`` (I5): the agent assigns the Task to themselves (OwnerId = their User, O1)."""

    agent: Agent

    @model_validator(mode="after")
    def _email(self) -> "TakeV1":
        if not self.agent.email:
            raise ValueError("agent.email is required: it names the agent's Salesforce User (O1)")
        return self


class FinishV1(Open):
    """``POST .../finish`` (I5): a closed Task status; with ``agent``, assigned to them in the same write."""

    status: Short | None = None
    agent: Agent | None = None


def key_of(channel: str, interaction_id: str) -> str:
    """The interaction's key in syncd and, on its Task (and a Case created from it), the external id."""
    return f"{channel}:{interaction_id}"


INTERACTION_EVENT_TYPES: dict[str, type[BaseModel]] = {EVENT_TYPE: InteractionV1}


class InteractionHandler:
    """Applies interaction events inside the journal's transaction: the interaction is queued, merged
    with what an earlier event of the same interaction said."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now

    def handle(self, event: Event, store: InteractionStore) -> list[Operation]:
        data = event.data
        store.queue(key_of(data["channel"], data["interactionId"]), data, event.id, self.now().isoformat())
        return []
