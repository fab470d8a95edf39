"""Scenario steps for interactions (I1-I5): send an interaction as a signed event, and wait for (and look at)
the interaction jobs syncd keeps. The synchronous calls need no step of their own: ``call:`` does them.

``interaction_event: {interactionId, channel, customers, ..., event_id}`` sends one
``io.syncd.interaction.logged.v1`` whose data is the spec without ``event_id`` (default event id
``evt-<channel>-<interactionId>``, so sending the same spec twice is a redelivery); a list sends a batch.

``interaction_jobs: {pending, done, dead, dead_jobs: [{key, last_error_code, last_error}], within}`` waits
(default 10 s) until the counts given hold, then compares; ``dead_jobs`` lists every dead job in order."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

from .matching import Mismatch, matches, seconds

if TYPE_CHECKING:
    from .runner import Run

STEPS = ("interaction_event", "interaction_jobs")
EVENT_TYPE = "io.syncd.interaction.logged.v1"


def _event(spec: dict) -> dict:
    data = {k: v for k, v in spec.items() if k != "event_id"}
    event_id = spec.get("event_id") or f"evt-{data.get('channel')}-{data.get('interactionId')}"
    return {"specversion": "1.0", "id": event_id, "source": "scenario", "type": EVENT_TYPE, "data": data}


def _jobs(run: "Run") -> dict[str, Any]:
    from ..interactions.store import InteractionStore
    from ..state.store import State

    state = State(run.config.service.state_path)
    try:
        store = InteractionStore(state.conn)
        return {**store.counts(), "dead_jobs": store.dead()}
    finally:
        state.close()


def interactions_step(run: "Run", kind: str, value: Any) -> httpx.Response | None:
    if kind == "interaction_event":
        return run.send_events([_event(spec) for spec in (value if isinstance(value, list) else [value])])
    wanted = dict(value or {})
    deadline = time.monotonic() + seconds(wanted.pop("within", "10s"))
    counts = {k: v for k, v in wanted.items() if k in ("pending", "done", "dead")}
    while True:
        actual = _jobs(run)
        if all(actual.get(k) == v for k, v in counts.items()) or time.monotonic() > deadline:
            break
        time.sleep(0.03)
    try:
        matches(wanted, actual)
    except Mismatch as exc:
        raise Mismatch(f"interaction jobs: {exc} (all: {actual})") from None
    return None
