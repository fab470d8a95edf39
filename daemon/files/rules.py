"""F4 as pure functions: each attachment's stable key, which attachments become files, and their outbox
operations. A file operation names its parent (the Case or Task) by Id, or by the ``$ref`` of the upsert
that creates it, so the sender sends it after its parent (``salesforce/references.py``); it carries no
bytes: those wait in the ``files`` table under the same key and the sender builds the body at send time."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, Field

from ..state.store import Operation
from .options import FilesOptions

FILE_OP = "file"
"""The outbox ``op`` of a file: sent one per request by ``files/sender.py``, never in a collection."""


def file_key(conversation: str, index: int, attachment: dict) -> str:
    """The file's external id: the conversation, the attachment's place in it and its URL or name. A
    redelivered event yields the same key, so it never makes a second file."""
    ident = attachment.get("url") or attachment.get("name") or ""
    digest = hashlib.sha256(f"{conversation}\x00{index}\x00{ident}".encode()).hexdigest()[:40]
    return f"f4:{digest}"


def decode(content: str) -> bytes:
    """Inline base64 content (standard alphabet, padding required); ValueError when it is not."""
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"content is not valid base64: {exc}") from None


def _checked(value: str | None) -> str | None:
    if value is not None:
        decode(value)
    return value


Content = Annotated[str | None, Field(None, max_length=50_000_000), AfterValidator(_checked)]
"""An attachment's inline bytes in an event, base64 (standard alphabet, padded), checked when it arrives."""


def allowed(url: str | None, options: FilesOptions) -> bool:
    """SSRF guard: only URLs under a configured prefix are ever fetched, and never one whose path climbs out
    of it (``/files/../admin``, also percent-encoded) or that carries credentials or a backslash."""
    if not url or "\\" in url or any(c in url for c in "\r\n\t "):
        return False
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return False
    path = unquote(parts.path)
    if any(segment in (".", "..") for segment in path.split("/")):
        return False
    return any(url.startswith(prefix) for prefix in options.fetch_allowed_prefixes)


def title(attachment: dict, index: int) -> str:
    name = attachment.get("name") or (attachment.get("url") or "").rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    return (name or f"attachment-{index + 1}")[:255]


def wanted(attachments: list[dict], options: FilesOptions, stored: set[str], conversation: str) -> list[tuple[int, dict]]:
    """(index, attachment) of the attachments that become files: bytes held (inline content kept at
    accept time) or a URL syncd may fetch. Others stay links in the transcript."""
    if not options.enabled:
        return []
    return [(i, a) for i, a in enumerate(attachments)
            if file_key(conversation, i, a) in stored or allowed(a.get("url"), options)]


def operations(attachments: list[dict], *, conversation: str, parent: Any, ordering_key: str,
               options: FilesOptions, stored: set[str]) -> list[Operation]:
    """One file operation per wanted attachment, on ``parent`` (an Id or a ``$ref``), in the parent's
    ordering key (after it)."""
    sobject = "ContentVersion" if options.target == "content_version" else "Attachment"
    out = []
    for index, attachment in wanted(attachments, options, stored, conversation):
        name = title(attachment, index)
        if sobject == "ContentVersion":
            fields = {"Title": name, "PathOnClient": name, "FirstPublishLocationId": parent}
        else:
            fields = {"Name": name, "ParentId": parent}
            if attachment.get("contentType"):
                fields["ContentType"] = attachment["contentType"]
        fields["$file"] = {"url": attachment.get("url"), "size": attachment.get("size")}
        out.append(Operation(sobject, options.key_field, file_key(conversation, index, attachment), fields,
                             ordering_key, op=FILE_OP))
    return out


def body(row_fields: dict, key_field: str, key: str, data: bytes, sobject: str) -> dict:
    """The insert's JSON body: the row's fields (parent filled in), the key, the bytes in base64."""
    fields = {k: v for k, v in row_fields.items() if k != "$file"}
    encoded = base64.b64encode(data).decode("ascii")
    if sobject == "ContentVersion":
        return {**fields, key_field: key, "VersionData": encoded}
    return {**fields, "Body": encoded}  # Attachment cannot have custom fields: no key on it


def strip_content(attachments: list[dict]) -> list[dict]:
    """Attachments without their inline bytes (kept in the files table instead of the chat's JSON)."""
    return [{k: v for k, v in a.items() if k != "content"} for a in attachments]
