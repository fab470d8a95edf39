"""Plots of the latest benchmark run, from pytest-benchmark's JSON (``--benchmark-json``), never by running
anything again: message-sync throughput, Salesforce requests per 1,000 messages and per escalation beside
the naive baseline, latency percentiles, and SOQL time as rows grow. ``make bench`` runs it.

    python benchmarks/report.py .bench/latest.json --out docs/img

writes ``bench-*.png`` and ``bench-report.md`` (the figures as a table, and the pictures) into ``--out``.
A figure whose benchmark did not run is left out and named in the report, not faked.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

Figures = dict[str, Any]
LABELS = {"throughput": "messages per second", "per_1000": "requests per 1,000 messages",
          "chat_per_1000": "requests per 1,000 chat ends", "chat_throughput": "chats per second",
          "per_escalation": "requests per escalation (100-message backfill)",
          "per_1000_propagated": "requests per 1,000 propagated messages"}


# -- functional core: the JSON to the figures ---------------------------------------------------------

def by_name(data: dict) -> dict[str, dict]:
    """Each benchmark by its test name without parameters (``test_soql[...]`` under ``test_soql``), last wins."""
    out: dict[str, dict] = {}
    for bench in data.get("benchmarks", []):
        out[bench["name"].split("[")[0]] = bench
    return out


def sync_figures(data: dict) -> Figures:
    """Message sync and chat economy, requests per escalation and per 1,000 propagated messages."""
    named, out = by_name(data), {}
    economy = named.get("test_sync_economy_every_rule_on", {}).get("extra_info")
    if economy:
        out["throughput"] = {"syncd": economy["syncd_messages_per_second"],
                             "naive": economy["naive_messages_per_second"]}
        out["per_1000"] = {"syncd": economy["syncd_requests_per_1000"], "naive": economy["naive_requests_per_1000"]}
        out["latency_ms"] = {"p50": economy["syncd_p50_ms"], "p99": economy["syncd_p99_ms"]}
    chat = named.get("test_chat_economy_every_rule_on", {}).get("extra_info")
    if chat:
        out["chat_per_1000"] = {"syncd": chat["syncd_requests_per_1000"], "naive": chat["naive_requests_per_1000"]}
        out["chat_throughput"] = {"syncd": chat["syncd_chats_per_second"], "naive": chat["naive_chats_per_second"]}
    for key, test in (("per_escalation", "test_requests_per_escalation_with_backfill"),
                      ("per_1000_propagated", "test_requests_per_1000_propagated_messages")):
        info = named.get(test, {}).get("extra_info")
        if info:
            out[key] = {"syncd": info["requests_syncd"], "naive": info["requests_naive"]}
    return out


def soql_series(data: dict) -> dict[str, list[tuple[int, float]]]:
    """Median seconds by row count, per query (``soql email_eq``) and for the TinyDB scan baseline."""
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for bench in data.get("benchmarks", []):
        rows = (bench.get("extra_info") or {}).get("rows")
        group = bench.get("group") or ""
        if rows is None or not (group.startswith("soql ") or group == "baseline tinydb scan"):
            continue
        series[group].append((int(rows), float(bench["stats"]["median"])))
    return {k: sorted(v) for k, v in sorted(series.items())}


def markdown(data: dict, sync: Figures, soql: dict[str, list[tuple[int, float]]], images: list[str],
             missing: list[str]) -> str:
    when = data.get("datetime", "?")
    machine = data.get("machine_info", {})
    lines = [f"# Benchmark report", "", f"Run {when} on {machine.get('machine', '?')} "
             f"({machine.get('python_implementation', '')} {machine.get('python_version', '')}), "
             f"{len(data.get('benchmarks', []))} benchmarks. Made by `benchmarks/report.py` from "
             "pytest-benchmark's JSON.", ""]
    if sync:
        lines += ["| figure | syncd | naive |", "|---|---|---|"]
        for key, pair in sync.items():
            if "syncd" in pair:
                lines.append(f"| {LABELS.get(key, key)} | {pair['syncd']} | {pair['naive']} |")
        if "latency_ms" in sync:
            lines.append(f"| latency p50 / p99, ms from the batch's 202 to its SocialPost | "
                         f"{sync['latency_ms']['p50']} / {sync['latency_ms']['p99']} | |")
        lines.append("")
    if soql:
        sizes = sorted({n for points in soql.values() for n, _ in points})
        lines += ["| SOQL median (ms) | " + " | ".join(f"{n:,} rows" for n in sizes) + " |",
                  "|---" * (len(sizes) + 1) + "|"]
        for group, points in soql.items():
            at = dict(points)
            lines.append(f"| {group} | " + " | ".join(f"{at[n] * 1e3:.3f}" if n in at else "" for n in sizes) + " |")
        lines.append("")
    lines += [f"![{name}]({name})" for name in images]
    if missing:
        lines += ["", "Not in this run (their benchmarks did not run): " + ", ".join(missing) + "."]
    return "\n".join(lines) + "\n"


# -- imperative shell: plots and files ----------------------------------------------------------------

def _bars(plt, path: Path, title: str, pairs: dict[str, dict], ylabel: str, log: bool = False) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=90)
    labels = list(pairs)
    x = range(len(labels))
    ours = [pairs[k]["syncd"] for k in labels]
    naive = [pairs[k]["naive"] for k in labels]
    ax.bar([i - 0.2 for i in x], ours, 0.4, label="syncd", color="#0176d3")
    ax.bar([i + 0.2 for i in x], naive, 0.4, label="naive baseline", color="#c9c9c9")
    for i, (a, b) in enumerate(zip(ours, naive)):
        ax.annotate(f"{a:g}", (i - 0.2, a), ha="center", va="bottom", fontsize=8)
        ax.annotate(f"{b:g}", (i + 0.2, b), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), [textwrap.fill(k.replace("_", " "), 14) for k in labels])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plots(sync: Figures, soql: dict[str, list[tuple[int, float]]], out: Path) -> tuple[list[str], list[str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written, missing = [], []
    requests = {k: v for k, v in (("per 1,000 messages", sync.get("per_1000")),
                                  ("per 1,000 propagated", sync.get("per_1000_propagated")),
                                  ("per escalation", sync.get("per_escalation")),
                                  ("per 1,000 chat ends", sync.get("chat_per_1000"))) if v}
    if requests:
        _bars(plt, out / "bench-requests.png", "Salesforce requests", requests, "requests (log scale)", log=True)
        written.append("bench-requests.png")
    else:
        missing.append("requests per 1,000 messages and per escalation")
    speed = {k: v for k, v in (("messages/s", sync.get("throughput")), ("chats/s", sync.get("chat_throughput"))) if v}
    if speed:
        _bars(plt, out / "bench-throughput.png", "Throughput", speed, "per second")
        written.append("bench-throughput.png")
    else:
        missing.append("throughput")
    if "latency_ms" in sync:
        fig, ax = plt.subplots(figsize=(4.2, 3.2), dpi=90)
        lat = sync["latency_ms"]
        ax.bar(list(lat), list(lat.values()), color="#0176d3")
        ax.set_ylabel("ms, 202 to SocialPost in the org")
        ax.set_title("Message-sync latency")
        fig.tight_layout()
        fig.savefig(out / "bench-latency.png")
        plt.close(fig)
        written.append("bench-latency.png")
    else:
        missing.append("latency percentiles")
    if soql:
        fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=90)
        for group, points in soql.items():
            style = "--" if group.startswith("baseline") else "-"
            ax.plot([n for n, _ in points], [s * 1e3 for _, s in points], style, marker="o", label=group)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rows in Contact")
        ax.set_ylabel("median ms")
        ax.set_title("SOQL time as rows grow")
        ax.legend(fontsize=7, frameon=False, ncol=2)
        fig.tight_layout()
        fig.savefig(out / "bench-soql.png")
        plt.close(fig)
        written.append("bench-soql.png")
    else:
        missing.append("SOQL time as rows grow")
    return written, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="pytest-benchmark's --benchmark-json output")
    parser.add_argument("--out", type=Path, default=Path("docs/img"), help="folder for the PNGs and the report")
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.json}: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    sync, soql = sync_figures(data), soql_series(data)
    images, missing = plots(sync, soql, args.out)
    (args.out / "bench-report.md").write_text(markdown(data, sync, soql, images, missing), encoding="utf-8")
    print(f"wrote {', '.join(images) or 'no plots'} and bench-report.md to {args.out}"
          + (f"; not in this run: {', '.join(missing)}" if missing else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
