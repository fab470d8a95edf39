"""Live-chat and inbox events (T1), each a versioned CloudEvents type with a JSON Schema in docs/events/,
and what accepting one does: the chat's data is kept, and the jobs its trigger calls for are queued (T2,
T3) in the journal's transaction. Identification and the Salesforce writes happen later, batched, in the
chat worker; redelivered events (same event id, or the same trigger of the same chat) are accepted once."""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..console.store import picked_action
from ..files import intake
from ..files.options import FilesOptions
from ..files.rules import Content
from ..fields import Email, Identifier, Name
from ..state.store import Event, Operation
from . import rules
from .options import ChatOptions
from .store import ChatStore

Scalar = str | int | float | bool | None


class Open(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Visitor(Open):
    """F2 visitor information."""

    id: Identifier | None = None
    name: Name | None = None
    email: Email | None = None
    visits: int | None = Field(None, ge=0)
    chats: int | None = Field(None, ge=0)


class Session(Open):
    """F2 session information."""

    ip: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=255)
    region: str | None = Field(None, max_length=255)
    """State or province."""
    city: str | None = Field(None, max_length=255)
    browser: str | None = Field(None, max_length=255)
    operatingSystem: str | None = Field(None, max_length=255)
    language: str | None = Field(None, max_length=64)
    timeZone: str | None = Field(None, max_length=64)
    referrer: str | None = Field(None, max_length=4096)
    currentPage: str | None = Field(None, max_length=4096)
    landingPage: str | None = Field(None, max_length=4096)
    searchEngine: str | None = Field(None, max_length=255)
    searchKeywords: str | None = Field(None, max_length=1024)
    screenResolution: str | None = Field(None, max_length=64)


class Agent(Open):
    id: Identifier | None = None
    name: Name | None = None
    email: Email | None = None


class Line(Open):
    """One transcript line: who wrote it, when, what."""

    author: Name
    role: Literal["visitor", "agent", "bot", "system"] = "visitor"
    time: datetime
    text: str = Field("", max_length=100_000)


class Attachment(Open):
    """A file of the conversation (F4): stored in Salesforce when ``content`` carries its bytes or ``url``
    is under ``files.fetch_allowed_prefixes``; otherwise a link in the transcript."""

    url: str = Field(min_length=1, max_length=4096)
    name: str | None = Field(None, max_length=255)
    contentType: str | None = Field(None, max_length=255)
    size: int | None = Field(None, ge=0)
    content: Content = None
    """The file's bytes, base64; kept by syncd, never in the transcript."""


class Common(Open):
    """What every chat and inbox event carries: who, from where, and the forms they filled in (F2)."""

    channel: str | None = Field(None, max_length=255)
    """Web chat, a widget's name, or the inbox channel (email, WhatsApp, Facebook...)."""
    visitor: Visitor = Field(default_factory=Visitor)
    session: Session = Field(default_factory=Session)
    customVariables: dict[str, Scalar] = Field(default_factory=dict)
    preChat: dict[str, Scalar] = Field(default_factory=dict)
    """Pre-chat form fields: ``phone``, ``company``, ``department``, ``product`` and custom ones."""
    subject: str | None = Field(None, max_length=255)
    requestingPage: str | None = Field(None, max_length=4096)
    agent: Agent | None = None


class ChatStartedV1(Common):
    """``io.syncd.chat.started.v1``: a web chat started."""

    chatId: Identifier
    startTime: datetime


class Ended(Common):
    """What an ended chat or conversation carries: the whole of it (a started event is optional)."""

    startTime: datetime | None = None
    endTime: datetime
    transcript: list[Line] = Field(default_factory=list, max_length=20_000)
    wrapUp: str | None = Field(None, max_length=32_000)
    notes: str | None = Field(None, max_length=32_000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=100)


class ChatEndedV1(Ended):
    """``io.syncd.chat.ended.v1``: a web chat ended."""

    chatId: Identifier


class OfflineMessageV1(Common):
    """``io.syncd.chat.offline_message.v1``: a visitor left a message while no agent was online."""

    messageId: Identifier
    time: datetime
    text: str = Field("", max_length=100_000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=100)


class ConversationStartedV1(Common):
    """``io.syncd.inbox.conversation.started.v1``: an inbox conversation started."""

    conversationId: Identifier
    startTime: datetime


class ConversationEndedV1(Ended):
    """``io.syncd.inbox.conversation.ended.v1``: an inbox conversation ended (its messages as transcript)."""

    conversationId: Identifier


CHAT_EVENT_TYPES: dict[str, tuple[type[BaseModel], str, str]] = {
    # type: (model, trigger (T1), conversation kind)
    "io.syncd.chat.started.v1": (ChatStartedV1, "chat_started", "chat"),
    "io.syncd.chat.ended.v1": (ChatEndedV1, "chat_ended", "chat"),
    "io.syncd.chat.offline_message.v1": (OfflineMessageV1, "offline_message", "offline"),
    "io.syncd.inbox.conversation.started.v1": (ConversationStartedV1, "conversation_started", "inbox"),
    "io.syncd.inbox.conversation.ended.v1": (ConversationEndedV1, "conversation_ended", "inbox"),
}


def conversation_key(kind: str, data: dict) -> str:
    """The chat's key in syncd and, on its Case or Task, the external id: kind and platform id."""
    native = data.get("chatId") or data.get("messageId") or data.get("conversationId")
    return f"{kind}:{native}"


class ChatHandler:
    """Applies chat events inside the journal's transaction: keeps the chat, queues its trigger's jobs."""

    def __init__(self, options: Callable[[], ChatOptions], now: Callable[[], datetime],
                 files: Callable[[], FilesOptions] = FilesOptions) -> None:
        self.options = options
        self.now = now
        self.files = files

    def handle(self, event: Event, store: ChatStore) -> list[Operation]:
        _, trigger, kind = CHAT_EVENT_TYPES[event.type]
        key = conversation_key(kind, event.data)
        now = self.now().isoformat()
        store.merge_chat(key, kind, intake.keep_inline(store.conn, event, key, keep=self.files().enabled),
                         now)  # F4: bytes kept aside
        for stage, action in rules.jobs_for(trigger, self.options().triggers):  # T2, T3
            if action == "manual":  # T4: the agent's pick, stored by the console; no pick, nothing attached
                action = picked_action(store.conn, key)
                if action is None:
                    continue
            store.queue_job(key, stage, action, event.id, now)  # once per (chat, stage): redelivery is harmless
        return []
