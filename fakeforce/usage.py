"""API usage as an org counts it: a daily total against the limit, and per-route counters for tests."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

from .clock import Clock


class Usage:
    def __init__(self, clock: Clock, daily_limit: int) -> None:
        self.clock = clock
        self.daily_limit = daily_limit
        self._lock = threading.Lock()
        self._day: date | None = None
        self._used = 0
        self.routes: Counter[str] = Counter()

    def _roll(self) -> None:
        today = self.clock.now().date()
        if self._day != today:
            self._day, self._used = today, 0

    def try_spend(self) -> bool:
        """Count one API request; False when the daily limit is already used up."""
        with self._lock:
            self._roll()
            if self._used >= self.daily_limit:
                return False
            self._used += 1
            return True

    def refund(self, routes: list[str]) -> None:
        """Take back one counted request (and its route counters): its client never got the answer."""
        with self._lock:
            self._used = max(self._used - 1, 0)
            for key in routes:
                self.routes[key] -= 1
                if self.routes[key] <= 0:
                    del self.routes[key]

    def count_route(self, key: str) -> None:
        with self._lock:
            self.routes[key] += 1

    @property
    def used(self) -> int:
        with self._lock:
            self._roll()
            return self._used

    def header(self) -> str:
        return f"api-usage={self.used}/{self.daily_limit}"

    def set_used(self, used: int) -> None:
        with self._lock:
            self._roll()
            self._used = used

    def reset(self) -> None:
        with self._lock:
            self._used = 0
            self.routes.clear()
