"""Which rules the scenarios cover, and how they fared: the report, and the coverage gate."""

from __future__ import annotations

from pathlib import Path

REQUIRED = [*(f"C{i}" for i in range(1, 8)), "L1", "L2", *(f"E{i}" for i in range(1, 7)),
            *(f"P{i}" for i in range(1, 7)), "T1", "T2", "T3", "T4", "T5", *(f"M{i}" for i in range(1, 7)), "F1", "F2", "F4", "O1",
            *(f"B{i}" for i in range(1, 5)), *(f"I{i}" for i in range(1, 6)), "S1", "S2", "S3"]
"""Rules that must each have a passing scenario: groups C, L, E, P, the live chat and inbox rules T1-T5,
M1-M6, F1, F2, O1, the bot's B1-B4, the interactions' I1-I5 and the connection's S1-S3."""
IMPLEMENTED = REQUIRED


def rule_table(results: list[tuple[str, list[str], str]]) -> dict[str, list[tuple[str, str]]]:
    """rule id -> [(scenario, outcome)] from (scenario, rules, outcome) triples."""
    table: dict[str, list[tuple[str, str]]] = {rule: [] for rule in IMPLEMENTED}
    for name, rules, outcome in results:
        for rule in rules:
            table.setdefault(rule, []).append((name, outcome))
    return table


def uncovered(table: dict[str, list[tuple[str, str]]]) -> list[str]:
    return [rule for rule in REQUIRED if not any(outcome == "passed" for _, outcome in table.get(rule, []))]


def markdown(table: dict[str, list[tuple[str, str]]]) -> str:
    lines = ["# Scenario report", "", "| rule | scenarios | passed |", "|---|---|---|"]
    for rule in sorted(table, key=lambda r: (r[0], int(r[1:]) if r[1:].isdigit() else 0)):
        entries = table[rule]
        passed = sum(1 for _, outcome in entries if outcome == "passed")
        names = "<br>".join(f"{'✅' if o == 'passed' else '❌' if o == 'failed' else '⏭'} {n}" for n, o in entries)
        lines.append(f"| {rule} | {names or '—'} | {passed}/{len(entries)} |")
    missing = uncovered(table)
    lines += ["", f"Rules without a passing scenario: {', '.join(missing) if missing else 'none'}."]
    total = sum(len(v) for v in table.values())
    lines.append(f"Scenario-rule pairs: {total}; average per rule: {total / max(len(table), 1):.1f}.")
    return "\n".join(lines) + "\n"


def scenario_files(folder: str | Path) -> list[Path]:
    return sorted(Path(folder).glob("*.yaml"))
