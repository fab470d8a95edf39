"""Care rules as pure functions over plain data (field mapping is the shared ``daemon/mapping.py``). Each names the rule ids of RULES.md it implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..mapping import map_fields
from .options import CLOSED_STATUS, OPEN_STATUSES, CareRules


@dataclass(frozen=True)
class CaseView:
    id: str
    status: str
    created_at: str
    closed_at: str | None


class RuleRefusal(Exception):
    """A rule refuses a call: ``code`` for machines, ``message`` for the agent, ``rule`` for the reader."""

    def __init__(self, rule: str, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.rule = rule
        self.code = code
        self.message = message
        self.status = status


def is_open(status: str) -> bool:
    """C2: new, open, pending and on_hold are open; done is closed."""
    return status in OPEN_STATUSES


def route_message(cases: list[CaseView], direction: str, now: datetime, rules: CareRules) -> tuple[str, str | None]:
    """Which care case a message of a (customer, profile) pair goes to.

    Returns (action, case id): ``existing`` (the open case: C1 allows at most one), ``reopen`` (C3: a
    customer message on a done case inside the grace period), or ``new`` (C4: after the grace period a
    new case starts; the old one stays closed with its messages).
    """
    open_cases = [c for c in cases if is_open(c.status)]
    if open_cases:
        return "existing", max(open_cases, key=lambda c: c.created_at).id  # C1
    closed = [c for c in cases if c.status == CLOSED_STATUS]
    if closed and direction == "inbound" and rules.grace_period_seconds > 0:
        latest = max(closed, key=lambda c: (c.closed_at or "", c.created_at))
        if latest.closed_at and now - datetime.fromisoformat(latest.closed_at) <= timedelta(
                seconds=rules.grace_period_seconds):
            return "reopen", latest.id  # C3
    if closed and direction == "outbound":
        return "existing", max(closed, key=lambda c: c.created_at).id  # an agent's reply stays in its case
    return "new", None  # C4


def check_escalation(*, linked_contact: str | None, last_inbound: str | None, now: datetime,
                     rules: CareRules) -> None:
    """E1: the customer must be linked to a Contact. E2: the customer's last message must be younger than
    the limit (90 days): exactly 90 days old is refused, a second younger is allowed."""
    if not linked_contact:
        raise RuleRefusal("E1", "CUSTOMER_NOT_LINKED", "The customer of this case is not linked to a Salesforce "
                          "Contact; link one first.")
    if last_inbound is None:
        raise RuleRefusal("E2", "NO_CUSTOMER_MESSAGE", "The customer has posted no message in this case.")
    age = now - datetime.fromisoformat(last_inbound)
    if age >= timedelta(days=rules.escalation_max_age_days):
        raise RuleRefusal("E2", "LAST_MESSAGE_TOO_OLD", f"The customer's last message is {age.days} days old; "
                          f"cases can be escalated until {rules.escalation_max_age_days} days after it.")


def case_fields(rules: CareRules, *, care_case: dict, customer: dict, details: dict, agent: dict,
                contact_id: str, account_id: str | None, owner_id: str | None) -> dict[str, Any]:
    """E3: the Case through the configured mapping; ContactId is the linked Contact, AccountId its Account,
    OwnerId per O1 (omitted to let Salesforce default it to the integration user)."""
    fields = map_fields(rules.case_mapping, {"case": care_case, "customer": customer, "details": details,
                                             "agent": agent})
    fields["ContactId"] = contact_id
    if account_id:
        fields["AccountId"] = account_id
    if owner_id:
        fields["OwnerId"] = owner_id
    return fields


def message_title(text: str, limit: int = 80) -> str:
    first = " ".join(text.split())
    return (first[: limit - 1] + "…") if len(first) > limit else (first or "(no text)")


def message_fields(rules: CareRules, *, message: dict, customer: dict, sf_case_id: str) -> dict[str, Any]:
    """P1/P2: one storage record for a care message, linked to the Case (P4 keys it by the platform id)."""
    context_message = {**message, "outbound": message.get("direction") == "outbound",
                       "title": message_title(message.get("text", ""))}
    fields = map_fields(rules.message_mapping, {"message": context_message, "customer": customer})
    fields[rules.storage_parent_field] = sf_case_id
    if rules.storage_record_type_id:
        fields["RecordTypeId"] = rules.storage_record_type_id
    return fields


def propagates(rules: CareRules) -> bool:
    """P5: without a storage object nothing is propagated; P6: community-only deployments never sync."""
    return bool(rules.storage_object) and not rules.community_only


def owner_query(agent_email: str | None) -> str | None:
    """O1: the active User whose email equals the agent's (case-insensitive: SOQL's = on text is); the
    oldest first so the choice is deterministic. None: no agent email, the integration user owns it."""
    if not agent_email or "@" not in agent_email:
        return None
    escaped = agent_email.replace("\\", "\\\\").replace("'", "\\'")
    return (f"SELECT Id FROM User WHERE IsActive = true AND Email = '{escaped}' "
            "ORDER BY CreatedDate ASC, Id ASC LIMIT 1")


def needs_incoming_status(*, wanted: str | None, last_set: str | None, last_set_at: str | None, now: datetime,
                          refresh_seconds: int) -> bool:
    """P3: whether an inbound message must set the Case status. syncd never reads the Case back (E6), so
    it remembers what it last set: the same status again is skipped until something may have changed it
    (an agent's reply or a care status change clears the memory) or ``refresh_seconds`` have passed."""
    if not wanted:
        return False
    if last_set != wanted or not last_set_at or refresh_seconds == 0:
        return True
    return now - datetime.fromisoformat(last_set_at) >= timedelta(seconds=refresh_seconds)
