"""Scenario steps for the chatbot calls (B1-B4).

``bot: {create: {object, fields}, key: k1}`` posts to ``/v1/bot/records`` (``key`` sends it as the
``Idempotency-Key``); ``find:``, ``query:`` and ``route:`` post their body to ``/v1/bot/records/find``,
``/v1/bot/query`` and ``/v1/bot/route``. ``concurrent: n`` sends n identical calls at the same moment: the
step's answer is the first, and ``bot_statuses`` (sorted), ``bot_ids`` (distinct ids answered) and
``bot_overlap`` (every call sent before any was answered) are saved as variables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from .concurrency import at_once
from .matching import Mismatch

if TYPE_CHECKING:
    from .runner import Run

STEPS = ("bot",)
PATHS = {"create": "/v1/bot/records", "find": "/v1/bot/records/find", "query": "/v1/bot/query",
         "route": "/v1/bot/route"}


def bot_step(run: "Run", value: Any) -> httpx.Response:
    if not isinstance(value, dict):
        raise Mismatch("bot: {create|find|query|route: body, key?, concurrent?}")
    actions = [a for a in PATHS if a in value]
    if len(actions) != 1:
        raise Mismatch(f"bot: exactly one of {', '.join(PATHS)}")
    action = actions[0]
    from .runner import API_TOKEN  # here: the runner imports this module

    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    if value.get("key") is not None:
        headers["Idempotency-Key"] = str(value["key"])

    def call() -> httpx.Response:
        return httpx.post(run.daemon.url + PATHS[action], json=value[action], headers=headers, timeout=60)

    count = int(value.get("concurrent", 1))
    if count <= 1:
        return call()
    answers, overlap = at_once(call, count)
    run.variables["bot_statuses"] = sorted(a.status_code for a in answers)
    run.variables["bot_ids"] = sorted({(a.json() or {}).get("id") for a in answers if a.status_code < 300})
    run.variables["bot_overlap"] = overlap
    return answers[0]

