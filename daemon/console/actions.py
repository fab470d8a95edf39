"""The imperative shell of the console calls: the chat from the state store, the identification
request, the cache, the person write of a manual pick. What to ask and what the answers mean is decided
in ``rules.py`` (and ``daemon/chat/rules.find``, so the console and the chat worker agree)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import identify
from ..bot.actions import KeyLocks
from ..bot.rules import salesforce_refusal, unavailable
from ..chat import lookup, transcript
from ..chat import rules as chat_rules
from ..chat.store import ChatStore
from ..guard import Problem
from ..owners import OwnerCache, pick_users, usable
from ..salesforce.errors import SalesforceApiError
from . import rules
from .store import ConsoleStore

if TYPE_CHECKING:
    from ..service import Runtime


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat()


def _down(exc: SalesforceApiError) -> Problem:
    return Problem(503, "SALESFORCE_UNAVAILABLE", f"Salesforce did not answer ({exc.code}); nothing was "
                   "written: try the same call again later", rule="S3")


class Console:
    def __init__(self, runtime: "Runtime") -> None:
        self.runtime = runtime
        self.locks = KeyLocks()

    def _now(self) -> float:
        return self.runtime.now().timestamp()

    def _chat(self, key: str) -> dict[str, Any]:
        if not rules.valid_key(key):
            raise Problem(422, "INVALID_CHAT_KEY", f"{key[:80]!r} is not a chat key: chat:<chatId>, "
                          "inbox:<conversationId> or offline:<messageId>", field="/chatKey")
        chat = ChatStore(self.runtime.state.conn).chat(key)
        if chat is None:
            raise Problem(404, "CHAT_NOT_FOUND", f"syncd has no chat {key[:80]!r}: its chat.started (or "
                          "conversation.started) event has not arrived")
        return chat

    # -- recognise ---------------------------------------------------------------------------------
    async def recognise(self, key: str) -> dict[str, Any]:
        chat = self._chat(key)
        known, cached, fetched = await self._identify(chat)
        return self._shown(chat, known, cached, fetched)

    def _shown(self, chat: dict, known: dict, cached: bool, fetched: float | None) -> dict[str, Any]:
        options = self.runtime.config.chat
        pick = ConsoleStore(self.runtime.state.conn).pick(chat["key"])
        manual = rules.is_manual(chat["kind"], options)
        shown = {k: v for k, v in known.items() if k != "identity"}
        return {"chatKey": chat["key"], **shown, "manual": manual,
                "offered": rules.offered(known["found"], manual, pick is not None),
                "picked": (pick or {}).get("answer"), "cached": cached,
                "fetchedAt": _iso(fetched) if fetched is not None else None}

    async def _identify(self, chat: dict) -> tuple[dict, bool, float | None]:
        """(answer with its identity, from the cache?, when fetched). ONE composite request on a miss."""
        config = self.runtime.config
        options, console = config.chat, config.console
        ident = options.identification
        context = transcript.context(chat["kind"], chat["key"], chat["data"], options.description_limit)
        values = identify.values_of(ident.conditions, context)
        account_values = identify.values_of(ident.account_conditions, context) if ident.account_conditions else None
        fallback = context["visitor"].get("id") or chat["key"]
        visitor_key = identify.visitor_key(ident.conditions, values, fallback)
        email = usable((context["chat"]["agent"] or {}).get("email"))
        if values is None and account_values is None:
            found = chat_rules.identity(key=visitor_key, contact=None, lead=None, account=None)
            return rules.answer(found, {}, console, self.runtime.client.instance_url), False, None
        cache_key = rules.cache_key(options, console, values or (), account_values)
        ttl = console.recognise_cache_seconds
        async with self.locks.hold(cache_key):  # concurrent misses of one visitor spend one request
            store = ConsoleStore(self.runtime.state.conn)
            hit = store.answer(cache_key, self._now(), ttl)
            if hit is not None:
                known = hit[0]
                known["identity"]["key"] = visitor_key
                return known, True, hit[1]
            moment = self._now()
            owners = OwnerCache(self.runtime.state.conn)
            _, missing = owners.known([email] if email else [], moment, options.owner_cache_seconds)
            pairs = lookup.statements(options, [values] if values else [], [account_values] if account_values else [],
                                      missing, rules.select(console, bool(ident.account_conditions)))
            try:
                rows = await lookup.run(self.runtime.client, pairs)
            except lookup.QueryRefused as exc:
                raise Problem(502, "RECOGNISE_REFUSED", f"Salesforce refused the identification query "
                              f"({exc.code}: {exc.message}); correct [console] display_fields or "
                              "[chat.identification] as Salesforce's message says") from None
            except SalesforceApiError as exc:
                if unavailable(exc.status, exc.code, exc.retryable, exc.login):
                    raise _down(exc) from None
                raise
            found = chat_rules.find(rows, options, values, account_values, visitor_key)
            known = rules.answer(found, rows, console, self.runtime.client.instance_url)
            with self.runtime.state.transaction():
                if missing:
                    owners.remember(missing, pick_users(rows.get("User", [])), moment)
                if ttl > 0:
                    store.remember(cache_key, known, moment, ttl)
            return known, False, moment

    # -- T4: the agent's pick ----------------------------------------------------------------------
    async def pick(self, key: str, action: str, edits: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """(answer, replayed). The person record is written now; the Case or Task when the chat ends."""
        chat = self._chat(key)
        options = self.runtime.config.chat
        if not rules.is_manual(chat["kind"], options):
            raise Problem(409, "NOT_MANUAL", f"the chat's trigger is not manual (T4): syncd acts on {key[:80]!r} "
                          "by itself as [chat.triggers] says, so there is nothing to pick", rule="T4")
        stamp = rules.fingerprint(action, edits)
        async with self.locks.hold(("pick", key)):  # a double click waits for the first, then finds it
            store = ConsoleStore(self.runtime.state.conn)
            earlier = store.pick(key)
            if earlier is not None:
                if earlier["status"] == "done" and earlier["fingerprint"] == stamp:
                    return earlier["answer"], True
                raise Problem(409, "ALREADY_PICKED", f"an action was already picked for this chat "
                              f"({earlier['action']}); a chat gets one action (T4)", rule="T4",
                              picked=earlier["answer"])
            if "endTime" in chat["data"]:
                raise Problem(409, "CHAT_ENDED", "the chat has ended without a pick, so nothing is attached; "
                              "an action is picked while the chat goes on (T4)", rule="T4")
            known, _, _ = await self._identify(chat)
            offer = rules.OFFERED[known["found"]]
            if action not in offer:
                raise Problem(422, "ACTION_NOT_OFFERED", f"{action!r} is not offered for a visitor found as "
                              f"{known['found']}; offered: {', '.join(offer)} (T4)", rule="T4", field="/action",
                              offered=offer)
            if edits and action == "case":
                raise Problem(422, "NO_PERSON_TO_EDIT", "the case action creates no Contact or Lead, so there are "
                              "no fields to edit; the Case's fields come from the mapping when the chat ends",
                              field="/fields")
            now = self.runtime.now().isoformat()
            with self.runtime.state.transaction():
                store.reserve(key, action, stamp, now)
            try:
                person = await self._write(chat, known["identity"], action, edits)
            except BaseException:
                with self.runtime.state.transaction():
                    store.release(key)  # nothing was created: the agent may pick again
                raise
            who = [person["object"], person["id"]] if person else None
            answer = {"chatKey": key, "action": action, "found": known["found"], "person": person,
                      "attach": "when the chat ends"}
            chats = ChatStore(self.runtime.state.conn)
            with self.runtime.state.transaction():
                chats.set_identity(key, rules.identity_after(known["identity"], action, who))
                chats.mark_person_done(key)
                store.finish(key, answer, now)
                store.forget(rules.cache_key(options, self.runtime.config.console, *self._values(chat)))
            return answer, False

    def _values(self, chat: dict) -> tuple[tuple, tuple | None]:
        ident = self.runtime.config.chat.identification
        context = transcript.context(chat["kind"], chat["key"], chat["data"], self.runtime.config.chat.description_limit)
        account = identify.values_of(ident.account_conditions, context) if ident.account_conditions else None
        return identify.values_of(ident.conditions, context) or (), account

    async def _write(self, chat: dict, identity: dict, action: str, edits: dict[str, Any]) -> dict | None:
        """The person record, at once: an upsert on ``contact_key_field`` for a new one (a retried call
        finds the record the first made), an update by Id of the agent's edits for a found one."""
        options = self.runtime.config.chat
        client = self.runtime.client
        if identity["kind"] != "none":
            sobject = "Contact" if identity["kind"] == "contact" else "Lead"
            if edits:
                await self._send("PATCH", f"/sobjects/{sobject}/{identity['id']}", edits, sobject)
            return {"object": sobject, "id": identity["id"], "created": False,
                    "url": rules.record_url(client.instance_url, sobject, identity["id"])}
        context = transcript.context(chat["kind"], chat["key"], chat["data"], options.description_limit)
        email = usable((context["chat"]["agent"] or {}).get("email"))
        owners, _ = OwnerCache(self.runtime.state.conn).known([email] if email else [], self._now(),
                                                              options.owner_cache_seconds)
        planned = rules.person_fields(action, identity, context, options, edits, owners.get(email or ""))
        if planned is None:
            return None
        sobject, fields = planned
        path = f"/sobjects/{sobject}/{options.contact_key_field}/{quote(identity['key'], safe='')}"
        body = await self._send("PATCH", path, fields, sobject)
        record_id = (body or {}).get("id")
        return {"object": sobject, "id": record_id, "created": bool((body or {}).get("created")),
                "url": rules.record_url(client.instance_url, sobject, record_id)}

    async def _send(self, method: str, path: str, fields: dict[str, Any], sobject: str) -> Any:
        try:
            return await self.runtime.client.request(method, path, json=fields)
        except SalesforceApiError as exc:
            if unavailable(exc.status, exc.code, exc.retryable, exc.login):
                raise _down(exc) from None
            refusal = salesforce_refusal(f"{sobject} of the pick", exc.errors,
                                         {n.lower(): f"/fields/{n}" for n in fields}, "/fields")
            raise Problem(422, refusal.code, refusal.detail, field=refusal.pointer, salesforce=refusal.salesforce,
                          fields=refusal.fields) from None
