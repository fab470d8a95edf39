"""The sender: takes ready operations from the outbox, sends them batched, and records what Salesforce said.

Nothing leaves the outbox until Salesforce confirms it. Retryable failures (5xx, UNABLE_TO_LOCK_ROW,
REQUEST_LIMIT_EXCEEDED, connection errors) come back later with exponential backoff and jitter;
validation errors become dead letters with Salesforce's message. Upserts by external id make a resend
after a crash harmless (S3, P4). As the org's API usage nears the configured budget, the sender pauses.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Callable

from .config import SyncdConfig
from .metrics import Metrics
from .salesforce.batching import Chunk, requests
from .salesforce.client import SalesforceClient
from .salesforce.errors import SalesforceApiError, is_retryable_code
from .state.store import OutboxRow, State

log = logging.getLogger("syncd.sender")


_RNG = random.Random()


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter between half and the whole step."""
    step = min(cap, base * (2 ** max(attempt - 1, 0)))
    return step * (0.5 + (rng or _RNG).random() / 2)


class Sender:
    def __init__(self, state: State, client: SalesforceClient, config: SyncdConfig, metrics: Metrics,
                 sleep: Callable[[float], "asyncio.Future"] = asyncio.sleep) -> None:
        self.state = state
        self.client = client
        self.config = config
        self.metrics = metrics
        self.sleep = sleep
        self._reported_usage: tuple[int, int] | None = None

    def delay_for(self, attempt: int) -> float:
        sf = self.config.salesforce
        return backoff(attempt, sf.retry_base_seconds, sf.retry_cap_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; a batch in flight always finishes (SIGTERM drains it)."""
        interval = self.config.service.poll_interval_seconds
        while not stop.is_set():
            pause = self.budget_pause()
            if pause:
                self.metrics.paused.set(1)
                await _wait(stop, pause)
                continue
            self.metrics.paused.set(0)
            rows = self.state.ready(self.config.service.sender_batch_size * 5)
            self.metrics.outbox_depth.set(self.state.counts()["pending"])
            if not rows:
                await _wait(stop, interval)
                continue
            await self.send(rows)

    def budget_pause(self) -> float:
        usage = self.client.usage
        if usage is None or usage[1] <= 0:
            return 0.0
        used, limit = usage
        self.metrics.api_usage.labels("used").set(used)
        self.metrics.api_usage.labels("max").set(limit)
        if usage != self._reported_usage:  # for `syncd status`, which reads the state database
            self.state.set_fact("api_usage", {"used": used, "max": limit})
            self._reported_usage = usage
        budget = self.config.salesforce.budget_fraction * limit
        if used < budget:
            return 0.0
        return 60.0  # check again in a minute: the daily count rolls over and other clients' usage changes

    async def send(self, rows: list[OutboxRow]) -> None:
        sf = self.config.salesforce
        for group in requests(rows):
            try:
                if len(group) == 1:
                    answers = [await self._collection(group[0])]
                else:
                    answers = await self._composite(group)
            except SalesforceApiError as exc:
                ids = [r.id for chunk in group for r in chunk.rows]
                self.metrics.errors.labels(exc.code).inc()
                if exc.retryable or exc.status == 401:
                    dead = self.state.retry(ids, exc.code, exc.message, self.delay_for, sf.max_attempts)
                    log.warning("batch of %d will be retried: %s", len(ids), exc.code,
                                extra={"error_code": exc.code, "dead": len(dead)})
                    if exc.code == "REQUEST_LIMIT_EXCEEDED":
                        await self.sleep(min(60.0, self.delay_for(1) * 4))
                else:
                    self.state.kill([(i, exc.code, exc.message) for i in ids])
                    log.error("batch of %d parked as dead letters: %s %s", len(ids), exc.code, exc.message)
                continue
            for chunk, answer in zip(group, answers):
                self._record(chunk, answer)

    async def _collection(self, chunk: Chunk) -> list | SalesforceApiError:
        sub = chunk.subrequest(self.config.salesforce.api_version, "c0")
        body = await self.client.request("PATCH", sub["url"], json=sub["body"])
        self.metrics.api_calls.inc()
        return body

    async def _composite(self, group: list[Chunk]) -> list:
        version = self.config.salesforce.api_version
        entries = await self.client.composite([c.subrequest(version, f"c{i}") for i, c in enumerate(group)])
        self.metrics.api_calls.inc()
        out: list = []
        for entry in entries:
            if entry["httpStatusCode"] >= 300:
                out.append(SalesforceApiError(entry["httpStatusCode"], entry["body"] or []))
            else:
                out.append(entry["body"])
        return out

    def _record(self, chunk: Chunk, answer: list | SalesforceApiError) -> None:
        sf = self.config.salesforce
        if isinstance(answer, SalesforceApiError):
            ids = [r.id for r in chunk.rows]
            self.metrics.errors.labels(answer.code).inc()
            if answer.retryable:
                self.state.retry(ids, answer.code, answer.message, self.delay_for, sf.max_attempts)
            else:
                self.state.kill([(i, answer.code, answer.message) for i in ids])
            return
        done, retry, dead = [], {}, []
        for row, result in zip(chunk.rows, answer):
            if result.get("success"):
                done.append((row.id, result.get("id")))
                continue
            error = (result.get("errors") or [{}])[0]
            code, message = error.get("statusCode", "UNKNOWN"), error.get("message", "")
            self.metrics.errors.labels(code).inc()
            if is_retryable_code(code):
                retry.setdefault((code, message), []).append(row.id)
            else:
                dead.append((row.id, code, message))
        if done:
            self.state.complete(done)
            self.metrics.operations.labels("done").inc(len(done))
        for (code, message), ids in retry.items():
            self.state.retry(ids, code, message, self.delay_for, sf.max_attempts)
            self.metrics.operations.labels("retried").inc(len(ids))
        if dead:
            self.state.kill(dead)
            self.metrics.operations.labels("dead").inc(len(dead))


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
