"""``[chat]`` in syncd.toml: what each live-chat and inbox trigger does, how visitors are identified, how
found records are updated, how chat data maps onto Salesforce fields, and the fields that make every
write idempotent. Validated with the rest of the configuration: every problem at once, with its key."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Action = Literal["contact_case", "contact_task", "case", "lead_task", "nothing", "manual"]
"""T2: the one automatic action of a trigger; T4: ``manual``, the agent picks it during the chat."""

MANUAL_TRIGGERS = ("chat_started", "conversation_started")
"""T4: ``manual`` is for a trigger while an agent is still in the conversation; an ended trigger or an
offline message has nobody left to pick, so it is refused there."""

TRIGGERS = ("chat_started", "chat_ended", "offline_message", "conversation_started", "conversation_ended")
"""T1: web chat started / ended / offline message received; inbox conversation started / ended."""

MAX_CONDITIONS = 3  # M2

FIELD_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"
SOURCE = r"^(=.*|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*(\|.+)?)$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Triggers(Strict):
    """T2: exactly one action per trigger. T3: the Case or Task is attached when the chat (conversation)
    ends or the offline message arrives; an action on a *started* trigger creates or updates the person
    at the start and attaches at the end."""

    chat_started: Action = "nothing"
    chat_ended: Action = "nothing"
    offline_message: Action = "nothing"
    conversation_started: Action = "nothing"
    conversation_ended: Action = "nothing"

    @model_validator(mode="wrap")
    @classmethod
    def _one_per_conversation(cls, data: Any, handler: Any) -> "Triggers":
        """Every problem at once (F3): a misspelt action on one trigger must not hide that two triggers of
        one conversation both have an action, so the rules run over the raw values too."""
        try:
            triggers = handler(data)
        except ValidationError as exc:
            problems = trigger_problems(data) if isinstance(data, dict) else []
            if not problems:
                raise
            details = [{k: v for k, v in e.items() if k in ("type", "loc", "input", "ctx")}
                       for e in exc.errors(include_url=False)]
            details += [{"type": "value_error", "loc": (), "input": data, "ctx": {"error": ValueError(p)}}
                        for p in problems]
            raise ValidationError.from_exception_data(exc.title, details) from None
        problems = trigger_problems({name: getattr(triggers, name) for name in TRIGGERS})
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, [
                {"type": "value_error", "loc": (), "input": data, "ctx": {"error": ValueError(p)}} for p in problems])
        return triggers


def trigger_problems(values: dict) -> list[str]:
    """T2/T4 problems of trigger values (raw or validated): manual where nobody can pick, two actions for
    one conversation."""
    problems = []
    for name in TRIGGERS:
        if values.get(name) == "manual" and name not in MANUAL_TRIGGERS:
            problems.append(f"{name} = \"manual\": the agent picks the action during the chat (T4), so manual "
                            f"is for {' or '.join(MANUAL_TRIGGERS)}; when the chat ends there is nobody left to pick")
    for start, end in (("chat_started", "chat_ended"), ("conversation_started", "conversation_ended")):
        if values.get(start, "nothing") != "nothing" and values.get(end, "nothing") != "nothing":
            problems.append(f"{start} and {end} both have an action; a chat gets one automatic action (T2): with "
                            f"{start} the person is handled at the start and the conversation attached at the end "
                            f"(T3), so set {end} = \"nothing\" or {start} = \"nothing\"")
    return problems


class Condition(Strict):
    """One identification condition (M2): the visitor's value at ``visitor`` equals the Salesforce field."""

    visitor: str = Field(pattern=SOURCE.replace(r"(\|.+)?", ""))
    """A path into the chat's data: ``visitor.email``, ``prechat.phone``, ``custom.AccountNumber``..."""
    salesforce: str = Field(pattern=FIELD_NAME)


def _email_rule() -> list[Condition]:
    return [Condition(visitor="visitor.email", salesforce="Email")]  # M1


