"""What a chat says in Salesforce (F1, F2, T3): the mapping context of a chat, and the Description of its
Case or Task (transcript and chat details). Pure."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

TITLES = {"chat": "Chat", "offline": "Offline message", "inbox": "Conversation"}
CUT = "\n… (cut: the rest of the transcript is longer than the field)"


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _show(value: Any) -> str:
    moment = _moment(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def _person(person: dict | None) -> str:
    person = person or {}
    name, email = person.get("name"), person.get("email")
    if name and email:
        return f"{name} <{email}>"
    return name or email or ""


def details(kind: str, key: str, data: dict, limit: int) -> str:
    """T3/F1: transcript and chat details as one text, cut to ``limit`` characters."""
    native = key.split(":", 1)[1]
    lines = [f"{TITLES[kind]} ID: {native}"]
    visitor = data.get("visitor") or {}
    session = data.get("session") or {}

    def add(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            lines.append(f"{label}: {value}")

    add("Channel", data.get("channel"))
    add("Subject", data.get("subject"))
    add("Started", _show(data.get("startTime")))
    add("Ended", _show(data.get("endTime")))
    add("Received", _show(data.get("time")))
    add("Agent", _person(data.get("agent")))
    add("Visitor", _person(visitor))
    counts = [f"{visitor[k]} {k}" for k in ("visits", "chats") if visitor.get(k) is not None]
    add("Visitor history", ", ".join(counts))
    add("Requesting page", data.get("requestingPage"))
    add("Session", "; ".join(f"{k}: {v}" for k, v in session.items() if v not in (None, "")))
    add("Wrap-up", data.get("wrapUp"))
    add("Notes", data.get("notes"))
    for title, values in (("Custom variables", data.get("customVariables")), ("Pre-chat form", data.get("preChat"))):
        if values:
            lines.append(f"{title}:")
            lines.extend(f"  {k}: {v}" for k, v in values.items() if v is not None)
    if data.get("attachments"):
        lines.append("Attachments:")
        lines.extend(f"  {a.get('name') or a['url']}: {a['url']}" for a in data["attachments"])
    if data.get("text"):
        lines.extend(["Message:", data["text"]])
    if data.get("transcript"):
        lines.append("Transcript:")
        for line in data["transcript"]:
            moment = _moment(line.get("time"))
            stamp = moment.strftime("%H:%M:%S") if moment else ""
            lines.append(f"[{stamp}] {line.get('author')}: {line.get('text', '')}")
    text = "\n".join(lines)
    if len(text) > limit:
        text = text[: limit - len(CUT)] + CUT
    return text


def context(kind: str, key: str, data: dict, limit: int) -> dict[str, Any]:
    """The sources a chat mapping can name (F2): visitor, session, custom, prechat, chat."""
    end = _moment(data.get("endTime") or data.get("time"))
    chat = {
        "id": key.split(":", 1)[1], "key": key, "kind": kind, "channel": data.get("channel"),
        "subject": data.get("subject"), "title": data.get("subject") or data.get("channel") or TITLES[kind],
        "requestingPage": data.get("requestingPage"), "startTime": data.get("startTime"),
        "endTime": data.get("endTime") or data.get("time"), "endDate": end.date().isoformat() if end else None,
        "agent": data.get("agent") or {}, "wrapUp": data.get("wrapUp"), "notes": data.get("notes"),
        "text": data.get("text"), "details": details(kind, key, data, limit),
    }
    return {"visitor": data.get("visitor") or {}, "session": data.get("session") or {},
            "custom": data.get("customVariables") or {}, "prechat": data.get("preChat") or {}, "chat": chat}
