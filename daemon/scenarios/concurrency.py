"""Calls sent at the same moment from several threads, timed, so that a scenario can prove they really
overlapped (E5: a concurrent double escalation) instead of assuming it."""

from __future__ import annotations

import threading
import time
from typing import Callable

import httpx


def at_once(call: Callable[[], httpx.Response], count: int) -> tuple[list[httpx.Response], bool]:
    """The answers of ``count`` simultaneous calls, and whether every call was sent before any was answered."""
    answers: list[httpx.Response] = []
    spans: list[tuple[float, float]] = []

    def one() -> None:
        started = time.monotonic()
        answers.append(call())
        spans.append((started, time.monotonic()))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, max(s for s, _ in spans) < min(e for _, e in spans)
