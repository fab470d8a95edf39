"""F4 for chats: the files of a chat's attachments, on the Case or Task that carries it (planned with that
record, in its ordering key, naming it by reference so that the sender sends them after it)."""

from __future__ import annotations

import sqlite3

from ..state.store import Operation
from . import rules
from .options import FilesOptions
from .store import FileStore


def chat_files(conn: sqlite3.Connection, chat_key: str, data: dict, parent: Operation,
               options: FilesOptions) -> list[Operation]:
    """The file operations of a chat whose ``parent`` (the attach stage's Case or Task) is being written."""
    attachments = data.get("attachments") or []
    if not attachments or not options.enabled:
        return []
    stored = FileStore(conn).keys([rules.file_key(chat_key, i, a) for i, a in enumerate(attachments)])
    reference = {"$ref": {"sobject": parent.sobject, "field": parent.external_id_field, "value": parent.external_id}}
    return rules.operations(attachments, conversation=chat_key, parent=reference,
                            ordering_key=parent.ordering_key, options=options, stored=stored)
