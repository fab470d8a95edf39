"""The care calls: link and unlink a customer to a Contact (L1, L2), escalate a care case (E1-E6),
read a care case with its history (C6) and its Salesforce side, a customer's cases, delete a case (C7)."""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..salesforce.errors import SalesforceApiError
from .escalation import EscalationError, escalate
from .events import iso
from .store import CareStore

if TYPE_CHECKING:
    from ..service import Runtime

PROBLEM = "application/problem+json"


def problem(status: int, code: str, detail: str, rule: str | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": code, "status": status, "detail": detail, "code": code}
    if rule:
        body["rule"] = rule
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def routes(runtime: "Runtime") -> list[Route]:
    def authorized(request: Request) -> bool:
        tokens = runtime.config.service.api_tokens
        if not tokens:
            return True
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return any(hmac.compare_digest(given, t) for t in tokens)

    async def body_of(request: Request) -> dict:
        raw = await request.body()
        if not raw.strip():
            return {}
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    def guarded(handler):
        async def endpoint(request: Request) -> Response:
            if not authorized(request):
                return problem(401, "UNAUTHORIZED", "a valid Bearer token is required")
            try:
                return await handler(request)
            except (ValueError, json.JSONDecodeError) as exc:
                return problem(400, "BAD_REQUEST", str(exc))
            except EscalationError as exc:
                return problem(exc.status, exc.code, exc.message, exc.rule)
        return endpoint

    async def do_escalate(request: Request) -> Response:
        data = await body_of(request)
        answer = await escalate(runtime, request.path_params["case_id"], data)
        return JSONResponse(answer, status_code=201 if answer["created"] else 200)

    async def link(request: Request) -> Response:
        store = CareStore(runtime.state.conn)
        customer_id = request.path_params["customer_id"]
        if store.customer(customer_id) is None:
            return problem(404, "NOT_FOUND", f"No customer {customer_id}")
        if request.method == "DELETE":
            with runtime.state.transaction():
                store.link(customer_id, None, iso(runtime.now()))  # L1: the link can be removed
            return Response(status_code=204)
        data = await body_of(request)
        contact_id = data.get("contactId")
        if not isinstance(contact_id, str) or not contact_id:
            return problem(400, "BAD_REQUEST", "contactId is required")
        try:
            record = await runtime.client.request("GET", f"/sobjects/Contact/{contact_id}",
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
            return problem(404, "NOT_FOUND", f"No care case {request.path_params['case_id']}")
        if request.method == "DELETE":
            with runtime.state.transaction():
                store.delete_case(case["id"])  # C7: deleted only when asked
            return Response(status_code=204)
        customer = store.customer(case["customer_id"]) or {}
        limit = runtime.config.rules.history_limit
        salesforce: dict = {"contactId": customer.get("contact_id"), "caseId": case["sf_case_id"],
                            "caseNumber": case["sf_case_number"], "caseStatus": None}
        if case["sf_case_id"]:
            try:  # read from Salesforce, never written back (E6)
                record = await runtime.client.request("GET", f"/sobjects/Case/{case['sf_case_id']}",
                                                      params={"fields": "Status,OwnerId,IsClosed"})
                salesforce.update({"caseStatus": record.get("Status"), "caseOwnerId": record.get("OwnerId")})
            except SalesforceApiError as exc:
                salesforce["error"] = f"{exc.code}: {exc.message}"
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
            return problem(404, "NOT_FOUND", f"No customer {customer_id}")
        return JSONResponse({"customer": customer, "cases": [
            {"id": c["id"], "profileId": c["profile_id"], "status": c["status"], "createdAt": c["created_at"],
             "closedAt": c["closed_at"], "salesforceCaseId": c["sf_case_id"],
             "salesforceCaseNumber": c["sf_case_number"], "messageCount": store.message_count(c["id"])}
            for c in store.cases_of_customer(customer_id)]})

    return [
        Route("/v1/care/cases/{case_id}/escalate", guarded(do_escalate), methods=["POST"]),
        Route("/v1/care/cases/{case_id}", guarded(get_case), methods=["GET", "DELETE"]),
        Route("/v1/care/customers/{customer_id}/link", guarded(link), methods=["PUT", "DELETE"]),
        Route("/v1/care/customers/{customer_id}/cases", guarded(customer_cases), methods=["GET"]),
    ]
