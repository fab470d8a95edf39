"""The ``[files]`` section (F4): where attachments go in Salesforce and where their bytes may come from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MB = 1024 * 1024
SALESFORCE_JSON_LIMIT = 50 * MB
"""Salesforce's limit of a non-multipart (JSON) request with blob data: 50 MB of text, i.e. 37.5 MB of file
once base64-encoded (REST API Developer Guide, "Insert or Update Blob Data")."""
LARGEST_FILE = 35 * MB
"""The largest raw file syncd sends in one JSON insert: 37.5 MB by the guide, less room for the other fields
and for the guide's unstated unit (MB or MiB); inserts above about 35 MB have been reported refused."""


class FilesOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    """Store files of chats and care messages in Salesforce (F4). An attachment only becomes a file when
    its bytes are available: inline ``content`` or a URL under ``fetch_allowed_prefixes``."""
    target: Literal["content_version", "attachment"] = "content_version"
    """``content_version``: a Salesforce File (ContentVersion with FirstPublishLocationId, which makes the
    ContentDocument and its link to the record); ``attachment``: a classic Attachment (ParentId)."""
    key_field: str = Field("Syncd_File_Key__c", pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    """Custom external-id field of ContentVersion that holds syncd's key of the file (sent once)."""
    max_bytes: int = Field(25 * MB, gt=0, le=LARGEST_FILE)
    """Largest file sent (default 25 MB, which a classic Attachment also takes); a larger one becomes a dead
    letter (FILE_TOO_LARGE), the rest of the conversation still syncs."""
    fetch_allowed_prefixes: list[str] = Field(default_factory=list)
    """URL prefixes syncd may download attachments from (``https://files.platform.example/``). Empty: syncd
    never fetches (SSRF): URL-only attachments stay links in the transcript, as before F4."""
    fetch_timeout_seconds: float = Field(30.0, gt=0, le=600)

    @field_validator("fetch_allowed_prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            scheme, sep, rest = prefix.partition("://")
            if scheme not in ("https", "http") or not sep or "/" not in rest or rest.startswith("/"):
                raise ValueError(f"{prefix!r}: a prefix must be a whole origin and path, e.g. "
                                 "'https://files.example.com/' (ending the host with '/')")
        return value
