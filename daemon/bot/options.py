"""``[bot]`` in syncd.toml: the chatbot actions' row cap (B3), how long an Idempotency-Key is remembered
(B1), and what the routing lookup (B4) answers and for how long it may answer from its cache. The
visitor is identified by ``[chat.identification]`` (M1-M4), so bot, chat and routing agree on who a
visitor is."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

FIELD_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*){0,4}")
"""A field or a child-to-parent path (``Owner.Email``): at most five levels, as SOQL allows."""

MAX_ROWS = 1000
"""Rows one bot statement may return: below the 2,000 of one REST query answer, so one request serves it."""


def check_paths(value: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for path in value:
        if FIELD_PATH.fullmatch(path) is None:
            raise ValueError(f"{path!r} is not a {what} field name or path such as Owner.Email")
        if path.lower() in seen:
            raise ValueError(f"{path!r} is listed twice")
        seen.add(path.lower())
    return value


class BotOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_rows: int = Field(200, ge=1, le=MAX_ROWS)
    """B3: the most rows a bot's SOQL statement returns; a statement without LIMIT, or with a larger
    one, gets this LIMIT (and the answer says ``truncated`` when there were more)."""
    idempotency_seconds: int = Field(86400, ge=60)
    """B1: how long the answer to a create with an ``Idempotency-Key`` is kept for a retry."""
    routing_cache_seconds: int = Field(300, ge=0)
    """B4: how long a routing answer (a visitor found or not) is served from the cache; 0 asks every time.
    A change in Salesforce shows at most this long after it was made."""
    routing_contact_fields: list[str] = Field(default_factory=lambda: ["Name", "Email", "OwnerId", "Owner.Email"])
    """B4: the matched Contact's fields (paths allowed) the routing answer carries as ``Contact.<field>``."""
    routing_account_fields: list[str] = Field(default_factory=lambda: ["Name", "OwnerId", "Owner.Email"])
    """B4: its Account's fields (paths allowed), as ``Account.<field>``: the account owner, a tier..."""

    @field_validator("routing_contact_fields")
    @classmethod
    def _contact(cls, value: list[str]) -> list[str]:
        return check_paths(value, "Contact")

    @field_validator("routing_account_fields")
    @classmethod
    def _account(cls, value: list[str]) -> list[str]:
        for path in value:  # asked as Account.<path> from the Contact: one level more
            if path.count(".") > 3:
                raise ValueError(f"{path!r}: at most four levels (Account.{path} would pass SOQL's five)")
        return check_paths(value, "Account")
