"""One typed error for whatever Salesforce (or the network on the way) answers that is not a success."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..state.store import OutboxRow

RETRYABLE_CODES = {"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION",
                   "QUERY_TIMEOUT", "API_CURRENTLY_DISABLED", "CONNECTION_ERROR", "TIMEOUT",
                   "DISCONNECTED",  # S2: syncd is disconnected; the request may succeed after `syncd connect`
                   "ALL_OR_NONE_OPERATION_ROLLED_BACK", "PROCESSING_HALTED", "INVALID_SESSION_ID"}
"""Errors that may heal by themselves: everything else (validation, a deleted parent, an unknown field...)
can never succeed as sent and becomes a dead letter."""
ORG_WIDE_CODES = {"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "API_CURRENTLY_DISABLED", "CONNECTION_ERROR",
                  "TIMEOUT", "DISCONNECTED", "INVALID_SESSION_ID"}
"""Transient errors that say nothing about the record: Salesforce (or the way to it) is failing for everyone."""


@dataclass
class SalesforceApiError(Exception):
    """``status`` and Salesforce's error array; ``retryable`` says whether the same request may succeed later."""

    status: int
    errors: list[dict] = field(default_factory=list)
    login: bool = False
    """Raised while logging in: wrong credentials are no operation's fault, so the outbox waits (the
    sender's circuit) instead of parking every operation as a dead letter."""

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.code}: {self.message}")

    @property
    def code(self) -> str:
        first = self.errors[0] if self.errors else {}
        return str(first.get("errorCode") or first.get("statusCode") or first.get("error") or f"HTTP_{self.status}")

    @property
    def message(self) -> str:
        first = self.errors[0] if self.errors else {}
        return str(first.get("message") or first.get("error_description") or "")

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.status == 429 or self.status == 401 or self.code in RETRYABLE_CODES

    @property
    def org_wide(self) -> bool:
        """True when the failure is Salesforce's (or the network's), not the request's: back off as a whole."""
        return (self.login or self.status >= 500 or self.status in (0, 401, 429)
                or self.code in ORG_WIDE_CODES)

    @classmethod
    def network(cls, kind: str, detail: str) -> "SalesforceApiError":
        return cls(0, [{"errorCode": kind, "message": detail}])


def is_retryable_code(code: str) -> bool:
    return code in RETRYABLE_CODES


def duplicate_record_id(error: dict) -> str | None:
    """The first existing record that a DUPLICATES_DETECTED error's ``duplicateResult`` names, if any."""
    if (error.get("statusCode") or error.get("errorCode")) != "DUPLICATES_DETECTED":
        return None
    for match in (error.get("duplicateResult") or {}).get("matchResults") or []:
        for candidate in match.get("matchRecords") or []:
            record_id = (candidate.get("record") or {}).get("Id")
            if isinstance(record_id, str) and record_id:
                return record_id
    return None


def duplicate_of(rows: list["OutboxRow"], error: dict) -> str | None:
    """The existing record a duplicate rule names, when the blocked write is a chat person's creation
    (ordering key ``visitor:``): syncd attaches the conversation to it instead of failing (issue 12). Any
    other write refused as a duplicate stays a dead letter: its data would otherwise be lost silently."""
    if rows and all(r.ordering_key.startswith("visitor:") and r.op == "upsert" for r in rows):
        return duplicate_record_id(error)
    return None
