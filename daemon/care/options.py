"""The rule options of ``[rules]`` in syncd.toml (validated with the rest of the configuration)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

OPEN_STATUSES = ("new", "open", "pending", "on_hold")  # C2
CLOSED_STATUS = "done"


class CareRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_period_seconds: int = Field(0, ge=0)
    """C3: how long after a case is done a customer message reopens it; 0 never reopens."""
    escalation_max_age_days: int = Field(90, ge=1)
    """E2: escalation is refused when the customer's last message is this many days old or older."""
    history_limit: int = Field(500, ge=1)
    """C6: messages shown in a case's history."""
    case_external_id_field: str = "Care_Case_Id__c"
    """E5: the Case field keyed by the care case id, so a repeated escalation finds the same Case."""
    case_mapping: dict[str, str] = Field(default_factory=lambda: {
        "Subject": "details.subject", "Description": "details.description", "Origin": "=Social",
        "Priority": "details.priority"})
    """E3: Case field <- source (``details.x``, ``case.x``, ``customer.x``, ``agent.x``; ``=text`` a constant)."""
    storage_object: str | None = None
    """P1/P5: the storage object of messages (SocialPost or a custom object of that type); none: no messages."""
    storage_record_type_id: str | None = None
    storage_parent_field: str = "ParentId"
    storage_external_id_field: str = "Care_Message_Id__c"
    message_mapping: dict[str, str] = Field(default_factory=lambda: {
        "Name": "message.title", "Content": "message.text", "Posted": "message.time",
        "IsOutbound": "message.outbound", "Handle": "message.author.name", "Provider": "customer.platform",
        "MessageType": "=Direct"})
    backfill_limit: int = Field(100, ge=0, le=2000)
    """P1: how many of the latest messages an escalation loads into Salesforce."""
    incoming_case_status: str | None = None
    """P3: the Case Status set when an inbound message is added to an escalated care case."""
    incoming_status_refresh_seconds: int = Field(3600, ge=0)
    """P3 economy: after syncd set the Case to that status, further inbound messages do not set it again
    until an agent replies (an outbound message), the care case's status changes, or this many seconds
    have passed since syncd last set it (0: every inbound message sets it)."""
    community_only: bool = False
    """P6: no care module: Cases are created one way and nothing is synchronised afterwards."""
    retry_base_seconds: float | None = None
