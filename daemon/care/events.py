"""Care events (versioned CloudEvents types) and what each does to care state and the outbox."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..fields import Email, Identifier, Name
from ..files import intake
from ..files import rules as files
from ..files.options import FilesOptions
from ..files.rules import Content
from ..files.store import FileStore
from . import rules
from .options import CLOSED_STATUS, OPEN_STATUSES, CareRules
from ..state.store import Event, Operation
from .store import CareStore


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Customer(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Identifier
    platform: Identifier | None = None
    name: Name | None = None
    email: Email | None = None


class Person(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Identifier | None = None
    name: Name | None = None
    email: Email | None = None


class Attachment(Strict):
    """A file of the message (F4): stored on the Case when ``content`` carries its bytes or ``url`` is under
    ``files.fetch_allowed_prefixes``."""

    url: str
    name: str | None = None
    contentType: str | None = None
    content: Content = None
    """The file's bytes, base64; kept by syncd, not with the message."""


class MessageV1(Strict):
    """``io.syncd.care.message.v1``: a message in a conversation between a customer and a profile (C5)."""

    messageId: Identifier
    customer: Customer
    profile: Identifier
    direction: Literal["inbound", "outbound"]
    author: Person = Field(default_factory=Person)
    time: datetime | None = None
    """When the message was posted; when absent, the time syncd received it."""
    text: str = Field("", max_length=100_000)
    attachments: list[Attachment] = Field(default_factory=list)
    automated: bool = False


class CaseStatusV1(Strict):
    """``io.syncd.care.case.status.v1``: an agent or automation changed a care case's status (C2)."""

    caseId: Identifier
    status: Literal["new", "open", "pending", "on_hold", "done"]
    agent: Person | None = None


class CaseAssignedV1(Strict):
    """``io.syncd.care.case.assigned.v1``: a care case got an assignee (or lost it)."""

    caseId: Identifier
    assignee: Person | None = None


class CustomerUpdatedV1(Strict):
    """``io.syncd.care.customer.updated.v1``: new details of a customer."""

    customer: Customer


log = logging.getLogger("syncd.care")

CARE_EVENT_TYPES: dict[str, type[BaseModel]] = {
    "io.syncd.care.message.v1": MessageV1,
    "io.syncd.care.case.status.v1": CaseStatusV1,
    "io.syncd.care.case.assigned.v1": CaseAssignedV1,
    "io.syncd.care.customer.updated.v1": CustomerUpdatedV1,
}


def iso(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc).isoformat(
        timespec="milliseconds")


