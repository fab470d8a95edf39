"""Scenario runs record their outcome per rule; the session fails when a required rule (report.REQUIRED:
C, L, E, P, T1-T3, M1-M6, F1, F2 and O1) has no passing scenario, and prints the report (also written to
$SCENARIO_REPORT when set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from daemon.scenarios.report import markdown, rule_table, scenario_files, uncovered

OUTCOMES: list[tuple[str, list[str], str]] = []


def pytest_runtest_logreport(report) -> None:
    rules = getattr(report, "scenario_rules", None)
    if rules is None or report.when != "call":
        return
    OUTCOMES.append((report.scenario_name, rules, report.outcome))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if hasattr(item, "scenario_rules"):
        report.scenario_rules = item.scenario_rules
        report.scenario_name = item.scenario_name


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        scenario = getattr(item, "callspec", None)
        if scenario is not None and "scenario" in scenario.params:
            item.user_properties.append(("scenario", scenario.params["scenario"].name))


def pytest_sessionfinish(session, exitstatus) -> None:
    if not OUTCOMES:
        return
    table = rule_table(OUTCOMES)
    text = markdown(table)
    if os.environ.get("SCENARIO_REPORT"):
        with open(os.environ["SCENARIO_REPORT"], "w", encoding="utf-8") as handle:
            handle.write(text)
    missing = uncovered(table)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("-", "scenario coverage by rule")
        reporter.write_line(f"{len(OUTCOMES)} scenario runs; rules without a passing scenario: "
                            f"{', '.join(missing) if missing else 'none'}")
    complete = len(OUTCOMES) == len(scenario_files(Path(__file__).parent))  # not a -k selection
    if missing and complete and session.exitstatus == 0:
        session.exitstatus = 1
