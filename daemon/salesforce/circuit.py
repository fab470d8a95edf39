"""The sender's circuit: when Salesforce fails for everyone (an outage, the request limit, a session that
cannot be renewed), waiting is the org's business, not each operation's.

While open, nothing is sent until the next probe is due (capped exponential backoff with jitter). The
probe is one real request (half-open); its success closes the circuit and the whole outbox goes at once,
so delivery resumes within one probe interval of Salesforce coming back, not after every operation has
waited out a backoff of its own. Pure state over an injected monotonic clock, so tests need no sleeping.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable

_RNG = random.Random()


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter between half and the whole step."""
    step = min(cap, base * (2 ** max(attempt - 1, 0)))
    return step * (0.5 + (rng or _RNG).random() / 2)


@dataclass
class Circuit:
    base_seconds: float
    cap_seconds: float
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    reason: str | None = None
    opened_at: float | None = None
    probe_at: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    @property
    def open(self) -> bool:
        return self.failures > 0

    @property
    def half_open(self) -> bool:
        """The next request is a probe: send one, not the whole batch."""
        return self.open and self.clock() >= self.probe_at

    def wait_seconds(self) -> float:
        return max(0.0, self.probe_at - self.clock()) if self.open else 0.0

    def fail(self, reason: str, at_least: float = 0.0) -> float:
        """A request failed for the whole org: open (or keep open) and schedule the next probe."""
        now = self.clock()
        if not self.open:
            self.opened_at = now
        self.failures += 1
        self.reason = reason
        delay = max(at_least, backoff(self.failures, self.base_seconds, self.cap_seconds, self.rng))
        self.probe_at = now + delay
        return delay

    def succeed(self) -> bool:
        """A request went through: close. True when this ended an outage."""
        was_open = self.open
        self.failures, self.reason, self.opened_at, self.probe_at = 0, None, None, 0.0
        return was_open