class CareHandler:
    """Applies care events inside the journal's transaction and returns the Salesforce operations."""

    def __init__(self, options: Callable[[], CareRules], now: Callable[[], datetime],
                 files: Callable[[], FilesOptions] = FilesOptions) -> None:
        self.options = options
        self.now = now
        self.files = files

    def handle(self, event: Event, store: CareStore) -> list[Operation]:
        data = event.data
        now = iso(self.now())
        if event.type == "io.syncd.care.message.v1":
            return self.message(event, store, now)
        if event.type == "io.syncd.care.case.status.v1":
            case = store.case(data["caseId"])
            if case is not None and data["status"] != case["status"]:
                # C2: agents and automation change statuses. E6: never sent to Salesforce.
                reopening = rules.is_open(data["status"]) and not rules.is_open(case["status"])
                others = [c for c in store.cases_of_pair(case["customer_id"], case["profile_id"])
                          if c.id != case["id"] and rules.is_open(c.status)]
                if reopening and others:
                    # C1: at most one open case per (customer, profile); the pair's open case stays the one.
                    log.warning("status change ignored: another care case of the pair is open",
                                extra={"case_id": case["id"], "open_case": others[0].id, "rule": "C1"})
                    return []
                store.set_status(case["id"], data["status"], now)
            return []
        if event.type == "io.syncd.care.case.assigned.v1":
            if store.case(data["caseId"]) is not None:
                store.assign(data["caseId"], data.get("assignee"))
            return []
        if event.type == "io.syncd.care.customer.updated.v1":
            store.upsert_customer(data["customer"], now)
            return []
        raise AssertionError(event.type)

    def message(self, event: Event, store: CareStore, now: str) -> list[Operation]:
        options = self.options()
        data = event.data
        message = {"id": data["messageId"], "direction": data["direction"], "author": data.get("author") or {},
                   "time": iso(data["time"]) if data.get("time") else now, "text": data.get("text") or "",
                   "attachments": data.get("attachments") or [], "automated": data.get("automated", False)}
        customer = data["customer"]
        known = store.customer(customer["id"]) or {}
        message["platform"] = customer.get("platform") or known.get("platform") or ""
        if store.has_message(message["platform"], message["id"]):
            return []  # C5: a redelivered message is stored once (its id is unique per platform)
        message["attachments"] = intake.keep_inline(store.conn, event, f"care:{storage_key(message)}",
                                                    keep=self.files().enabled)["attachments"]
        store.upsert_customer(customer, now)
        cases = store.cases_of_pair(customer["id"], data["profile"])
        action, case_id = rules.route_message(cases, message["direction"], self.now(), options)  # C1, C3, C4
        if action == "new":
            case_id = store.new_case(customer["id"], data["profile"], now)
        elif action == "reopen":
            store.set_status(case_id, "open", now)  # C3
        assert case_id is not None
        store.add_message(case_id, message)  # C5
        case = store.case(case_id) or {}
        if not case.get("sf_case_id") or options.community_only:  # P6: nothing after the Case is created
            return []
        ops = []
        if rules.propagates(options):  # P5: no storage object, no message records
            ops.append(storage_operation(options, message, store.customer(customer["id"]) or customer, case))  # P2, P4
        ops.extend(message_files(store, [message], case, self.files()))  # F4
        if message["direction"] == "outbound":
            store.remember_case_status(case_id, None, None)  # an agent acted: the status may have changed
        elif rules.needs_incoming_status(wanted=options.incoming_case_status, last_set=case.get("sf_status_set"),
                                         last_set_at=case.get("sf_status_set_at"), now=self.now(),
                                         refresh_seconds=options.incoming_status_refresh_seconds):
            # P3: an inbound message sets the Case status (the only Case write after creation, E6).
            ops.append(Operation(sobject="Case", external_id_field=options.case_external_id_field,
                                 external_id=case_id, fields={"Status": options.incoming_case_status},
                                 ordering_key=f"care-case:{case_id}"))
            store.remember_case_status(case_id, options.incoming_case_status, now)
        return ops


def message_files(store: CareStore, messages: list[dict], case: dict, options: FilesOptions) -> list[Operation]:
    """F4: the files of care messages, on the care case's Case (known by Id), in the case's order."""
    ops: list[Operation] = []
    keep = FileStore(store.conn)
    for message in messages:
        attachments = message.get("attachments") or []
        conversation = f"care:{storage_key(message)}"
        stored = keep.keys([files.file_key(conversation, i, a) for i, a in enumerate(attachments)])
        ops.extend(files.operations(attachments, conversation=conversation, parent=case["sf_case_id"],
                                    ordering_key=f"care-case:{case['id']}", options=options, stored=stored))
    return ops


def escalated_case(store: CareStore, case_id: str) -> dict:
    return store.case(case_id) or {}


def storage_key(message: dict) -> str:
    """P4: the storage record's external id: the platform message id, qualified by its platform (C5)."""
    return f"{message['platform']}:{message['id']}" if message.get("platform") else message["id"]


def storage_operation(options: CareRules, message: dict, customer: dict, case: dict) -> Operation:
    """P1/P2/P4: a message's storage record, keyed by its platform id, in its case's order."""
    fields = rules.message_fields(options, message=message, customer=customer, sf_case_id=case["sf_case_id"])
    return Operation(sobject=options.storage_object or "SocialPost",
                     external_id_field=options.storage_external_id_field, external_id=storage_key(message),
                     fields=fields, ordering_key=f"care-case:{case['id']}")


__all__ = ["CARE_EVENT_TYPES", "CareHandler", "storage_operation", "OPEN_STATUSES", "CLOSED_STATUS"]
