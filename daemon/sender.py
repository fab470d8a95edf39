"""The sender: takes ready operations from the outbox, sends them batched, and records what Salesforce said.

Nothing leaves the outbox until Salesforce confirms it, and only an error that can never succeed as sent
(validation, a deleted parent, an unknown field, a value that cannot be encoded) makes a dead letter.
Everything transient waits for as long as it takes (S3):
- a failure of Salesforce as a whole (5xx, dropped connections, REQUEST_LIMIT_EXCEEDED, a session that
  cannot be renewed) opens the circuit: nothing is sent until a probe (one request) goes through, then
  the whole outbox goes at full speed (``salesforce/circuit.py``);
- a failure of one record that may heal (UNABLE_TO_LOCK_ROW) retries that record with capped backoff;
- as the org's API usage reaches the budget the sender pauses, and checks ``/limits`` at a bounded
  interval so that it resumes by itself when the daily count resets.
Upserts by external id make a resend after a lost reply or a crash harmless (P4). Any unexpected
exception is isolated to the operation that caused it: one bad event never stops the rest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Callable

from .config import SyncdConfig
from .metrics import Metrics
from .ops import budget
from .files.sender import FileSender, split as split_files
from .identify import soql_literal
from .salesforce import references
from .salesforce.batching import Chunk, encodable, requests
from .salesforce.circuit import Circuit, backoff
from .salesforce.client import SalesforceClient
from .salesforce.errors import SalesforceApiError, duplicate_of, is_retryable_code
from .state.leases import leases
from .state.store import OutboxRow, State

log = logging.getLogger("syncd.sender")

ROLLED_BACK = {"ALL_OR_NONE_OPERATION_ROLLED_BACK", "PROCESSING_HALTED"}
MAINTENANCE_SECONDS = 60.0


class Sender:
    def __init__(self, state: State, client: SalesforceClient, config: SyncdConfig, metrics: Metrics,
                 sleep: Callable[[float], "asyncio.Future"] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.state = state
        self.client = client
        self.config = config
        self.metrics = metrics
        self.sleep = sleep
        self.monotonic = monotonic
        sf = config.salesforce
        self.circuit = Circuit(sf.retry_base_seconds, sf.probe_cap_seconds, clock=monotonic)
        self._reported_usage: tuple[int, int] | None = None
        self._budget_probe_at = 0.0
        self._maintenance_at = 0.0
        self._activity: tuple[str, str | None] | None = None
        self.running = False
        self.crash: str | None = None
        self.files = FileSender(state, client, lambda: self.config.files, lambda: self.config.salesforce.api_version,
                                metrics.api_calls.inc, self.delay_for)  # F4: one file per request
        self.files.dead = self._dead
        self.stages: list = []
        """Work that turns into outbox operations behind the same gates (the chat worker): each has an
        ``async step() -> bool``, run before the outbox is sent."""

    def delay_for(self, attempt: int) -> float:
        sf = self.config.salesforce
        return backoff(attempt, sf.retry_base_seconds, sf.retry_cap_seconds)

    # -- the loop ----------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; a batch in flight always finishes (SIGTERM drains it). The loop
        never dies of an exception: it logs, counts, reports it to readiness and goes on."""
        self.running = True
        try:
            while not stop.is_set():
                try:
                    await self.step(stop)
                    self.crash = None
                except Exception as exc:  # the second wall: a bug must not stop delivery for good
                    self.crash = f"{type(exc).__name__}: {exc}"
                    self.metrics.sender_crashes.inc()
                    log.exception("sender loop failed; going on", extra={"error": self.crash})
                    await _wait(stop, 1.0)
        finally:
            self.running = False

    async def step(self, stop: asyncio.Event) -> None:
        """One turn: respect a disconnect (S2), the budget and the circuit (S3), then send what is due."""
        interval = self.config.service.poll_interval_seconds
        self._maintenance()
        if not getattr(self.client, "connected", True):
            self._set_activity("disconnected", "Salesforce is disconnected; queued work is kept (S2)")
            await _wait(stop, max(interval, 0.5))
            return
        pause = await self.budget_pause()
        if pause:
            await _wait(stop, pause)
            return
        wait = self.circuit.wait_seconds()
        if wait > 0:
            self._set_activity("backing_off", self.circuit.reason)
            await _wait(stop, wait)
            return
        staged = await self._run_stages()
        if staged is None:
            return  # Salesforce failed for everyone while a stage asked it: the circuit waits
        rows = self.state.ready(self.config.service.sender_batch_size * 5)
        if not rows:
            self._set_activity("idle", None)
            if not staged:
                await _wait(stop, interval)
            return
        self._set_activity("sending", None)
        sent = await self.send(rows, probe=self.circuit.half_open)
        if not sent and not staged:
            await _wait(stop, interval)  # everything due waits for a record still being created

    async def _run_stages(self) -> bool | None:
        """Run each stage once: True if one did work, None if Salesforce failed as a whole."""
        worked = False
        for stage in self.stages:
            try:
                worked = await stage.step() or worked
            except SalesforceApiError as exc:
                self.metrics.errors.labels(exc.code).inc()
                self._org_failure(exc, [])
                return None
            except Exception:  # a stage's bug must not stop the outbox's delivery
                self.metrics.sender_crashes.inc()
                log.exception("a sender stage failed; the outbox is sent all the same",
                              extra={"stage": type(stage).__name__})
        if worked:
            self._succeeded()
        return worked

    def problems(self) -> list[str]:
        """What readiness reports about delivery: a loop that died or keeps failing."""
        out = []
        if self._activity is not None and not self.running:
            out.append("sender stopped")
        if self.crash:
            out.append(f"sender failing: {self.crash}")
        return out

    # -- the API budget ----------------------------------------------------------------------------
    async def budget_pause(self) -> float:
        """Seconds to wait because the org's usage reached the budget (0: go on). While paused, one cheap
        ``/limits`` request at a bounded interval tells when the daily count has reset."""
        sf = self.config.salesforce
        usage = self.client.usage
        if usage is None or usage[1] <= 0:
            self.metrics.paused.set(0)
            return 0.0
        self._report_usage(usage)
        if usage[0] < sf.budget_fraction * usage[1]:
            self.metrics.paused.set(0)
            return 0.0
        now = self.monotonic()
        if now >= self._budget_probe_at:
            self._budget_probe_at = now + sf.budget_probe_seconds
            await self._probe_limits()
            usage = self.client.usage or usage
            self._report_usage(usage)
            if usage[0] < sf.budget_fraction * usage[1]:
                log.info("API usage is under the budget again; sending resumes",
                         extra={"used": usage[0], "max": usage[1]})
                self.metrics.paused.set(0)
                return 0.0
        self.metrics.paused.set(1)
        self._set_activity("paused_budget", f"API usage {usage[0]}/{usage[1]} reached the budget of "
                           f"{sf.budget_fraction:.0%}; checking /limits every {sf.budget_probe_seconds:g}s")
        return max(0.05, min(self._budget_probe_at - now, sf.budget_probe_seconds))

    async def _probe_limits(self) -> None:
        try:
            body = await self.client.request("GET", "/limits")
            self.metrics.api_calls.inc()
        except SalesforceApiError as exc:
            log.info("limits probe failed", extra={"error_code": exc.code})
            return
        daily = (body or {}).get("DailyApiRequests") or {}
        if isinstance(daily.get("Max"), int) and isinstance(daily.get("Remaining"), int):
            self.client.usage = (daily["Max"] - daily["Remaining"], daily["Max"])

    def _report_usage(self, usage: tuple[int, int]) -> None:
        self.metrics.api_usage.labels("used").set(usage[0])
        self.metrics.api_usage.labels("max").set(usage[1])
        if usage != self._reported_usage:  # for `syncd status`, which reads the state database
            self.state.set_fact("api_usage", {"used": usage[0], "max": usage[1]})
            budget.record(self.state, usage[0], usage[1], time.time())  # the operator page's day of usage
            self._reported_usage = usage

    # -- sending -------------------------------------------------------------------------------------
    async def send(self, rows: list[OutboxRow], probe: bool = False) -> int:
        """Send ``rows`` in as few requests as the API allows; a probe sends only the first request.
        Returns how many operations went out (rows waiting for a record still being created stay)."""
        rows, blobs = split_files(await self._resolve(self._drop_unencodable(rows)))
        for group in requests(rows):
            ok = await self._send_group(group)
            if not ok or probe:
                return len(rows)  # Salesforce is failing for everyone (or this was the probe): the circuit decides
        try:
            await self.files.send(blobs[:1] if probe and not rows else blobs)
        except SalesforceApiError as exc:
            self._org_failure(exc, [r.id for r in blobs])
        return len(rows) + len(blobs)

    async def _resolve(self, rows: list[OutboxRow]) -> list[OutboxRow]:
        """Fill in lookups to records other operations create (``salesforce/references.py``)."""
        return await references.resolve(rows, self.state.reference, self._lookup,
                                        lambda row, message: self._dead([row], "DEPENDENCY_FAILED", message))

    async def _lookup(self, ref: dict[str, str]) -> str | None:
        self.metrics.api_calls.inc()
        rows = await self.client.query(f"SELECT Id FROM {ref['sobject']} WHERE {ref['field']} = "
                                       f"{soql_literal(ref['value'])} LIMIT 1")
        return rows[0]["Id"] if rows else None

    def _drop_unencodable(self, rows: list[OutboxRow]) -> list[OutboxRow]:
        good = []
        for row in rows:
            problem = encodable(row)
            if problem is None:
                good.append(row)
            else:
                self._dead([row], "UNENCODABLE", f"the operation cannot be sent as JSON: {problem}")
        return good

    async def _send_group(self, group: list[Chunk]) -> bool:
        """One request; False when it failed for the whole org (the circuit is open)."""
        try:
            answers = [await self._collection(group[0])] if len(group) == 1 else await self._composite(group)
        except SalesforceApiError as exc:
            self.metrics.errors.labels(exc.code).inc()
            if exc.org_wide or exc.retryable:
                self._org_failure(exc, [r.id for chunk in group for r in chunk.rows])
                return False
            for chunk in group:  # the request as a whole was refused: find the operations that cause it
                await self._isolate(chunk, exc)
            return True
        except Exception as exc:  # noqa: BLE001 - a bug or bad data: isolate it to the operation
            log.error("unexpected error sending a batch; isolating the operations", exc_info=True)
            for chunk in group:
                await self._isolate(chunk, exc)
            return True
        self._succeeded()
        for chunk, answer in zip(group, answers):
            if isinstance(answer, SalesforceApiError) and answer.org_wide:
                self._org_failure(answer, [r.id for r in chunk.rows])
            elif isinstance(answer, SalesforceApiError) and not answer.retryable:
                await self._isolate(chunk, answer)
            else:
                self._record(chunk, answer)
        return True

    async def _isolate(self, chunk: Chunk, error: Exception) -> None:
        """Halve a chunk that failed as a whole until the operations that cause it are alone: those become
        dead letters (with the error), the others go through."""
        if len(chunk.records) == 1:
            if isinstance(error, SalesforceApiError) and (error.retryable or error.org_wide):
                self.state.retry([r.id for r in chunk.rows], error.code, error.message, self.delay_for)
                return
            code = error.code if isinstance(error, SalesforceApiError) else "UNEXPECTED_ERROR"
            message = error.message if isinstance(error, SalesforceApiError) else f"{type(error).__name__}: {error}"
            self._dead(chunk.rows, code, message)
            return
        for half in chunk.halves():
            try:
                answer = await self._collection(half)
            except SalesforceApiError as exc:
                if exc.org_wide:
                    self._org_failure(exc, [r.id for r in half.rows])
                    continue
                await self._isolate(half, exc)
                continue
            except Exception as exc:  # noqa: BLE001
                await self._isolate(half, exc)
                continue
            self._record(half, answer)

    async def _collection(self, chunk: Chunk) -> list:
        sub = chunk.subrequest(self.config.salesforce.api_version, "c0")
        self.metrics.api_calls.inc()
        return await self.client.request("PATCH", sub["url"], json=sub["body"])

    async def _composite(self, group: list[Chunk]) -> list:
        version = self.config.salesforce.api_version
        self.metrics.api_calls.inc()
        entries = await self.client.composite([c.subrequest(version, f"c{i}") for i, c in enumerate(group)])
        out: list = []
        for entry in entries:
            if entry["httpStatusCode"] >= 300:
                body = entry["body"]
                out.append(SalesforceApiError(entry["httpStatusCode"], body if isinstance(body, list) else []))
            else:
                out.append(entry["body"])
        return out

    def _record(self, chunk: Chunk, answer: list | SalesforceApiError) -> None:
        """Per-record results of one all-or-none collection."""
        if isinstance(answer, SalesforceApiError):  # transient for this chunk only (e.g. a locked row)
            self.metrics.errors.labels(answer.code).inc()
            self.state.retry([r.id for r in chunk.rows], answer.code, answer.message, self.delay_for)
            self.metrics.operations.labels("retried").inc(len(chunk.rows))
            return
        done, retry, again, dead = [], [], [], []
        handled = False
        for record, result in zip(chunk.records, answer):
            if result.get("success"):
                done.extend((row.id, result.get("id")) for row in record.rows)
                continue
            error = (result.get("errors") or [{}])[0]
            code, message = error.get("statusCode") or error.get("errorCode") or "UNKNOWN", error.get("message", "")
            if code in ROLLED_BACK:
                again.extend(record.rows)  # rolled back for another record's error: send again at once
                continue
            existing = duplicate_of(record.rows, error)
            if existing is not None:  # the org's duplicate rule names the person: use that record
                log.warning("Salesforce's duplicate rule blocked a new record; using the existing one",
                            extra={"sobject": chunk.sobject, "external_id": record.external_id, "record_id": existing})
                done.extend((row.id, existing) for row in record.rows)
                handled = True
                continue
            self.metrics.errors.labels(code).inc()
            if is_retryable_code(code):
                retry.append((record.rows, code, message))
            else:
                dead.append((record.rows, code, message))
        if done:
            self.state.complete(done)
            self.metrics.operations.labels("done").inc(len(done))
        for rows, code, message in retry:
            self.state.retry([r.id for r in rows], code, message, self.delay_for)
            self.metrics.operations.labels("retried").inc(len(rows))
        for rows, code, message in dead:
            self._dead(rows, code, message)
        if again and not dead and not retry and not handled:
            # every record reported a rollback and none its cause: treat it as transient
            self.state.retry([r.id for r in again], "ALL_OR_NONE_OPERATION_ROLLED_BACK", "rolled back",
                             self.delay_for)

    # -- outcomes ------------------------------------------------------------------------------------
    def _dead(self, rows: list[OutboxRow], code: str, message: str) -> None:
        self.state.kill([(r.id, code, message) for r in rows])
        self.metrics.operations.labels("dead").inc(len(rows))
        for row in rows:
            log.error("operation parked as a dead letter; it will not be retried (replay it with `syncd dlq "
                      "replay`)", extra={"operation_id": row.id, "sobject": row.sobject,
                                         "external_id": row.external_id, "error_code": code, "error": message})

    def _org_failure(self, exc: SalesforceApiError, ids: list[int]) -> None:
        delay = self.circuit.fail(f"{exc.code}: {exc.message}")
        self.state.note_failure(ids, exc.code, exc.message)
        self.metrics.circuit_open.set(1)
        log.warning("Salesforce failed for the whole batch; next try in %.1fs", delay,
                    extra={"error_code": exc.code, "operations": len(ids), "failures": self.circuit.failures})

    def _succeeded(self) -> None:
        if self.circuit.succeed():
            log.info("Salesforce answers again; sending resumes at full speed")
        self.metrics.circuit_open.set(0)

    def _set_activity(self, activity: str, reason: str | None) -> None:
        """What the sender is doing, for `syncd status` (state database) and metrics, written on change."""
        if self._activity == (activity, reason):
            return
        self._activity = (activity, reason)
        since = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.state.set_fact("sender", {"activity": activity, "reason": reason, "since": since})
        for name in ("idle", "sending", "paused_budget", "backing_off", "disconnected"):
            self.metrics.sender_activity.labels(name).set(1 if name == activity else 0)

    def _maintenance(self) -> None:
        """At most once a minute: the oldest waiting operation's age, and pruning of finished rows."""
        now = self.monotonic()
        if now < self._maintenance_at:
            return
        self._maintenance_at = now + MAINTENANCE_SECONDS
        self.refresh_gauges()
        retention = self.config.service.done_retention_seconds
        if retention:
            self.state.prune_finished(retention)

    def refresh_gauges(self) -> None:
        self.metrics.outbox_depth.set(self.state.pending_count())
        oldest = self.state.oldest_pending()
        age = 0.0
        if oldest is not None:
            created = datetime.fromisoformat(oldest["created_at"])
            age = max(0.0, (datetime.now(timezone.utc) - created).total_seconds())
        self.metrics.oldest_pending.set(age)
        if self.state.shared:  # several instances: who holds which part of the queue
            self.metrics.leased_keys.clear()
            for held in leases(self.state.conn, self.state.clock()):
                self.metrics.leased_keys.labels(held["instance"]).set(held["keys"])


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
