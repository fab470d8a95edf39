"""The one error type of fakeforce: what Salesforce would answer, as data."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SalesforceError(Exception):
    """An error as Salesforce reports it: errorCode, message, the fields involved and the HTTP status."""

    error_code: str
    message: str
    status: int = 400
    fields: list[str] | None = None
    extra: list["SalesforceError"] = field(default_factory=list)
    headers: dict[str, str] | None = None
    """Response headers the error carries (``Allow`` on a 405)."""
    details: dict | None = None
    """Further keys of the error's entry, e.g. the ``duplicateResult`` of ``DUPLICATES_DETECTED``."""

    def __post_init__(self) -> None:
        super().__init__(f"{self.error_code}: {self.message}")

    def as_dict(self, *, code_key: str = "errorCode") -> dict:
        """One entry of the error array (``statusCode`` instead of ``errorCode`` inside collection results)."""
        out: dict = {"message": self.message, code_key: self.error_code}
        if self.fields is not None:
            out["fields"] = list(self.fields)
        if self.details:
            out.update(self.details)
        return out

    def as_array(self) -> list[dict]:
        return [self.as_dict()] + [e.as_dict() for e in self.extra]


def per_record(error: SalesforceError) -> SalesforceError:
    """A record-level error as collections and Bulk API report it: a missing record is a bad reference."""
    if error.error_code == "NOT_FOUND":
        return SalesforceError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", 400, [])
    return error


def not_found(message: str = "The requested resource does not exist") -> SalesforceError:
    return SalesforceError("NOT_FOUND", message, 404)


def invalid_session() -> SalesforceError:
    return SalesforceError("INVALID_SESSION_ID", "Session expired or invalid", 401)


class MultipleMatches(Exception):
    """An external id that matches several records: Salesforce answers 300 with the records' URLs."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(f"{len(urls)} records match")
        self.urls = urls
