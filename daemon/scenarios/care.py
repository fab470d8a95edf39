"""Scenario steps of the care integration: a message event from a short spec, a status change, a link
(L1) and an escalation (E1-E6, with ``concurrent: n`` for E5)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from fakeforce.formats import parse_datetime

from .concurrency import at_once
from .matching import Mismatch, seconds

if TYPE_CHECKING:
    from .runner import Run

STEPS = ("status", "link", "escalate")


def message_event(run: "Run", spec: dict) -> dict:
    spec = run.sub(spec)
    run.message_count += 1
    message_id = spec.get("id") or f"msg-{run.message_count}"
    if "time" in spec:
        moment = parse_datetime(str(spec["time"]))
    else:
        moment = run.now() - timedelta(seconds=seconds(spec.get("ago", 0)))
    customer = run.customer(spec["customer"] if isinstance(spec["customer"], dict) else {"id": spec["customer"]})
    data = {"messageId": message_id, "customer": customer, "profile": spec.get("profile", "profile-1"),
            "direction": spec.get("direction", "inbound"), "time": moment.isoformat(),
            "text": spec.get("text", f"message {run.message_count}"),
            "author": spec.get("author") or ({"name": customer.get("name") or customer["id"]}
                                              if spec.get("direction", "inbound") == "inbound" else {"name": "Agent"}),
            "attachments": spec.get("attachments", [])}
    return {"specversion": "1.0", "id": spec.get("event_id", f"evt-{message_id}"), "source": "scenario",
            "type": "io.syncd.care.message.v1", "data": data}


def care_step(run: "Run", kind: str, value: Any) -> httpx.Response:
    response: httpx.Response
    if kind == "status":
        spec = run.sub(value)
        event = {"specversion": "1.0", "id": f"status-{uuid.uuid4().hex[:8]}", "source": "scenario",
                 "type": "io.syncd.care.case.status.v1",
                 "data": {"caseId": run.case_id(spec["case"]), "status": spec["set"]}}
        response = run.send_events([event])
    elif kind == "link":
        spec = run.sub(value)
        path = f"/v1/care/customers/{quote(run.customer(spec['customer']), safe='')}/link"
        if spec.get("contact") is None:
            response = run.call("DELETE", path)
        else:
            response = run.call("PUT", path, {"contactId": spec["contact"]})
    elif kind == "escalate":
        spec = run.sub(value)
        case_id = run.case_id(spec.get("case") or {"customer": spec["customer"], "profile": spec.get("profile",
                                                                                                    "profile-1")})
        body = {"agent": spec.get("agent") or {}, "details": spec.get("details") or {}}
        concurrent = int(spec.get("concurrent", 1))
        if concurrent > 1:
            answers, overlap = at_once(lambda: run.call("POST", f"/v1/care/cases/{case_id}/escalate", body),
                                       concurrent)
            ids = {(a.json().get("caseId"), a.json().get("caseNumber")) for a in answers}
            if len(ids) != 1:
                raise Mismatch(f"concurrent escalations answered different Cases: {ids}")
            response = answers[0]
            run.variables["concurrent_statuses"] = sorted(a.status_code for a in answers)
            run.variables["concurrent_overlap"] = overlap  # E5: every call sent before any was answered
        else:
            response = run.call("POST", f"/v1/care/cases/{case_id}/escalate", body)
    return response
