"""The imperative shell of the bot actions (B1-B4): the Salesforce requests, the state store, the locks.
Each action spends one Salesforce request (none for a routing answer from the cache); what to send and
what the answer means are decided in ``rules.py`` and ``statement.py``."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, AsyncIterator, Mapping
from urllib.parse import quote

from .. import identify
from ..salesforce.errors import SalesforceApiError
from . import rules, statement
from .rules import Refusal
from .store import BotStore

if TYPE_CHECKING:
    from ..service import Runtime

NOT_SENT = {"ConnectError", "ConnectTimeout", "PoolTimeout"}
"""Network failures that happen before a request leaves syncd: Salesforce cannot have applied it."""
PERSON_OBJECTS = {"contact", "account"}


class Refused(Exception):
    """An action refused (by syncd or by Salesforce); ``refusal`` says how to answer."""

    def __init__(self, refusal: Refusal, *, maybe_applied: bool = False) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal
        self.maybe_applied = maybe_applied


class KeyLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it: a concurrent repeat of a
    create (B1) or of a routing miss (B4) waits for the first and then finds its answer."""

    def __init__(self) -> None:
        self._locks: dict[Any, asyncio.Lock] = {}
        self._users: Counter = Counter()

    @asynccontextmanager
    async def hold(self, key: Any) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)


def _unavailable(exc: SalesforceApiError, what: str) -> Refused:
    maybe = exc.status == 0 and exc.code in ("CONNECTION_ERROR", "TIMEOUT") and exc.message not in NOT_SENT
    detail = (f"Salesforce did not answer ({exc.code}: {exc.message}); try again later" if not maybe else
              f"the connection to Salesforce broke after the {what} was sent ({exc.code}): it may have been "
              "applied; try again later with the same Idempotency-Key")
    return Refused(Refusal(503, "SALESFORCE_UNAVAILABLE", detail), maybe_applied=maybe)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat()


