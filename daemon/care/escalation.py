"""Escalating a care case to a Salesforce Case (E1-E6, O1, P1), in as few API requests as the API allows:
the owner lookup (O1, only when the agent has an email), then one composite request that reads the linked
Contact, upserts the Case by the care case id (E5) and reads its CaseNumber back (E4). The backfill of the
last 100 messages (P1) goes through the outbox, where the sender packs it into one collections request."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import rules
from ..salesforce.errors import SalesforceApiError
from ..sfid import InvalidId, check_id
from .events import escalated_case, iso, message_files, storage_operation
from .store import CareStore

if TYPE_CHECKING:
    from ..service import Runtime


class EscalationError(Exception):
    def __init__(self, status: int, code: str, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.rule = status, code, message, rule


def _salesforce_failure(exc: SalesforceApiError) -> EscalationError:
    if exc.org_wide or exc.retryable:  # a login Salesforce refuses (wrong credentials) is not the Case's fault
        # S3: out of API requests or Salesforce unavailable: nothing is escalated; the agent may try again.
        return EscalationError(503, "SALESFORCE_UNAVAILABLE", f"Salesforce did not accept the request now "
                               f"({exc.code}: {exc.message}); nothing was created, try again later.", "S3")
    return EscalationError(422, exc.code, f"Salesforce refused the Case: {exc.message}", "E3")


async def escalate(runtime: "Runtime", case_id: str, request: dict[str, Any]) -> dict[str, Any]:
    lock = runtime.escalation_locks.setdefault(case_id, asyncio.Lock())
    async with lock:  # E5: a concurrent second escalation waits here and then finds the Case
        store = CareStore(runtime.state.conn)
        case = store.case(case_id)
        if case is None:
            raise EscalationError(404, "NOT_FOUND", f"No care case {case_id}")
        if case["sf_case_id"]:
            return _answer(case["sf_case_id"], case["sf_case_number"], created=False)  # E5
        options = runtime.config.rules
        customer = store.customer(case["customer_id"]) or {}
        try:
            rules.check_escalation(linked_contact=customer.get("contact_id"),
                                   last_inbound=store.last_inbound_time(case_id), now=runtime.now(), rules=options)
        except rules.RuleRefusal as refusal:
            raise EscalationError(refusal.status, refusal.code, refusal.message, refusal.rule) from None
        agent = request.get("agent") if isinstance(request.get("agent"), dict) else {}
        details = request.get("details") if isinstance(request.get("details"), dict) else {}
        try:
            owner_id = await _owner(runtime, agent.get("email"))  # O1
            sf_case_id, number = await _create_case(runtime, options, case, customer, details, agent, owner_id)
        except SalesforceApiError as exc:
            raise _salesforce_failure(exc) from None
        now = iso(runtime.now())
        ops = []
        with runtime.state.transaction():
            store.mark_escalated(case_id, sf_case_id, number, agent, now)
            if rules.propagates(options) and options.backfill_limit:  # P1 (P5/P6: nothing without storage)
                escalated = store.case(case_id) or {}
                for message in store.messages(case_id, options.backfill_limit):
                    ops.append(storage_operation(options, message, customer, escalated))
                runtime.state.enqueue(f"escalation:{case_id}", ops)
            file_ops = [] if options.community_only else message_files(  # F4: earlier messages' files
                store, store.messages(case_id, options.backfill_limit or 100), escalated_case(store, case_id),
                runtime.config.files)
            if file_ops:
                runtime.state.enqueue(f"escalation:{case_id}", file_ops)
        return _answer(sf_case_id, number, created=True, backfill=len(ops))


def _answer(case_id: str, number: str | None, *, created: bool, backfill: int = 0) -> dict[str, Any]:
    return {"caseId": case_id, "caseNumber": number, "created": created, "backfill": backfill}


async def _owner(runtime: "Runtime", email: str | None) -> str | None:
    """O1: the active User with the agent's email, else None (the integration user owns the Case)."""
    soql = rules.owner_query(email)
    if soql is None:
        return None
    records = await runtime.client.query(soql)
    return records[0]["Id"] if records else None


async def _create_case(runtime: "Runtime", options, case: dict, customer: dict, details: dict, agent: dict,
                       owner_id: str | None) -> tuple[str, str | None]:
    version = runtime.config.salesforce.api_version
    base = f"/services/data/v{version}"
    try:  # the stored link goes into a URL: it must be a Contact id and nothing more
        contact_id = check_id(customer["contact_id"], "Contact", "/customer/contactId")
    except InvalidId as exc:
        raise EscalationError(422, "INVALID_ID", f"the linked contact id is not usable: {exc.detail}; "
                              "link the customer again", "L2") from None
    fields = rules.case_fields(options, care_case=case, customer=customer, details=details, agent=agent,
                               contact_id=contact_id, account_id="@{contact.AccountId}", owner_id=owner_id)  # E3
    external = quote(case["id"], safe="")
    entries = await runtime.client.composite([
        {"method": "GET", "url": f"{base}/sobjects/Contact/{quote(contact_id, safe='')}?fields=Id,AccountId",
         "referenceId": "contact"},
        {"method": "PATCH", "url": f"{base}/sobjects/Case/{options.case_external_id_field}/{external}",
         "referenceId": "upsert", "body": fields},
        {"method": "GET", "url": f"{base}/sobjects/Case/@{{upsert.id}}?fields=Id,CaseNumber", "referenceId": "case"},
    ], all_or_none=True)
    contact = entries[0]
    if contact["httpStatusCode"] == 404:
        # L2: the linked Contact was deleted (or never existed) since the link was made.
        raise SalesforceApiError(404, [{"errorCode": "CONTACT_NOT_FOUND", "message": "The linked Contact no longer "
                                        "exists in Salesforce; link the customer to another Contact."}])
    failed = next((e for e in entries if e["httpStatusCode"] >= 400 and
                   (e["body"] or [{}])[0].get("errorCode") != "PROCESSING_HALTED"), None)
    if failed is not None:
        raise SalesforceApiError(failed["httpStatusCode"], failed["body"] or [])
    record = entries[2]["body"]
    return record["Id"], record.get("CaseNumber")
