"""The care calls: link and unlink a customer to a Contact (L1, L2), escalate a care case (E1-E6),
read a care case with its history (C6) and its Salesforce side, a customer's cases, delete a case (C7).

Every call goes through ``guard.guarded`` (Host, bearer token, JSON body bounds, problem+json for any
failure). Ids a caller gives are checked before they reach a Salesforce URL (``sfid``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..guard import Problem, guarded, json_body, problem, validated
from ..salesforce.errors import SalesforceApiError
from ..sfid import InvalidId, check_id, segment
from .escalation import EscalationError, escalate
from .events import iso
from .store import CareStore

if TYPE_CHECKING:
    from ..service import Runtime

class Agent(BaseModel):
    """Who escalates: the email picks the Case owner (O1); other keys feed the Case mapping (E3)."""

    model_config = ConfigDict(extra="allow")
    email: str | None = Field(None, max_length=255)
    name: str | None = Field(None, max_length=255)

    @model_validator(mode="after")
    def _scalars(self) -> "Agent":
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, (dict, list)):
                raise ValueError(f"agent.{key} must be a string, number, boolean or null")
        return self


class EscalateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent: Agent = Field(default_factory=Agent)
    details: dict[str, Any] = Field(default_factory=dict)
    """Values for the Case mapping (``details.subject``...): strings, numbers, booleans or null."""

    @field_validator("details")
    @classmethod
    def _scalars(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                raise ValueError(f"details.{key} must be a string, number, boolean or null")
        return value


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contactId: str | None = None




def routes(runtime: "Runtime") -> list[Route]:
    async def do_escalate(request: Request) -> Response:
        body = validated(EscalateBody, await json_body(request))
        agent = {k: v for k, v in body.agent.model_dump().items() if v is not None}
        try:
            answer = await escalate(runtime, request.path_params["case_id"],
                                    {"agent": agent, "details": body.details})
        except EscalationError as exc:
            raise Problem(exc.status, exc.code, exc.message, rule=exc.rule) from None
        return JSONResponse(answer, status_code=201 if answer["created"] else 200)

    async def link(request: Request) -> Response:
        store = CareStore(runtime.state.conn)
        customer_id = request.path_params["customer_id"]
        data = await json_body(request) if request.method == "PUT" else {}
        if store.customer(customer_id) is None:
            raise Problem(404, "NOT_FOUND", f"No customer {customer_id}")
        if request.method == "DELETE":
            with runtime.state.transaction():
                store.link(customer_id, None, iso(runtime.now()))  # L1: the link can be removed
            return Response(status_code=204)
        contact_id = validated(LinkBody, data).contactId
        if not contact_id:
            raise Problem(400, "BAD_REQUEST", "contactId is required", field="/contactId")
        try:
            check_id(contact_id, "Contact", "/contactId")
        except InvalidId as exc:
            # L2: no Contact has this id; nothing is asked of Salesforce with it (no path of another object)
            return problem(422, "CONTACT_NOT_FOUND", f"No Contact {contact_id[:80]!r} in Salesforce: {exc.detail}",
                           "L2", field=exc.field, errorCode="INVALID_ID")
        try:
            record = await runtime.client.request("GET", f"/sobjects/Contact/{segment(contact_id)}",
                                                  params={"fields": "Id,Name,AccountId"})
        except SalesforceApiError as exc:
            if exc.status in (400, 404):
                # L2: the Contact must exist and not be deleted.
                return problem(422, "CONTACT_NOT_FOUND", f"No Contact {contact_id} in Salesforce (it does not exist "
                               "or was deleted)", "L2")
            return problem(503, "SALESFORCE_UNAVAILABLE", f"{exc.code}: {exc.message}", "S3")
        with runtime.state.transaction():
            store.link(customer_id, record["Id"], iso(runtime.now()))  # L1: link or change the link
        return JSONResponse({"customerId": customer_id, "contactId": record["Id"], "contactName": record.get("Name"),
                             "accountId": record.get("AccountId")})

    async def get_case(request: Request) -> Response:
        store = CareStore(runtime.state.conn)
        case = store.case(request.path_params["case_id"])
        if case is None:
            raise Problem(404, "NOT_FOUND", f"No care case {request.path_params['case_id']}")
        if request.method == "DELETE":
            with runtime.state.transaction():
                store.delete_case(case["id"], iso(runtime.now()))  # C7: deleted only when asked, its text everywhere
            return Response(status_code=204)
        customer = store.customer(case["customer_id"]) or {}
        limit = runtime.config.rules.history_limit
        salesforce: dict = {"contactId": customer.get("contact_id"), "caseId": case["sf_case_id"],
                            "caseNumber": case["sf_case_number"], "caseStatus": None}
        if case["sf_case_id"]:
            try:  # read from Salesforce, never written back (E6)
                sf_case = check_id(case["sf_case_id"], "Case", "/salesforce/caseId")
                record = await runtime.client.request("GET", f"/sobjects/Case/{segment(sf_case)}",
                                                      params={"fields": "Status,OwnerId,IsClosed"})
                salesforce.update({"caseStatus": record.get("Status"), "caseOwnerId": record.get("OwnerId")})
            except SalesforceApiError as exc:
                salesforce["error"] = f"{exc.code}: {exc.message}"
            except InvalidId as exc:
                salesforce["error"] = f"INVALID_ID: {exc.detail}"
        return JSONResponse({
            "id": case["id"], "status": case["status"], "customerId": case["customer_id"],
            "profileId": case["profile_id"], "createdAt": case["created_at"], "closedAt": case["closed_at"],
            "messageCount": store.message_count(case["id"]),
            "messages": store.messages(case["id"], limit),  # C6: the last 500, older ones kept
            "salesforce": salesforce})

    async def customer_cases(request: Request) -> Response:
        store = CareStore(runtime.state.conn)
        customer_id = request.path_params["customer_id"]
        customer = store.customer(customer_id)
        if customer is None:
            raise Problem(404, "NOT_FOUND", f"No customer {customer_id}")
        return JSONResponse({"customer": customer, "cases": [
            {"id": c["id"], "profileId": c["profile_id"], "status": c["status"], "createdAt": c["created_at"],
             "closedAt": c["closed_at"], "salesforceCaseId": c["sf_case_id"],
             "salesforceCaseNumber": c["sf_case_number"], "messageCount": store.message_count(c["id"])}
            for c in store.cases_of_customer(customer_id)]})

    return [
        Route("/v1/care/cases/{case_id}/escalate", guarded(runtime, do_escalate), methods=["POST"]),
        Route("/v1/care/cases/{case_id}", guarded(runtime, get_case), methods=["GET", "DELETE"]),
        Route("/v1/care/customers/{customer_id}/link", guarded(runtime, link), methods=["PUT", "DELETE"]),
        Route("/v1/care/customers/{customer_id}/cases", guarded(runtime, customer_cases), methods=["GET"]),
    ]
