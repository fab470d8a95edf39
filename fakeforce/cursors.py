"""Query locators: the rest of a result kept for ``nextRecordsUrl``, as Salesforce keeps server-side cursors.

A locator reads ``{id}-{offset}``; it answers until it is exhausted or idle for 15 minutes (on the org's
clock), and a user keeps at most 10 open (opening an eleventh drops the oldest), as in an org.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from .clock import Clock
from .errors import SalesforceError
from .ids import make_id

DEFAULT_BATCH = 2000
MIN_BATCH = 200
IDLE_SECONDS = 15 * 60
OPEN_PER_USER = 10


@dataclass
class Cursor:
    user_id: str
    rows: list[dict]
    total: int
    batch: int
    touched: float
    opened: int = 0
    served: set[int] = field(default_factory=set)


def invalid_locator() -> SalesforceError:
    return SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator", 400)


class Cursors:
    def __init__(self, clock: Clock, pod: str = "5g") -> None:
        self.clock = clock
        self.pod = pod
        self._lock = threading.Lock()
        self._cursors: dict[str, Cursor] = {}
        self._numbers = itertools.count(1)

    @staticmethod
    def batch_size(header: str | None) -> int:
        """``Sforce-Query-Options: batchSize=N``: a hint between 200 and 2000."""
        if not header:
            return DEFAULT_BATCH
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key.strip().lower() == "batchsize" and value.strip().isdigit():
                return max(MIN_BATCH, min(DEFAULT_BATCH, int(value)))
        return DEFAULT_BATCH

    def page(self, user_id: str, rows: list[dict], total: int, batch: int, version: str, kind: str) -> dict:
        """The first page; the rest stays behind a locator when there is more."""
        first = rows[:batch]
        body: dict = {"totalSize": total, "done": len(rows) <= batch, "records": first}
        if len(rows) > batch:
            locator = self._open(Cursor(user_id, rows, total, batch, self.clock.now().timestamp()))
            body["nextRecordsUrl"] = f"/services/data/v{version}/{kind}/{locator}-{batch}"
        return body

    def _open(self, cursor: Cursor) -> str:
        with self._lock:
            self._expire()
            cursor.opened = next(self._numbers)
            locator = make_id("01g", self.pod, cursor.opened)
            mine = sorted((c.opened, key) for key, c in self._cursors.items() if c.user_id == cursor.user_id)
            for _, key in mine[: max(0, len(mine) - OPEN_PER_USER + 1)]:
                del self._cursors[key]
            self._cursors[locator] = cursor
            return locator

    def _expire(self) -> None:
        now = self.clock.now().timestamp()
        for key in [k for k, c in self._cursors.items() if now - c.touched > IDLE_SECONDS]:
            del self._cursors[key]

    def more(self, token: str, user_id: str, version: str, kind: str) -> dict:
        locator, _, offset_text = token.partition("-")
        if not offset_text.isdigit():
            raise invalid_locator()
        offset = int(offset_text)
        with self._lock:
            self._expire()
            cursor = self._cursors.get(locator)
            if cursor is None or cursor.user_id != user_id or offset >= len(cursor.rows):
                raise invalid_locator()
            cursor.touched = self.clock.now().timestamp()
            rows = cursor.rows[offset: offset + cursor.batch]
            end = offset + len(rows)
            body: dict = {"totalSize": cursor.total, "done": end >= len(cursor.rows), "records": rows}
            if end < len(cursor.rows):
                body["nextRecordsUrl"] = f"/services/data/v{version}/{kind}/{locator}-{end}"
            else:
                del self._cursors[locator]  # exhausted
            return body

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()
