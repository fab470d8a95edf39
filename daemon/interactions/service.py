"""Logging interactions and the agent's follow-ups (I1-I5): the imperative shell around ``rules`` and ``plans``.

Each call holds the interaction's lock (the call path and the event path share it), reads once (one
composite of queries) and writes once (one all-or-none composite), so a logged interaction costs two API
requests, and an interaction logged already and sent again costs one. Salesforce failing leaves nothing
half-applied: the write is all-or-none, and an attempt whose reply was lost is found by the next read.

Failures are ``Refusal`` (what the caller must fix) or ``SalesforceApiError`` (Salesforce's answer: the
API turns a transient one into 503, the worker waits and tries again)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any, Callable
from urllib.parse import quote

from ..identify import soql_literal
from ..owners import OwnerCache, pick_users, usable, users_query
from ..salesforce.client import SalesforceClient
from ..salesforce.errors import SalesforceApiError
from ..state.store import State
from . import plans, rules
from .events import key_of
from .options import InteractionOptions
from .rules import Refusal
from .store import InteractionStore

ROLLED_BACK = {"PROCESSING_HALTED", "ALL_OR_NONE_OPERATION_ROLLED_BACK"}


class _Raced(Exception):
    """A TaskRelation insert met a row made meanwhile (by the agent, another syncd): read again."""


class Interactions:
    def __init__(self, state: State, client: SalesforceClient, options: Callable[[], InteractionOptions],
                 now: Callable[[], datetime], on_request: Callable[[], None] = lambda: None) -> None:
        self.state = state
        self.client = client
        self.options = options
        self.now = now
        self.on_request = on_request
        self.locks: dict[str, asyncio.Lock] = {}
        self._closed: tuple[float, list[str]] | None = None

    def lock(self, key: str) -> asyncio.Lock:
        return self.locks.setdefault(key, asyncio.Lock())

    @property
    def version(self) -> str:
        return self.client.config.api_version

    # -- I1-I4: log an interaction ---------------------------------------------------------------------
    async def log(self, data: dict) -> dict[str, Any]:
        options = self.options()
        key = key_of(data["channel"], data["interactionId"])
        if len(data.get("customers") or []) > options.max_customers:
            raise Refusal(422, "TOO_MANY_CUSTOMERS", f"at most {options.max_customers} customers per interaction; "
                          "relate more afterwards (PATCH .../relations)", "I3", "/customers")
        async with self.lock(key):
            try:
                return await self._log(data, key, options)
            except _Raced:
                return await self._log(data, key, options)  # the fresh read sees the row: nothing twice

    async def _log(self, data: dict, key: str, options: InteractionOptions) -> dict[str, Any]:
        customers = data.get("customers") or []
        email, owner_id, missing = self._cached_owner((data.get("agent") or {}).get("email"), options)
        rows = await self._read(rules.reads(data, options, key, customers, missing))
        owner_id = self._learn_owner(email, owner_id, missing, rows)
        res = rules.resolve(data, rows, options)
        context = rules.context(data, key, self.now())
        plan = plans.log_plan(res, data, context, options, key, owner_id, self.version)
        entries = await self._write(plan.subrequests) if plan.subrequests else {}
        out = plans.answer(res, key, entries, plan)
        self._remember(key, out["taskId"], out["accountId"], out["caseId"],
                       [c["contactId"] for c in out["contacts"]])
        return out

    # -- I5: relate, take, finish ----------------------------------------------------------------------
    async def relate(self, key: str, data: dict) -> dict[str, Any]:
        options = self.options()
        async with self.lock(key):
            try:
                return await self._relate(key, data, options)
            except _Raced:
                return await self._relate(key, data, options)

    async def _relate(self, key: str, data: dict, options: InteractionOptions) -> dict[str, Any]:
        email, owner_id, missing = self._cached_owner((data.get("agent") or {}).get("email"), options)
        rows = await self._read(rules.reads(data, options, key, data.get("add") or [], missing))
        owner_id = self._learn_owner(email, owner_id, missing, rows)
        task = self._task(rows, key)
        logged = InteractionStore(self.state.conn).logged(key) or {}
        res = rules.resolve_relations(data, rows, options, logged.get("account_id") or task.get("AccountId"))
        channel, _, interaction_id = key.partition(":")
        context = rules.context({"channel": channel, "interactionId": interaction_id, "case": data.get("case")},
                                key, self.now())
        change = plans.relate_plan(task, res, data, context, options, key, owner_id, self.version)
        entries = await self._write(change.plan.subrequests) if change.plan.subrequests else {}
        desired = plans.resolved(change.desired, entries)
        if change.deferred:  # the primary changed: insert the rows still missing, after a fresh look
            again = self._task(await self._read([("task", rules.task_query(options, key))]), key)
            rest = plans.missing_rows(task["Id"], desired, again, self.version)
            if rest:
                await self._write(rest)
        primary = plans.resolved([change.primary], entries)[0] if change.primary else None
        what = plans.resolved([change.plan.what], entries)[0] if change.plan.what else task.get("WhatId")
        case_id = what if str(what or "").startswith("500") else None
        self._remember(key, task["Id"], res.account_id or task.get("AccountId"), case_id, desired)
        return {"key": key, "taskId": task["Id"], "whatId": what, "whoId": primary, "contacts": desired,
                "caseNumber": (entries.get("caseinfo") or {}).get("body", {}).get("CaseNumber"),
                "removed": [r for r in data.get("remove") or []]}

    async def take(self, key: str, email: str) -> dict[str, Any]:
        """I5 "Assign to me": OwnerId = the agent's User (O1); an agent without one is refused."""
        options = self.options()
        async with self.lock(key):
            wanted, owner_id, missing = self._cached_owner(email, options)
            statements = [("task", rules.task_query(options, key))] + ([("users", users_query(missing))]
                                                                       if missing else [])
            rows = await self._read(statements)
            owner_id = self._learn_owner(wanted, owner_id, missing, rows)
            task = self._task(rows, key)
            if owner_id is None:
                raise Refusal(422, "AGENT_NOT_A_USER", f"No active Salesforce User has the email {email}: the Task "
                              "stays with its owner (O1)", "O1", "/agent/email")
            return await self._set(key, task["Id"], {"OwnerId": owner_id})

    async def finish(self, key: str, status: str | None, email: str | None) -> dict[str, Any]:
        """I5 "Finish": a closed Task status (TaskStatus.IsClosed), assigned to the agent when one is named."""
        options = self.options()
        async with self.lock(key):
            wanted, owner_id, missing = self._cached_owner(email, options)
            statements = [("task", rules.task_query(options, key))]
            if missing:
                statements.append(("users", users_query(missing)))
            fresh = self._closed is None or time.monotonic() - self._closed[0] > options.owner_cache_seconds
            if fresh:
                statements.append(("statuses", "SELECT ApiName, MasterLabel, SortOrder FROM TaskStatus WHERE "
                                               "IsClosed = true ORDER BY SortOrder ASC"))
            rows = await self._read(statements)
            owner_id = self._learn_owner(wanted, owner_id, missing, rows)
            task = self._task(rows, key)
            if fresh:
                self._closed = (time.monotonic(), [r.get("ApiName") or r.get("MasterLabel")
                                                   for r in rows.get("statuses", [])])
            closed = self._closed[1] if self._closed else []
            chosen = status or options.closed_status or (closed[0] if closed else "Completed")
            match = next((c for c in closed if c.lower() == chosen.lower()), None)
            if match is None:
                where = "/status" if status else "interactions.closed_status"
                raise Refusal(422, "NOT_A_CLOSED_STATUS", f"{chosen!r} is not a closed Task status in this org "
                              f"(TaskStatus.IsClosed); closed ones: {', '.join(closed) or 'none'}", "I5", where)
            if email and owner_id is None:
                raise Refusal(422, "AGENT_NOT_A_USER", f"No active Salesforce User has the email {email} (O1)",
                              "O1", "/agent/email")
            fields: dict[str, Any] = {"Status": match}
            if owner_id:
                fields["OwnerId"] = owner_id
            return await self._set(key, task["Id"], fields)

    async def state_of(self, key: str) -> dict[str, Any]:
        """The Task as Salesforce has it now, with its people (TaskWhoRelations), and the queued job if any."""
        options = self.options()
        soql = (f"SELECT Id, WhoId, WhatId, AccountId, OwnerId, Status, IsClosed, (SELECT RelationId, Type, AccountId "
                f"FROM TaskWhoRelations ORDER BY CreatedDate ASC, Id ASC) FROM Task WHERE "
                f"{options.task_key_field} = {soql_literal(key)}")
        rows = (await self._read([("task", soql)])).get("task") or []
        job = InteractionStore(self.state.conn).job(key)
        if not rows and job is None:
            raise Refusal(404, "NOT_FOUND", f"No interaction {key}: nothing was logged for it")
        task = rows[0] if rows else {}
        people = ((task.get("TaskWhoRelations") or {}).get("records")) or []
        return {"key": key, "taskId": task.get("Id"), "ownerId": task.get("OwnerId"), "status": task.get("Status"),
                "isClosed": task.get("IsClosed"), "whoId": task.get("WhoId"), "whatId": task.get("WhatId"),
                "accountId": task.get("AccountId"),
                "contacts": [{"contactId": p["RelationId"], "type": p.get("Type"), "accountId": p.get("AccountId")}
                             for p in people],
                "job": None if job is None else {k: job[k] for k in ("status", "attempts", "last_error_code",
                                                                    "last_error")}}

    # -- Salesforce ------------------------------------------------------------------------------------
    async def _read(self, statements: list[tuple[str, str]]) -> dict[str, list[dict]]:
        """Every statement in one composite request (a handful: far under its 25 subrequests)."""
        subrequests = [{"method": "GET", "referenceId": name,
                        "url": f"/services/data/v{self.version}/query?q={quote(text, safe='')}"}
                       for name, text in statements]
        self.on_request()
        answers = await self.client.composite(subrequests)
        out: dict[str, list[dict]] = {}
        for (name, _), answer in zip(statements, answers):
            body = answer.get("body")
            if answer.get("httpStatusCode", 500) >= 300:
                raise SalesforceApiError(answer.get("httpStatusCode", 500), body if isinstance(body, list) else [])
            records = list(body["records"])
            while not body.get("done", True):
                self.on_request()
                body = await self.client.request("GET", body["nextRecordsUrl"])
                records.extend(body["records"])
            out[name] = records
        return out

    async def _write(self, subrequests: list[dict]) -> dict[str, dict]:
        """One all-or-none composite; the entries by referenceId, or the first real failure raised."""
        self.on_request()
        entries = await self.client.composite(subrequests, all_or_none=True)
        failed = [e for e in entries if e.get("httpStatusCode", 500) >= 300]
        cause = next((e for e in failed if _code(e) not in ROLLED_BACK), failed[0] if failed else None)
        if cause is not None:
            if _code(cause) == "DUPLICATE_VALUE" and cause["referenceId"][:1] in ("r", "m"):
                raise _Raced()
            body = cause.get("body")
            raise SalesforceApiError(cause.get("httpStatusCode", 500), body if isinstance(body, list) else [])
        return {e["referenceId"]: e for e in entries}

    async def _set(self, key: str, task_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        base = f"/services/data/v{self.version}/sobjects/Task/{task_id}"
        entries = await self._write([{"method": "PATCH", "url": base, "referenceId": "set", "body": fields},
                                     {"method": "GET", "url": f"{base}?fields=Id,OwnerId,Status,IsClosed",
                                      "referenceId": "task"}])
        task = entries["task"]["body"]
        return {"key": key, "taskId": task["Id"], "ownerId": task.get("OwnerId"), "status": task.get("Status"),
                "isClosed": task.get("IsClosed")}

    def _task(self, rows: dict[str, list[dict]], key: str) -> dict:
        found = rows.get("task") or []
        if not found:
            raise Refusal(404, "NOT_FOUND", f"No Task for interaction {key} in Salesforce: log it first "
                          "(POST /v1/interactions)")
        return found[0]

    # -- O1 and the local record -----------------------------------------------------------------------
    def _cached_owner(self, email: str | None, options: InteractionOptions) -> tuple[str | None, str | None, list]:
        """(the agent's email, their User from the cache, emails to ask Salesforce about)."""
        wanted = usable(email)
        if wanted is None:
            return None, None, []
        known, missing = OwnerCache(self.state.conn).known([wanted], self.now().timestamp(),
                                                           options.owner_cache_seconds)
        return wanted, known.get(wanted), missing

    def _learn_owner(self, email: str | None, owner_id: str | None, missing: list[str],
                     rows: dict[str, list[dict]]) -> str | None:
        if not missing:
            return owner_id
        answers = pick_users(rows.get("users", []))
        with self.state.transaction():
            OwnerCache(self.state.conn).remember(missing, answers, self.now().timestamp())
        return answers.get(email or "")

    def _remember(self, key: str, task_id: str | None, account_id: str | None, case_id: str | None,
                  contacts: list[str]) -> None:
        if not task_id:
            return
        with self.state.transaction():
            InteractionStore(self.state.conn).remember(key, task_id, account_id, case_id, contacts,
                                                       self.now().isoformat())


def _code(entry: dict) -> str:
    body = entry.get("body")
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    return str(first.get("errorCode") or first.get("statusCode") or f"HTTP_{entry.get('httpStatusCode')}")
