"""``[interactions]`` in syncd.toml: how a handled phone call, chat or email becomes a Salesforce Task (I1-I5).

The fields named here make every write idempotent: the Task (and a Case created from the interaction) is
upserted by ``task_key_field`` / ``case_key_field`` = ``<channel>:<interaction id>``, a customer created
under a known Account (I4) by ``contact_key_field``. Mappings are merged over the defaults like chat's
(``""`` removes a default); sources are paths into the interaction's context (see ``rules.context``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

FIELD_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"
SOURCE = r"^(=.*|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*(\|.+)?)$"
OBJECTS = ("Task", "Case", "Contact")


def default_mappings() -> dict[str, dict[str, str]]:
    """What a Task, a Case created from the interaction and a new customer's Contact get by default."""
    return {
        "Task": {"Subject": "interaction.title", "Description": "interaction.notes",
                 "ActivityDate": "interaction.date", "CallType": "interaction.callType",
                 "CallDurationInSeconds": "interaction.duration", "CallDisposition": "interaction.disposition",
                 "TaskSubtype": "interaction.subtype"},
        "Case": {"Subject": "case.subject|interaction.title", "Description": "case.description|interaction.notes",
                 "Origin": "interaction.origin", "Priority": "case.priority"},
        "Contact": {"LastName": "customer.lastName|customer.name|customer.email|=Customer",
                    "FirstName": "customer.firstName", "Email": "customer.email", "Phone": "customer.phone"},
    }


class InteractionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_key_field: str = Field("Syncd_Interaction_Id__c", pattern=FIELD_NAME)
    """External id on Task: one Task per interaction, whatever retries or redeliveries happen."""
    case_key_field: str = Field("Syncd_Interaction_Id__c", pattern=FIELD_NAME)
    """External id on Case for a Case created from an interaction (I2)."""
    contact_key_field: str = Field("Syncd_Visitor_Key__c", pattern=FIELD_NAME)
    """External id on Contact for a customer created under a known Account (I4), shared with chat."""
    closed_status: str = Field("", max_length=255)
    """I5 "finish": the Task status to set; it must be closed (TaskStatus.IsClosed). Empty: the org's first
    closed status by SortOrder (Completed in a new org)."""
    max_customers: int = Field(10, ge=1, le=10)
    """Customers in one call or event: each may need a Contact upsert and a TaskRelation insert, and one
    composite request holds 25 (the Task and a Case included). More can be related afterwards (I5)."""
    owner_cache_seconds: float = Field(3600.0, ge=0)
    """O1 look-ups (and the org's closed Task statuses) are reused this long."""
    batch_size: int = Field(10, ge=1, le=100)
    """Queued interactions (from events) handled per turn of the sender loop."""
    mappings: dict[str, dict[str, str]] = Field(default_factory=dict)
    """``mappings.<Task|Case|Contact>.<Field> = "source"`` over the defaults; ``""`` removes a default."""

    @field_validator("mappings")
    @classmethod
    def _mappings(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        import re

        for sobject, fields in value.items():
            if sobject not in OBJECTS:
                raise ValueError(f"mappings.{sobject}: only {', '.join(OBJECTS)} can be mapped")
            for name, source in fields.items():
                if not re.match(FIELD_NAME, name):
                    raise ValueError(f"mappings.{sobject}.{name}: not a field name")
                if source and not re.match(SOURCE, source):
                    raise ValueError(f"mappings.{sobject}.{name}: {source!r} is not a source (a path such as "
                                     "interaction.notes, a|b alternatives or =constant)")
        return value

    def mapping(self, sobject: str) -> dict[str, str]:
        merged = {**default_mappings()[sobject], **self.mappings.get(sobject, {})}
        return {name: source for name, source in merged.items() if source}