class Identification(Strict):
    """M1-M4: how a visitor is found. Contacts first, then Leads (converted Leads never match); several
    matches resolve to the oldest CreatedDate, then the lowest Id (M3)."""

    conditions: list[Condition] = Field(default_factory=_email_rule, min_length=1)
    """M1/M2: all must hold; by default the email, case-insensitively. At most three."""
    account_conditions: list[Condition] = Field(default_factory=list)
    """M4: the Account's own rules; empty: the matched Contact's Account."""

    @field_validator("conditions", "account_conditions")
    @classmethod
    def _at_most_three(cls, value: list[Condition]) -> list[Condition]:
        if len(value) > MAX_CONDITIONS:
            raise ValueError(f"at most {MAX_CONDITIONS} conditions (M2), got {len(value)}")
        return value


def default_mappings() -> dict[str, dict[str, str]]:
    """F1: the default mappings; ``a|b`` takes the first source with a value, ``=text`` is a constant."""
    return {
        "Contact": {"LastName": "visitor.name|visitor.email|=Chat visitor", "Email": "visitor.email",
                    "Phone": "prechat.phone", "Department": "prechat.department"},
        "Lead": {"LastName": "visitor.name|visitor.email|=Chat visitor", "Email": "visitor.email",
                 "Phone": "prechat.phone", "Company": "prechat.company|=[not provided]"},
        "Case": {"SuppliedName": "visitor.name", "SuppliedEmail": "visitor.email", "SuppliedPhone": "prechat.phone",
                 "SuppliedCompany": "prechat.company", "Subject": "chat.title", "Description": "chat.details"},
        "Task": {"Subject": "chat.title", "Description": "chat.details", "Status": "=Completed",
                 "ActivityDate": "chat.endDate"},
    }


OBJECTS = ("Contact", "Lead", "Case", "Task")


class ChatOptions(Strict):
    triggers: Triggers = Field(default_factory=Triggers)
    identification: Identification = Field(default_factory=Identification)
    update_policy: Literal["keep", "overwrite", "fill_blanks"] = "keep"
    """M5: what a found Contact or Lead gets from the chat: nothing, every mapped field, or only the mapped
    fields that are empty in Salesforce."""
    mappings: dict[str, dict[str, str]] = Field(default_factory=dict)
    """F1 overrides per object, merged over the defaults: ``Field = "source"``; ``Field = ""`` removes a
    default."""
    contact_key_field: str = Field("Syncd_Visitor_Key__c", pattern=FIELD_NAME)
    """The external-id field (on Contact and Lead) keyed by the visitor's identification values, so a
    retried, replayed or concurrent creation of one visitor makes one record."""
    conversation_key_field: str = Field("Syncd_Chat_Id__c", pattern=FIELD_NAME)
    """The external-id field (on Case and Task) keyed by the chat, conversation or offline message."""
    owner_cache_seconds: int = Field(3600, ge=0)
    """O1: how long an agent's User (or the absence of one) is remembered; 0 asks every time."""
    batch_size: int = Field(100, ge=1, le=500)
    """How many chats one identification request serves."""
    description_limit: int = Field(32000, ge=100, le=131072)
    """Case and Task Description are long text areas of 32,000 characters: longer details are cut."""

    @field_validator("mappings")
    @classmethod
    def _mappings(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        import re

        for sobject, fields in value.items():
            if sobject not in OBJECTS:
                raise ValueError(f"mappings.{sobject}: chat maps {', '.join(OBJECTS)}")
            for name, source in fields.items():
                if not re.match(FIELD_NAME, name):
                    raise ValueError(f"mappings.{sobject}.{name}: not a field name")
                if source and not re.match(SOURCE, source):
                    raise ValueError(f"mappings.{sobject}.{name}: {source!r} is not a source (a path such as "
                                     "visitor.email, alternatives a|b, or =constant)")
        return value

    def mapping(self, sobject: str) -> dict[str, str]:
        """F1: the default mapping of an object with this configuration's overrides."""
        merged = {**default_mappings()[sobject], **self.mappings.get(sobject, {})}
        return {name: source for name, source in merged.items() if source}

    def enabled(self) -> bool:
        return any(getattr(self.triggers, t) != "nothing" for t in TRIGGERS)
