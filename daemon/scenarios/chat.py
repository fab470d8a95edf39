"""Scenario steps for live chat and inbox (T, M, F, O1): send a chat, offline-message or inbox event built
from a short spec, and look at the chat jobs syncd keeps.

``chat: {event: ended, id: c1, visitor: {name, email}, agent: {email}, transcript: ["Ann: hi", ...]}``
builds an ``io.syncd.chat.ended.v1`` event; ``event`` is one of started, ended, offline,
conversation_started, conversation_ended; ``ago`` places the end (and the lines) in the past;
``repeat: n`` sends n chats (ids ``<id>-1``...) in one batch; ``event_id`` fixes the CloudEvent id (a
redelivery); any other key (preChat, session, customVariables, subject, channel, wrapUp, notes,
attachments, requestingPage, text) is copied into the event's data.

``check: [{soql: ..., count: n}, ...]`` checks ``then``-style expectations in the middle of the steps (after
``wait: outbox``; ``chat_jobs`` too), e.g. that a chat-started trigger made the Contact and no Task yet (T3)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from .matching import Mismatch, matches, seconds

if TYPE_CHECKING:
    from .runner import Run

STEPS = ("chat", "chat_jobs", "check")
TYPES = {"started": ("io.syncd.chat.started.v1", "chatId"), "ended": ("io.syncd.chat.ended.v1", "chatId"),
         "offline": ("io.syncd.chat.offline_message.v1", "messageId"),
         "conversation_started": ("io.syncd.inbox.conversation.started.v1", "conversationId"),
         "conversation_ended": ("io.syncd.inbox.conversation.ended.v1", "conversationId")}
COPIED = ("preChat", "session", "customVariables", "subject", "channel", "wrapUp", "notes", "attachments",
          "requestingPage", "text")


def chat_event(run: "Run", spec: dict, chat_id: str) -> dict:
    kind = spec.get("event", "ended")
    if kind not in TYPES:
        raise Mismatch(f"chat event must be one of {', '.join(TYPES)}, not {kind!r}")
    event_type, id_field = TYPES[kind]
    end = run.now() - timedelta(seconds=seconds(spec.get("ago", 0)))
    start = end - timedelta(seconds=seconds(spec.get("duration", "5m")))
    data: dict[str, Any] = {id_field: chat_id, "visitor": spec.get("visitor") or {}}
    if spec.get("agent") is not None:
        data["agent"] = spec["agent"]
    for key in COPIED:
        if key in spec:
            data[key] = spec[key]
    if kind in ("started", "conversation_started"):
        data["startTime"] = start.isoformat()
    elif kind == "offline":
        data["time"] = end.isoformat()
        data.setdefault("text", "I left a message")
    else:
        data["startTime"], data["endTime"] = start.isoformat(), end.isoformat()
        lines = spec.get("transcript") or []
        step = (end - start) / (len(lines) + 1) if lines else timedelta(0)
        data["transcript"] = [_line(text, start + step * (i + 1), data) for i, text in enumerate(lines)]
    event_id = spec.get("event_id") or f"evt-{kind}-{chat_id}"
    return {"specversion": "1.0", "id": event_id, "source": "scenario", "type": event_type, "data": data}


def _line(text: str, moment, data: dict) -> dict:
    author, _, said = text.partition(": ")
    if not said:
        author, said = (data["visitor"].get("name") or "Visitor"), text
    agent = (data.get("agent") or {}).get("name")
    role = "agent" if agent and author == agent else "visitor"
    return {"author": author, "role": role, "time": moment.isoformat(), "text": said}


def chat_step(run: "Run", kind: str, value: Any) -> httpx.Response | None:
    if kind == "check":
        from .expectations import check

        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and set(item) == {"chat_jobs"}:
                chat_step(run, "chat_jobs", item["chat_jobs"])
            else:
                check(run, item)
        return None
    if kind == "chat_jobs":
        from ..chat.store import ChatStore
        from ..state.store import State

        state = State(run.config.service.state_path)
        try:
            store = ChatStore(state.conn)
            actual = {**store.job_counts(), "dead_jobs": store.dead_jobs()}
        finally:
            state.close()
        matches(value, actual)
        return None
    specs = value if isinstance(value, list) else [value]
    events = []
    for spec in specs:
        repeat = int(spec.get("repeat", 1))
        for n in range(1, repeat + 1):
            chat_id = str(spec.get("id", "chat-1")) if repeat == 1 else f"{spec.get('id', 'chat')}-{n}"
            item = dict(spec)
            if repeat > 1 and isinstance(item.get("visitor"), dict) and "{n}" in str(item["visitor"]):
                item["visitor"] = {k: str(v).replace("{n}", str(n)) for k, v in item["visitor"].items()}
            events.append(chat_event(run, item, chat_id))
    return run.send_events(events)
