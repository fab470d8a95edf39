"""``syncd check-config`` for ``[bot]``: every routing field (B4) is a field of the org, its paths walked
through the relationships of each object's describe (``Owner.Email``: Contact's Owner is a User, and User
has Email). The walk is pure over the describes; ``bot_problems`` fetches the describes it asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:
    from ..config import SyncdConfig

Describes = dict[str, "dict | None"]


class Need(Exception):
    """The walk needs this object's describe first."""

    def __init__(self, sobject: str) -> None:
        super().__init__(sobject)
        self.sobject = sobject


def _describe(describes: Describes, sobject: str) -> dict | None:
    if sobject not in describes:
        raise Need(sobject)
    return describes[sobject]


def path_problem(root: str, path: str, describes: Describes) -> str | None:
    """Why ``path`` is not a field of ``root`` (None if it is). Raises Need for a describe not yet fetched.
    A polymorphic relationship (several targets) is left to Salesforce: its fields depend on the record."""
    current = root
    parts = path.split(".")
    for index, part in enumerate(parts):
        describe = _describe(describes, current)
        if describe is None:
            return f"the org has no {current} object"
        fields = describe.get("fields", [])
        if index == len(parts) - 1:
            if not any(f["name"].lower() == part.lower() for f in fields):
                return f"no field {part} on {current}"
            return None
        relation = next((f for f in fields if (f.get("relationshipName") or "").lower() == part.lower()), None)
        if relation is None:
            return f"no relationship {part} on {current} (a lookup field's relationship name, such as Owner)"
        targets = relation.get("referenceTo") or []
        if len(targets) != 1:
            return None
        current = targets[0]
    return None


def routing_problems(config: "SyncdConfig", describes: Describes) -> list[str]:
    """Problems of the routing configuration; raises Need until every describe it walks is there."""
    bot = config.bot
    problems = []
    for index, path in enumerate(bot.routing_contact_fields):
        if (problem := path_problem("Contact", path, describes)) is not None:
            problems.append(f"bot.routing_contact_fields.{index}: {path}: {problem}")
    for index, path in enumerate(bot.routing_account_fields):
        if (problem := path_problem("Account", path, describes)) is not None:
            problems.append(f"bot.routing_account_fields.{index}: {path}: {problem}")
    if not config.chat.enabled():  # with chat on, the chat checks report these already
        ident = config.chat.identification
        for index, condition in enumerate(ident.conditions):
            if (problem := path_problem("Contact", condition.salesforce, describes)) is not None:
                problems.append(f"chat.identification.conditions.{index}.salesforce (used by the routing "
                                f"lookup): {problem}")
        for index, condition in enumerate(ident.account_conditions):
            if (problem := path_problem("Account", condition.salesforce, describes)) is not None:
                problems.append(f"chat.identification.account_conditions.{index}.salesforce (used by the "
                                f"routing lookup): {problem}")
    return problems


def walk(check: Callable[[Describes], list[str]], describes: Describes) -> tuple[list[str], str | None]:
    """(problems, None) when every describe was there, else ([], the object to describe next)."""
    try:
        return check(describes), None
    except Need as need:
        return [], need.sobject


async def bot_problems(config: "SyncdConfig", fetch: Callable[[str], Awaitable[dict | None]]) -> list[str]:
    """What ``check-config`` adds for ``[bot]``: describes (``fetch``: None for no such object) only the
    objects the routing paths cross."""
    describes: Describes = {}
    while True:
        problems, needed = walk(lambda d: routing_problems(config, d), describes)
        if needed is None:
            return problems
        describes[needed] = await fetch(needed)
