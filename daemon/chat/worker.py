"""The chat worker: turns queued chat jobs into outbox operations, many chats at a time.

For a batch of due jobs it sends one composite request with the identification queries of every visitor
in it (Contacts, Leads, Accounts) and the O1 look-ups of agents not in the cache, decides with the pure
rules, and commits the operations, the jobs' completion and what identification found in one
transaction. The sender then writes them: a known Contact's Task costs this request and one write, a new
visitor's this request, the Contact and the Task (three), and a batch of chats shares each of them.

It runs inside the sender's loop, behind the same gates (disconnect, budget, circuit): an org-wide failure
propagates to the sender's circuit and the jobs wait; a query Salesforce refuses (a field the configuration
names that the org lacks) parks the jobs as dead with Salesforce's message.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from .. import identify
from ..files.chat import chat_files
from ..files.options import FilesOptions
from ..owners import OwnerCache, pick_users, usable
from ..salesforce.circuit import backoff
from ..salesforce.client import SalesforceClient
from ..state.store import State
from . import lookup, rules, transcript
from .lookup import QueryRefused
from .options import ChatOptions
from .store import ChatStore, Job

log = logging.getLogger("syncd.chat")


class ChatWorker:
    def __init__(self, state: State, client: SalesforceClient, options: Callable[[], ChatOptions],
                 now: Callable[[], datetime], on_request: Callable[[], None] = lambda: None,
                 files: Callable[[], FilesOptions] = FilesOptions) -> None:
        self.files = files
        self.state = state
        self.client = client
        self.options = options
        self.now = now
        self.on_request = on_request

    async def step(self) -> bool:
        """One batch of due jobs; False when there was none."""
        options = self.options()
        store = ChatStore(self.state.conn, self.state.clock)
        jobs = store.due_jobs(options.batch_size)
        if not jobs:
            return False
        chats = {job.chat_key: store.chat(job.chat_key) for job in jobs}
        contexts = {key: transcript.context(chat["kind"], key, chat["data"], options.description_limit)
                    for key, chat in chats.items()}
        ident = options.identification
        needs = {job.chat_key for job in jobs if job.action != "case" and chats[job.chat_key]["identity"] is None}
        values = {key: identify.values_of(ident.conditions, contexts[key]) for key in needs}
        account_values = ({key: identify.values_of(ident.account_conditions, contexts[key]) for key in needs}
                          if ident.account_conditions else {})
        cache = OwnerCache(self.state.conn)
        emails = {key: usable((contexts[key]["chat"]["agent"] or {}).get("email")) for key in chats}
        moment = self.now().timestamp()  # the cache ages on syncd's clock, like its other business times
        owners, missing = cache.known([e for e in emails.values() if e], moment,
                                      options.owner_cache_seconds)
        statements = lookup.statements(options, [v for v in values.values() if v],
                                       [v for v in account_values.values() if v], missing)
        try:
            rows = await lookup.run(self.client, statements, self.on_request)
        except QueryRefused as exc:
            self._fail(store, jobs, exc)
            return True
        if missing:
            answers = pick_users(rows.get("User", []))
            with self.state.transaction():
                cache.remember(missing, answers, moment)
            owners.update({email: answers.get(email) for email in missing})
        now = self.now().isoformat()
        with self.state.transaction() as conn:
            for job in jobs:
                conn.execute("SAVEPOINT chat_job")
                try:
                    self._apply(store, job, chats[job.chat_key], contexts[job.chat_key], rows, values,
                                account_values, owners.get(emails[job.chat_key] or ""), options, now)
                except Exception as exc:  # a bug or data no rule foresaw: this job only, never the batch
                    conn.execute("ROLLBACK TO chat_job")
                    store.kill_job(job.id, "UNEXPECTED_ERROR", f"{type(exc).__name__}: {exc}", now)
                    log.exception("chat job failed; parked as dead", extra={"chat": job.chat_key})
                conn.execute("RELEASE chat_job")
        return True

    def _fail(self, store: ChatStore, jobs: list[Job], exc: QueryRefused) -> None:
        now = self.now().isoformat()
        with self.state.transaction():
            for job in jobs:
                if exc.retryable:
                    store.retry_job(job.id, exc.code, exc.message, backoff(job.attempts + 1, 1.0, 300.0))
                else:
                    store.kill_job(job.id, exc.code, exc.message, now)
        log.error("identification query refused by Salesforce; check [chat.identification] and the mappings",
                  extra={"error_code": exc.code, "error": exc.message, "jobs": len(jobs),
                         "retrying": exc.retryable})

    def _pending(self, sobject: str, field: str, key: str) -> bool:
        """Whether the outbox still holds the upsert of this person (this batch's included)."""
        row = self.state.reference(sobject, field, key)
        return row is not None and row["status"] == "pending"

    def _apply(self, store: ChatStore, job: Job, chat: dict, context: dict, rows: dict, values: dict,
               account_values: dict, owner_id: str | None, options: ChatOptions, now: str) -> None:
        chat = store.chat(job.chat_key) or chat  # an earlier job of this batch may have identified it
        found = chat["identity"]
        if found is None and job.action != "case":
            fallback = (context["visitor"].get("id") or job.chat_key)
            key = identify.visitor_key(options.identification.conditions, values.get(job.chat_key), fallback)
            found = rules.find(rows, options, values.get(job.chat_key), account_values.get(job.chat_key), key)
        ops, who = rules.plan(job.stage, job.action, chat, context, found, options, owner_id,
                              lambda sobject, key: self._pending(sobject, options.contact_key_field, key))
        if job.stage == "attach" and ops:
            ops.extend(chat_files(self.state.conn, job.chat_key, chat["data"], ops[-1], self.files()))  # F4
        if found is not None:
            store.set_identity(job.chat_key, {**found, "who": who})
            if job.action in rules.PERSON_ACTIONS:
                store.mark_person_done(job.chat_key)
        self.state.enqueue(job.event_id, ops)
        store.finish_job(job.id, now)
        log.info("chat job planned", extra={"chat": job.chat_key, "stage": job.stage, "action": job.action,
                                            "found": (found or {}).get("kind"), "operations": len(ops)})
