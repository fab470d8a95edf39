"""When each record shows up in the org, watched through fakeforce's Python API in this process.

Polling over HTTP would spend API requests and so change the figure being measured; reading the store
under its lock sees committed records only (a transaction holds the lock until it commits).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Iterable

from fakeforce.store import Store


class Arrivals(threading.Thread):
    """Records the first moment (``time.perf_counter``) each wanted key is visible in ``sobject``.

    The store keeps records in insertion order and upserts by external id insert each record once, so
    each poll looks only at records past the last count seen; :meth:`finish` does one full pass at the end
    in case an order assumption ever breaks, so no arrival is missed (a late one is only timed late).
    """

    def __init__(self, store: Store, sobject: str, field: str, wanted: Iterable[str],
                 interval: float = 0.005) -> None:
        super().__init__(name="arrivals", daemon=True)
        self.store, self.sobject, self.field = store, sobject, field
        self.wanted = set(wanted)
        self.interval = interval
        self.times: dict[str, float] = {}
        self.done = threading.Event()
        self._halt = threading.Event()
        self._seen = 0

    def run(self) -> None:
        while not self._halt.is_set():
            self.poll()
            if len(self.times) >= len(self.wanted):
                self.done.set()
                return
            time.sleep(self.interval)

    def poll(self, full: bool = False) -> None:
        with self.store.lock:
            count = self.store.count(self.sobject)
            if count == self._seen and not full:
                return
            records = list(self.store.records(self.sobject))
        now = time.perf_counter()
        for record in records if full else records[self._seen:]:
            key = record.get(self.field)
            if key in self.wanted and key not in self.times:
                self.times[key] = now
        self._seen = count

    def wait(self, timeout: float) -> bool:
        return self.done.wait(timeout)

    def finish(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=5)
        self.poll(full=True)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p50 = the median sample, p99 = the sample 99% of the others are under)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
