"""The cost of picking the sender's next batch from the outbox (``State.ready``) at 100, 10,000 and
100,000 waiting operations, over 1,000 care cases or one hot case, and behind 100,000 done operations,
beside a naive pick (every pending row loaded, then filtered in Python) measured in the same run.

Goal (issue 10): the pick's cost does not grow with the rows waiting or done. Wall-clock figures are
reported; ``test_pick_work_is_flat`` asserts it on SQLite's own work count (virtual-machine steps) and the
query plans, which do not depend on the machine.

Run: ``make bench``, or ``pytest benchmarks/test_outbox_pick.py --benchmark-only -s``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from outbox_fill import Outbox, fill, naive_pick, query_plans, vm_steps

LIMIT = 1000  # what the sender asks for: sender_batch_size (200) x 5 collections
CASES = [("keys", 100, 0), ("keys", 10_000, 0), ("keys", 100_000, 0), ("hot", 100, 0), ("hot", 10_000, 0),
         ("hot", 100_000, 0), ("keys", 100, 100_000)]
IDS = [f"{layout}-{waiting}-waiting-{done}-done" for layout, waiting, done in CASES]
FIGURES: dict[tuple[str, tuple], dict] = {}
"""(ready or naive, case) -> median seconds and rows picked, for the table printed after the module."""


@pytest.fixture(scope="module")
def outboxes():
    """Each outbox is built once for the module (the 100,000-row ones take seconds) and reused."""
    built: dict[tuple[str, int, int], Outbox] = {}
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as folder:
        def get(layout: str, waiting: int, done: int) -> Outbox:
            key = (layout, waiting, done)
            if key not in built:
                built[key] = fill(Path(folder), layout, waiting, done)
            return built[key]

        yield get
        for outbox in built.values():
            outbox.close()
    _print_table()


def _check_pick(outbox: Outbox, picked) -> None:
    """A pick is a valid batch: pending rows that may go now, each key's in outbox order with none
    skipped (P4), none from a key whose head waits for its retry."""
    allowed = naive_pick(outbox.path, 10**9)
    by_key: dict[str, list[int]] = {}
    for row in allowed:
        by_key.setdefault(row.ordering_key, []).append(row.id)
    mine: dict[str, list[int]] = {}
    for row in sorted(picked, key=lambda r: r.id):
        mine.setdefault(row.ordering_key, []).append(row.id)
    assert picked and len(picked) <= LIMIT
    for key, ids in mine.items():
        assert ids == by_key.get(key, [])[: len(ids)], f"{key}: picked {ids[:5]}..., not its first eligible rows"


@pytest.mark.parametrize("layout,waiting,done", CASES, ids=IDS)
def test_pick(benchmark, outboxes, layout, waiting, done):
    outbox = outboxes(layout, waiting, done)
    benchmark.group = "outbox pick"
    picked = benchmark(outbox.state.ready, LIMIT)
    _check_pick(outbox, picked)
    benchmark.extra_info.update({"waiting": outbox.waiting, "done": outbox.done, "picked": len(picked)})
    FIGURES[("ready", (layout, waiting, done))] = {"median": benchmark.stats.stats.median, "picked": len(picked),
                                                   "label": _label(outbox)}


@pytest.mark.parametrize("layout,waiting,done", CASES, ids=IDS)
def test_pick_baseline_load_all(benchmark, outboxes, layout, waiting, done):
    outbox = outboxes(layout, waiting, done)
    benchmark.group = "outbox pick baseline"
    picked = benchmark(naive_pick, outbox.path, LIMIT)
    benchmark.extra_info.update({"waiting": outbox.waiting, "done": outbox.done, "picked": len(picked)})
    FIGURES[("naive", (layout, waiting, done))] = {"median": benchmark.stats.stats.median, "picked": len(picked),
                                                   "label": _label(outbox)}
    assert picked


def test_pick_work_is_flat(benchmark, outboxes):
    """SQLite's work for one pick is the same at 10,000 and 100,000 waiting rows, and with or without
    100,000 done rows; no query of the pick sorts in a temporary b-tree or scans the outbox unindexed."""
    small, large = outboxes("keys", 10_000, 0), outboxes("keys", 100_000, 0)
    fresh, behind_done = outboxes("keys", 100, 0), outboxes("keys", 100, 100_000)
    benchmark.group = "outbox pick work"
    steps_large, statements = benchmark.pedantic(vm_steps, args=(large.state, lambda: large.state.ready(LIMIT)),
                                                 rounds=1, iterations=1)
    steps_small, _ = vm_steps(small.state, lambda: small.state.ready(LIMIT))
    steps_fresh, _ = vm_steps(fresh.state, lambda: fresh.state.ready(LIMIT))
    steps_done, _ = vm_steps(behind_done.state, lambda: behind_done.state.ready(LIMIT))
    plans = query_plans(large.state, statements)
    benchmark.extra_info.update({"vm_steps_10k_waiting": steps_small, "vm_steps_100k_waiting": steps_large,
                                 "vm_steps_100_waiting": steps_fresh, "vm_steps_100_waiting_100k_done": steps_done,
                                 "plans": sorted({line for lines in plans.values() for line in lines})})
    print(f"\nSQLite steps per pick of {LIMIT}: {steps_small:,} at 10,000 waiting, {steps_large:,} at 100,000; "
          f"{steps_fresh:,} at 100 waiting, {steps_done:,} behind 100,000 done")
    for lines in {tuple(v) for v in plans.values()}:
        print("  plan: " + " | ".join(lines))
    assert steps_large <= 1.5 * steps_small + 10_000, "the pick's work grows with the rows waiting"
    assert steps_done <= 1.5 * steps_fresh + 10_000, "the pick's work grows with the rows done"
    for sql, lines in plans.items():
        for line in lines:
            assert "TEMP B-TREE" not in line, f"{sql}: sorts in a temporary b-tree ({line})"
            assert not (line.startswith("SCAN outbox") and "INDEX" not in line), f"{sql}: scans the outbox ({line})"


def _label(outbox: Outbox) -> str:
    return f"{outbox.layout:4} {outbox.waiting:>7,} waiting {outbox.done:>7,} done"


def _print_table() -> None:
    cases = [case for case in CASES if ("ready", case) in FIGURES or ("naive", case) in FIGURES]
    if not cases:
        return
    lines = [f"\noutbox pick of up to {LIMIT} (median ms)", f"{'':35}{'ready':>10}{'picked':>8}{'naive':>10}"]
    for case in cases:
        ours, naive = FIGURES.get(("ready", case)), FIGURES.get(("naive", case))
        label = (ours or naive)["label"]
        lines.append(f"{label:35}{_ms(ours):>10}{(ours or {}).get('picked', ''):>8}{_ms(naive):>10}")
    print("\n".join(lines))


def _ms(figure: dict | None) -> str:
    return f"{figure['median'] * 1e3:.3f}" if figure else "-"
