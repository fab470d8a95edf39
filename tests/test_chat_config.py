"""``[chat]`` problems that no scenario can show (a scenario cannot start with a configuration syncd
refuses): a fourth identification condition (M2), more than one action for a chat (T2), an unknown
action or update policy, each reported with its key, all at once, by parsing, ``check-config`` and
``run`` alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.chat.options import MAX_CONDITIONS
from daemon.config import ConfigError, parse_config
from daemon.scenarios.runner import run_scenario

from syncd_helpers import syncd_cli

EMAIL = {"visitor": "visitor.email", "salesforce": "Email"}
FOUR = [EMAIL, {"visitor": "visitor.name", "salesforce": "LastName"},
        {"visitor": "prechat.phone", "salesforce": "Phone"}, {"visitor": "custom.tier", "salesforce": "Title"}]


def _parse(chat: dict):
    return parse_config({"service": {"allow_unauthenticated": True}, "salesforce": {"embedded": True}, "chat": chat})


def _problems(chat: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _parse(chat)
    return caught.value.problems


def test_three_conditions_are_allowed() -> None:
    config = _parse({"identification": {"conditions": FOUR[:3], "account_conditions": FOUR[:3]}})
    assert len(config.chat.identification.conditions) == MAX_CONDITIONS == 3
    assert [c.salesforce for c in config.chat.identification.account_conditions] == ["Email", "LastName", "Phone"]


def test_a_fourth_condition_is_a_configuration_error() -> None:
    assert _problems({"identification": {"conditions": FOUR}}) == [
        "chat.identification.conditions: at most 3 conditions (M2), got 4"]


def test_a_fourth_account_condition_is_a_configuration_error() -> None:
    assert _problems({"identification": {"account_conditions": FOUR}}) == [
        "chat.identification.account_conditions: at most 3 conditions (M2), got 4"]


def test_every_chat_problem_at_once() -> None:
    problems = _problems({"triggers": {"chat_started": "contact_task", "chat_ended": "contact_case"},
                          "identification": {"conditions": FOUR, "account_conditions": [*FOUR, EMAIL]},
                          "update_policy": "merge", "mappings": {"Opportunity": {"Name": "visitor.name"}}})
    keys = sorted(p.split(":", 1)[0] for p in problems)
    assert keys == ["chat.identification.account_conditions", "chat.identification.conditions",
                    "chat.mappings", "chat.triggers", "chat.update_policy"], problems
    assert any("both have an action" in p for p in problems)
    assert "chat.identification.account_conditions: at most 3 conditions (M2), got 5" in problems


def test_an_unknown_action_is_named_with_its_trigger() -> None:
    problems = _problems({"triggers": {"offline_message": "email_me"}, "identification": {"conditions": FOUR}})
    assert sorted(p.split(":", 1)[0] for p in problems) == ["chat.identification.conditions",
                                                           "chat.triggers.offline_message"]


def test_a_misspelt_action_does_not_hide_a_trigger_conflict() -> None:
    """F3: every problem in one run, even when pydantic stops at a value it cannot read."""
    problems = _problems({"triggers": {"chat_started": "contact_task", "chat_ended": "contact_case",
                                       "conversation_ended": "contakt_case", "offline_message": "manual"}})
    assert sorted(p.split(":", 1)[0] for p in problems) == ["chat.triggers", "chat.triggers",
                                                           "chat.triggers.conversation_ended"], problems
    assert any("chat_started and chat_ended both have an action" in p for p in problems)
    assert any('offline_message = "manual"' in p for p in problems)


def test_two_trigger_problems_are_two_problems() -> None:
    problems = _problems({"triggers": {"chat_started": "contact_task", "chat_ended": "contact_case",
                                       "offline_message": "manual"}})
    assert len(problems) == 2 and all(p.startswith("chat.triggers: ") for p in problems), problems


def test_no_conditions_is_an_error_too() -> None:
    assert [p.split(":", 1)[0] for p in _problems({"identification": {"conditions": []}})] == [
        "chat.identification.conditions"]


def _toml(path: Path, conditions: list[dict]) -> Path:
    lines = ["[service]", "allow_unauthenticated = true", f'state_path = "{path.parent / "syncd.db"}"',
             "[salesforce]", "embedded = true", "[chat.triggers]", 'chat_ended = "contact_task"']
    for condition in conditions:
        lines += ["[[chat.identification.conditions]]", f'visitor = "{condition["visitor"]}"',
                  f'salesforce = "{condition["salesforce"]}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_check_config_and_run_refuse_a_fourth_condition(tmp_path: Path) -> None:
    config = _toml(tmp_path / "syncd.toml", FOUR)
    for command in ("check-config", "run"):
        result = syncd_cli(config, command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        output = result.stdout + result.stderr
        assert "chat.identification.conditions: at most 3 conditions (M2), got 4" in output
        assert "Traceback" not in output


def test_a_scenario_with_a_fourth_condition_cannot_start(tmp_path: Path) -> None:
    scenario = tmp_path / "m2_fourth_condition.yaml"
    scenario.write_text(
        "name: four conditions\nrules: [M2]\ngiven:\n  config:\n    chat:\n      identification:\n"
        "        conditions:\n" + "".join(f"          - {{visitor: {c['visitor']}, salesforce: {c['salesforce']}}}\n"
                                          for c in FOUR) + "steps: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="at most 3 conditions"):
        run_scenario(scenario)