class BotActions:
    def __init__(self, runtime: "Runtime") -> None:
        self.runtime = runtime
        self.locks = KeyLocks()

    def _now(self) -> float:
        return self.runtime.now().timestamp()  # syncd's clock: scenarios age keys and the cache with it

    def _failure(self, exc: SalesforceApiError, action: str, pointers: Mapping[str, str], default: str | None,
                 object_pointer: str | None = "/object") -> Refused:
        if rules.unavailable(exc.status, exc.code, exc.retryable, exc.login):
            return _unavailable(exc, action)  # S3
        return Refused(rules.salesforce_refusal(action, exc.errors, pointers, default, object_pointer))

    # -- B1 ---------------------------------------------------------------------------------------
    async def create(self, sobject: str, fields: dict[str, Any], key: str | None) -> tuple[dict, bool]:
        """B1: the new record's Id, and whether the answer is a replay of an earlier request's."""
        if key is None:
            return await self._create(sobject, fields), False
        options = self.runtime.config.bot
        fingerprint = rules.fingerprint({"object": sobject, "fields": fields})
        async with self.locks.hold(("create", key)):  # a concurrent repeat waits for the first
            state = self.runtime.state
            store = BotStore(state.conn)
            now = self._now()
            seen = store.request(key, now, options.idempotency_seconds)
            if seen is not None:
                if seen.fingerprint != fingerprint:
                    raise Refused(Refusal(422, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used for "
                                          "another request; use a new key for a new record", None))
                if seen.status is None or seen.answer is None:
                    raise Refused(Refusal(409, "OUTCOME_UNKNOWN", "an earlier request with this Idempotency-Key "
                                          "reached Salesforce but its answer was lost, so the record may exist: "
                                          "look for it (POST /v1/bot/records/find) and, only if it is not there, "
                                          "create it with a new key", None))
                return seen.answer, True
            with state.transaction():
                store.begin(key, fingerprint, now, options.idempotency_seconds)
            try:
                answer = await self._create(sobject, fields)
            except Refused as exc:
                if not exc.maybe_applied:  # nothing was created: the key may be used again
                    with state.transaction():
                        store.forget(key)
                raise
            with state.transaction():
                store.finish(key, 201, answer)
            return answer, False

    async def _create(self, sobject: str, fields: dict[str, Any]) -> dict:
        try:
            body = await self.runtime.client.request("POST", f"/sobjects/{quote(sobject, safe='')}", json=fields)
        except SalesforceApiError as exc:
            raise self._failure(exc, f"new {sobject}", {n.lower(): f"/fields/{n}" for n in fields}, "/fields") from None
        if sobject.lower() in PERSON_OBJECTS:  # B4: a visitor cached as not found may match now
            with self.runtime.state.transaction():
                BotStore(self.runtime.state.conn).forget_unmatched_routes()
        return {"id": body["id"], "object": sobject}

    # -- B2 ---------------------------------------------------------------------------------------
    async def find(self, sobject: str, field: str, value: Any, fields: list[str]) -> dict:
        soql = rules.find_query(sobject, field, value, fields)
        pointers = {name.lower(): f"/fields/{i}" for i, name in enumerate(fields)}
        pointers[field.lower()] = "/field"
        try:
            body = await self.runtime.client.request("GET", "/query", params={"q": soql})
        except SalesforceApiError as exc:
            raise self._failure(exc, f"search of {sobject}", pointers, "/fields") from None
        row = (body.get("records") or [None])[0]
        return {"found": row is not None, "id": (row or {}).get("Id"), "variables": rules.flatten(row)}

    # -- B3 ---------------------------------------------------------------------------------------
    async def query(self, soql: str, variables: Mapping[str, Any]) -> dict:
        options = self.runtime.config.bot
        try:
            sent, cut = statement.prepare(soql, variables, options.max_rows)
        except statement.StatementRefused as exc:
            pointer = "/variables" if exc.code in ("UNKNOWN_VARIABLE", "EMPTY_VARIABLE", "BAD_VARIABLE") else "/soql"
            raise Refused(Refusal(422, exc.code, f"the statement was not sent: {exc.message}", pointer)) from None
        client = self.runtime.client
        try:
            body = await client.request("GET", "/query", params={"q": sent})
            records = list(body.get("records") or [])
            while not body.get("done", True) and (cut is None or len(records) <= cut):
                body = await client.request("GET", body["nextRecordsUrl"])
                records.extend(body.get("records") or [])
        except SalesforceApiError as exc:
            raise self._failure(exc, "statement", {}, "/soql", object_pointer="/soql") from None
        truncated = cut is not None and len(records) > cut
        rows = [rules.flatten(r) for r in (records[:cut] if cut is not None else records)]
        return {"count": len(rows), "totalSize": body.get("totalSize", len(rows)), "truncated": truncated,
                "rows": rows, "variables": rows[0] if rows else {}, "soql": sent}

    # -- B4 ---------------------------------------------------------------------------------------
    async def route(self, body: Mapping[str, Any]) -> dict:
        config = self.runtime.config
        options, ident = config.bot, config.chat.identification
        context = rules.route_context(body)
        values = identify.values_of(ident.conditions, context)
        if values is None:
            empty = rules.route_answer(ident, options, (), None, [], [])
            missing = ", ".join(c.visitor for c in ident.conditions)
            return {**empty, "cached": False, "fetchedAt": None,
                    "reason": f"the visitor has no value for {missing} ([chat.identification]); nothing was asked"}
        account_values = identify.values_of(ident.account_conditions, context) if ident.account_conditions else None
        key = rules.route_key(ident, values, account_values, options)
        ttl = options.routing_cache_seconds
        async with self.locks.hold(("route", key)):  # concurrent misses of one visitor spend one request
            store = BotStore(self.runtime.state.conn)
            hit = store.route(key, self._now(), ttl)
            if hit is not None:
                return {**hit[0], "cached": True, "fetchedAt": _iso(hit[1])}
            contact_soql, account_soql = rules.route_queries(ident, options, values, account_values)
            contacts, accounts = await self._route_rows(contact_soql, account_soql)
            answer = rules.route_answer(ident, options, values, account_values, contacts, accounts)
            now = self._now()
            if ttl > 0:
                with self.runtime.state.transaction():
                    store.remember_route(key, answer, now, ttl)
            return {**answer, "cached": False, "fetchedAt": _iso(now)}

    async def _route_rows(self, contact_soql: str, account_soql: str | None) -> tuple[list[dict], list[dict]]:
        """ONE request: a query, or a composite of the two queries when Account rules apply (M4)."""
        client = self.runtime.client
        try:
            if account_soql is None:
                return list((await client.request("GET", "/query", params={"q": contact_soql}))["records"]), []
            version = client.config.api_version
            answers = await client.composite([
                {"method": "GET", "referenceId": f"q{i}", "url": f"/services/data/v{version}/query?q={quote(q, safe='')}"}
                for i, q in enumerate((contact_soql, account_soql))])
            for answer in answers:
                if answer.get("httpStatusCode", 500) >= 300:
                    errors = answer.get("body") if isinstance(answer.get("body"), list) else []
                    raise SalesforceApiError(answer.get("httpStatusCode", 500), errors)
            return list(answers[0]["body"]["records"]), list(answers[1]["body"]["records"])
        except SalesforceApiError as exc:
            if rules.unavailable(exc.status, exc.code, exc.retryable, exc.login):
                raise _unavailable(exc, "routing lookup") from None
            refusal = rules.salesforce_refusal("routing lookup", exc.errors, object_pointer=None)
            raise Refused(Refusal(502, "ROUTING_REFUSED", f"{refusal.detail} The fields come from syncd's "
                                  "configuration ([bot] routing_contact_fields / routing_account_fields, "
                                  "[chat.identification]): correct them; `syncd check-config` lists the problems.",
                                  None, refusal.salesforce, refusal.fields)) from None
