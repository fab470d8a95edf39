"""Scenario steps for the API budget and the sender (S3): set the org's daily usage, and wait until the
sender reports what it is doing (``syncd status`` reads the same fact from the state database)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..state.store import State
from .matching import Mismatch, matches, seconds
from .orgs import LocalOrg, ScenarioSkipped

if TYPE_CHECKING:
    from .runner import Run

STEPS = ("api_usage", "sender")


def economy_step(run: "Run", kind: str, value: Any) -> None:
    if kind == "api_usage":
        # ``{used: n}`` or ``{remaining: n}``: the org's count of today's API requests, as if other clients
        # had spent them; the next answer's Sforce-Limit-Info tells syncd.
        if not isinstance(run.org, LocalOrg):
            raise ScenarioSkipped("sets the org's API usage")
        usage = run.org.server.fakeforce.usage
        used = int(value["used"]) if "used" in value else usage.daily_limit - int(value["remaining"])
        usage.set_used(used)
        return
    if kind == "sender":
        # ``{activity: paused_budget, within: 5s}``: what the sender reports, waited for.
        spec = dict(value)
        within = seconds(spec.pop("within", "5s"))
        deadline = time.monotonic() + within
        while True:
            state = State(run.config.service.state_path)
            try:
                fact = state.fact("sender") or {}
            finally:
                state.close()
            try:
                matches(spec, fact)
                return
            except Mismatch:
                if time.monotonic() >= deadline:
                    raise Mismatch(f"the sender reports {fact}, expected {spec} within {within:g}s") from None
            time.sleep(0.05)
    raise AssertionError(kind)
