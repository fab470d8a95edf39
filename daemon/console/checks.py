"""``syncd check-config`` for ``[console]``: every field the recognise answer shows (T4) is a field of the
org, its paths walked through each object's relationships as the bot's routing fields are (B4). A typo
here would otherwise surface only when an agent opens a chat, as a Salesforce INVALID_FIELD."""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from ..bot.checks import Describes, path_problem, walk

if TYPE_CHECKING:
    from ..config import SyncdConfig


def in_use(config: "SyncdConfig") -> bool:
    """The console is checked when the file configures it or the chat integration (whose agents use it) is on."""
    return "console" in config.model_fields_set or config.chat.enabled()


def display_problems(config: "SyncdConfig", describes: Describes) -> list[str]:
    """Problems of ``[console] display_fields``; raises Need until every describe it walks is there."""
    console = config.console
    problems = []
    for sobject in ("Contact", "Lead", "Account"):
        for index, path in enumerate(console.display(sobject)):
            if (problem := path_problem(sobject, path, describes)) is not None:
                problems.append(f"console.display_fields.{sobject}.{index}: {path}: {problem}")
    return problems


async def console_problems(config: "SyncdConfig", fetch: Callable[[str], Awaitable[dict | None]]) -> list[str]:
    """What ``check-config`` adds for ``[console]``: describes only the objects the display paths cross."""
    if not in_use(config):
        return []
    describes: Describes = {}
    while True:
        problems, needed = walk(lambda d: display_problems(config, d), describes)
        if needed is None:
            return problems
        describes[needed] = await fetch(needed)
