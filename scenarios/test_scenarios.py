"""``pytest scenarios/``: every YAML scenario here, end to end against an in-process fakeforce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from daemon.scenarios.report import IMPLEMENTED, REQUIRED, scenario_files
from daemon.scenarios.runner import Scenario, run_scenario

HERE = Path(__file__).resolve().parent
SCENARIOS = [Scenario.load(p) for p in scenario_files(HERE)]


@pytest.fixture
def record_rules(request):
    def record(scenario: Scenario) -> None:
        request.node.scenario_rules = scenario.rules
        request.node.scenario_name = scenario.path.stem
    return record


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.path.stem for s in SCENARIOS])
def test_scenario(scenario: Scenario, record_rules) -> None:
    record_rules(scenario)
    result = run_scenario(scenario.path)
    assert result.passed, f"{scenario.path.name} ({', '.join(scenario.rules)}): {result.error}"


def test_every_required_rule_has_scenarios() -> None:
    named = {rule for s in SCENARIOS for rule in s.rules}
    assert not [r for r in REQUIRED if r not in named], "rules without any scenario"
    assert len([1 for s in SCENARIOS for r in s.rules if r in IMPLEMENTED]) >= 3 * len(REQUIRED)


def test_every_rule_id_appears_in_the_code() -> None:
    code = "\n".join(p.read_text() for p in (HERE.parent / "daemon").rglob("*.py"))
    for rule in IMPLEMENTED:
        assert re.search(rf"\b{rule}\b", code), f"{rule} is not named in daemon/"
