"""``[console]`` in syncd.toml: what the recognise call shows per object, and how long its answer is
served from syncd's cache. Who the visitor is comes from ``[chat.identification]`` (M1-M4), so the
console, the chat worker and the bot agree."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..bot.options import check_paths

DISPLAY_OBJECTS = ("Contact", "Lead", "Account")


def _display() -> dict[str, list[str]]:
    return {"Contact": ["Name", "Email", "Phone", "Title"], "Lead": ["Name", "Email", "Phone", "Company", "Status"],
            "Account": ["Name", "Phone", "Type"]}


class ConsoleOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_fields: dict[str, list[str]] = Field(default_factory=_display)
    """Per object (Contact, Lead, Account): the fields (paths allowed, such as Owner.Name) the recognise
    answer shows; an object left out keeps its default list."""
    recognise_cache_seconds: int = Field(60, ge=0, le=86400)
    """How long a recognise answer is served without asking Salesforce; a change made in Salesforce shows
    at most this long after it was made. 0 asks every time."""

    @field_validator("display_fields")
    @classmethod
    def _fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for sobject, names in value.items():
            if sobject not in DISPLAY_OBJECTS:
                raise ValueError(f"display_fields.{sobject}: the console shows {', '.join(DISPLAY_OBJECTS)}")
            if len(names) > 50:
                raise ValueError(f"display_fields.{sobject}: at most 50 fields")
            check_paths(names, sobject)
            if sobject == "Account" and any(n.count(".") > 3 for n in names):
                raise ValueError("display_fields.Account: at most four levels (read as Contact.Account.<path>)")
        return value

    def display(self, sobject: str) -> list[str]:
        return list(self.display_fields.get(sobject, _display()[sobject]))
