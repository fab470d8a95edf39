"""The interaction worker: logs the interactions that arrived as events, with the same code as the call.

It is a stage of the sender loop, so it runs behind the sender's gates (a disconnect, the API budget, the
circuit): when Salesforce fails for everyone the error goes up to the sender's circuit and the job waits
with backoff; it is tried again until it is done (never lost). An interaction that cannot be logged as sent
(an Account that does not exist, a Case of another Account) becomes a dead job with the reason; sending the
interaction again (corrected) makes it pending again."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from ..salesforce.circuit import backoff
from ..salesforce.errors import SalesforceApiError
from ..state.store import State
from .options import InteractionOptions
from .rules import Refusal
from .service import Interactions
from .store import InteractionStore

log = logging.getLogger("syncd.interactions")


class InteractionWorker:
    def __init__(self, interactions: Interactions, state: State, options: Callable[[], InteractionOptions],
                 now: Callable[[], datetime]) -> None:
        self.interactions = interactions
        self.state = state
        self.options = options
        self.now = now

    async def step(self) -> bool:
        """One batch of due interactions; False when there was none."""
        store = InteractionStore(self.state.conn, self.state.clock)
        jobs = store.due(self.options().batch_size)
        for job in jobs:
            try:
                answer = await self.interactions.log(job.data)
            except Refusal as exc:
                with self.state.transaction():
                    store.kill(job, exc.code, exc.message, self.now().isoformat())
                log.error("interaction cannot be logged as sent; fix it and send it again",
                          extra={"interaction": job.key, "error_code": exc.code, "error": exc.message})
                continue
            except SalesforceApiError as exc:
                if exc.org_wide or exc.retryable:
                    with self.state.transaction():
                        store.retry(job, exc.code, exc.message, backoff(job.attempts + 1, 1.0, 300.0))
                    raise  # the sender's circuit decides when Salesforce is asked again
                with self.state.transaction():
                    store.kill(job, exc.code, f"Salesforce refused it: {exc.message}", self.now().isoformat())
                log.error("Salesforce refused an interaction", extra={"interaction": job.key,
                                                                      "error_code": exc.code, "error": exc.message})
                continue
            with self.state.transaction():
                store.finish(job, self.now().isoformat())
            log.info("interaction logged", extra={"interaction": job.key, "task": answer.get("taskId"),
                                                  "created": answer.get("created")})
        return bool(jobs)
