"""Fault injection for tests: error answers, latency and dropped connections, per route pattern."""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Fault:
    """One rule. ``route`` is a glob on the path (``/services/data/*/composite*``); ``methods`` empty means all.

    It fires on the next ``count`` matching requests, or on a ``share`` (0..1) of them when ``count`` is
    None. A firing fault adds ``latency_ms``, then answers ``status`` with ``error_code`` (when a status is
    set), or drops the connection (``drop``); a latency-only fault lets the request through.

    By default the org never sees a request a status or drop fault answers. With ``apply`` it processes
    the request fully (its writes are committed) and only the reply is lost: ``drop`` then breaks the
    connection instead of sending the real answer, ``status`` answers that error instead of it. This is
    the case a client cannot tell from a request that never arrived, e.g.
    ``{"route": "/services/data/*/composite*", "drop": true, "apply": true, "count": 1}``.
    """

    route: str = "*"
    methods: list[str] = field(default_factory=list)
    status: int | None = None
    error_code: str | None = None
    message: str | None = None
    share: float = 1.0
    count: int | None = None
    latency_ms: int = 0
    drop: bool = False
    apply: bool = False
    id: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in {m.upper() for m in self.methods}:
            return False
        return fnmatch.fnmatchcase(path, self.route)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_MESSAGES = {
    "REQUEST_LIMIT_EXCEEDED": "TotalRequests Limit exceeded.",
    "UNABLE_TO_LOCK_ROW": "unable to obtain exclusive access to this record or 1 records",
    "INVALID_SESSION_ID": "Session expired or invalid",
    "SERVER_UNAVAILABLE": "Server temporarily unavailable",
    "UNKNOWN_EXCEPTION": "An unexpected error occurred. Please include this ErrorId if you contact support",
}


_TYPES: dict[str, tuple[type, ...]] = {
    "route": (str,), "methods": (list,), "status": (int, type(None)), "error_code": (str, type(None)),
    "message": (str, type(None)), "share": (int, float), "count": (int, type(None)), "latency_ms": (int, float),
    "drop": (bool,), "apply": (bool,)}


def _check_types(spec: dict[str, Any]) -> None:
    """A fault with a wrongly typed key would break every request it is matched against: refuse it now."""
    for key, value in spec.items():
        kinds = _TYPES[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise ValueError(f"{key} has the wrong type: {type(value).__name__}")
    if not all(isinstance(m, str) for m in spec.get("methods", [])):
        raise ValueError("methods must be a list of HTTP method names")
    if not 0 <= spec.get("latency_ms", 0) <= 600_000:
        raise ValueError("latency_ms must be between 0 and 600000")


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(self, spec: dict[str, Any]) -> Fault:
        allowed = {"route", "methods", "status", "error_code", "message", "share", "count", "latency_ms", "drop",
                   "apply"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        _check_types(spec)
        fault = Fault(**spec)
        if fault.apply and fault.status is None and not fault.drop:
            raise ValueError("apply needs drop or a status: it loses the reply of a request the org applied")
        if not 0 <= fault.share <= 1:
            raise ValueError("share must be between 0 and 1")
        if fault.status is not None and not 100 <= int(fault.status) <= 599:
            raise ValueError("status must be an HTTP status")
        if fault.status is None and not fault.drop and not fault.latency_ms:
            raise ValueError("a fault needs a status, drop or latency_ms")
        if fault.status is not None and fault.error_code is None:
            fault.error_code = "SERVER_UNAVAILABLE" if fault.status >= 500 else "UNKNOWN_EXCEPTION"
        if fault.message is None and fault.error_code:
            fault.message = DEFAULT_MESSAGES.get(fault.error_code, fault.error_code.replace("_", " ").lower())
        with self._lock:
            fault.id = next(self._ids)
            self._faults.append(fault)
        return fault

    def pick(self, method: str, path: str) -> Fault | None:
        """The first rule that fires for this request (and counts it down)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.count is not None:
                    if fault.count <= 0:
                        continue
                    fault.count -= 1
                elif self._random.random() >= fault.share:
                    continue
                fault.fired += 1
                return fault
            return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
