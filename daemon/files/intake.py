"""Accepting inline file bytes (F4) in the journal's transaction: each attachment's ``content`` goes to the
``files`` table under its key and out of the event's data, in the journal too, so neither the chat's JSON
nor outbox rows nor the journal carry blobs."""

from __future__ import annotations

import json
import sqlite3

from ..state.store import Event
from . import rules
from .store import FileStore


def keep_inline(conn: sqlite3.Connection, event: Event, conversation: str, path: str = "attachments",
                keep: bool = True) -> dict:
    """The event's data without inline bytes, which are kept under their file keys; with ``keep`` False
    (``[files] enabled = false``) they are dropped: nothing would ever send them, so nothing keeps them."""
    data = event.data
    attachments = data.get(path) or []
    if not any(a.get("content") for a in attachments):
        return {**data, path: rules.strip_content(attachments)} if attachments else data
    store = FileStore(conn)
    for index, attachment in enumerate(attachments):
        if attachment.get("content") and keep:
            store.keep(rules.file_key(conversation, index, attachment), rules.decode(attachment["content"]),
                       "inline")
    stripped = {**data, path: rules.strip_content(attachments)}
    conn.execute("UPDATE events SET data = ? WHERE id = ?", (json.dumps(stripped), event.id))
    return stripped
