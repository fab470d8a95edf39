"""A day of API usage samples, so the operator sees how fast the budget goes, not only where it stands.

Kept as a fact in the state database (the sender records each new reading): one sample a minute at most,
samples older than a day dropped. Pure functions over the list, and two thin calls that read and write it.
"""

from __future__ import annotations

from typing import Any

FACT = "api_usage_history"
DAY = 86_400.0
MIN_GAP = 60.0


def add(samples: list[dict[str, Any]], used: int, maximum: int, now: float) -> list[dict[str, Any]]:
    """``samples`` with this reading: it replaces the last one when that is under a minute old."""
    kept = [s for s in samples if now - s["t"] <= DAY]
    sample = {"t": round(now, 3), "used": used, "max": maximum}
    if kept and now - kept[-1]["t"] < MIN_GAP:
        kept[-1] = {**sample, "t": kept[-1]["t"]}
    else:
        kept.append(sample)
    return kept


def window(samples: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    return [s for s in samples if now - s["t"] <= DAY]


def record(state, used: int, maximum: int, now: float) -> None:
    state.set_fact(FACT, add(state.fact(FACT, []) or [], used, maximum, now))


def history(state, now: float) -> list[dict[str, Any]]:
    return window(state.fact(FACT, []) or [], now)
