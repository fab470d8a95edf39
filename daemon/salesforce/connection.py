"""Whether syncd may talk to Salesforce at all (S2), why not, and since when.

The state lives in the client (so every request can check it without I/O) and is mirrored into the
state database as the fact ``salesforce_connection``, so a restart keeps a disconnected syncd
disconnected until an operator runs ``syncd connect``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..state.store import State
    from .client import SalesforceClient

log = logging.getLogger("syncd.connection")

FACT = "salesforce_connection"

OPERATOR = "operator"
"""The operator ran ``syncd disconnect`` (or ``syncd connect``)."""
REFRESH_TOKEN_REFUSED = "refresh_token_refused"
"""Salesforce answered ``invalid_grant`` to the stored refresh token: revoked in the org, expired, or its
user deactivated. Retrying cannot help; a new authorization (``syncd connect --browser``) can."""
NO_REFRESH_TOKEN = "no_refresh_token"
"""``auth = "refresh_token"`` but the refresh token file does not exist (yet)."""


def fingerprint(secret: str) -> str:
    """A short, irreversible name for a token, so the state can say *which* refresh token is dead without
    keeping the token: ``syncd connect`` compares it with the file to decide whether to re-authorize."""
    return hashlib.sha256(secret.strip().encode()).hexdigest()[:16]


@dataclass
class ConnectionState:
    connected: bool = True
    since: str | None = None
    reason: str | None = None
    cause: str | None = None
    dead_refresh_token: str | None = None
    """Fingerprint of a refresh token that was revoked (by disconnect) or refused (by Salesforce)."""

    def as_fact(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_fact(cls, value: Any) -> "ConnectionState":
        """The stored fact; anything unreadable counts as connected (the pre-S2 default)."""
        if not isinstance(value, dict):
            return cls()
        known = {k: value.get(k) for k in ("since", "reason", "cause", "dead_refresh_token")}
        return cls(connected=value.get("connected") is not False,
                   **{k: v if isinstance(v, str) else None for k, v in known.items()})

    def answer(self) -> dict[str, Any]:
        """The API's camelCase view."""
        return {"connected": self.connected, "since": self.since, "reason": self.reason, "cause": self.cause}


def attach(client: "SalesforceClient", state: "State", clock: Callable[[], datetime]) -> bool:
    """At start: restore the stored connection state into the client and store every later change.

    Returns whether syncd is connected, i.e. whether it should log in now."""
    client.clock = clock
    client.restore(ConnectionState.from_fact(state.fact(FACT)))

    def store(new: ConnectionState) -> None:
        state.set_fact(FACT, new.as_fact())
        if new.connected:
            log.info("Salesforce connected: delivery resumes")
        else:
            log.warning("Salesforce disconnected: no Salesforce traffic until `syncd connect`; events are still "
                        "accepted and queued", extra={"reason": new.reason, "cause": new.cause})

    client.on_connection_change = store
    if not client.connected:
        log.warning("starting disconnected from Salesforce: run `syncd connect`",
                    extra={"reason": client.connection.reason, "since": client.connection.since})
    return client.connected
