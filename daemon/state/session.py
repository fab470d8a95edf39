"""One Salesforce session for every instance on a shared (PostgreSQL) store.

Without this, N instances log in N times at start and refresh N times when the session expires. With it,
a login or refresh happens under a cluster-wide advisory lock: the instance that takes the lock first
logs in and stores the token (``shared_session``); the others, waiting for the lock, find a token newer
than the one that failed them and use it without asking Salesforce. A token that Salesforce rejects
again (revoked) is not reused: the instance that saw it fail logs in for real. An operator's connect
(``force``) always logs in. A disconnect (S2) stored by one instance stops the others at their next
login instead of letting them log in again. The token is a credential: this module never logs it."""

from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger("syncd.session")

SESSION_LOCK = 0x5359_4E53  # "SYNS"
LOCK_POLL_SECONDS = 0.05


def share_session(client, state) -> None:
    """Route ``client``'s logins through the shared session row when ``state`` is shared; else nothing."""
    if not getattr(state, "shared", False):
        return
    login = client.authenticate
    pool = state.conn.pool
    used: dict[str, str | None] = {"token": None}  # the shared token this instance last took or stored

    async def authenticate(force: bool = False) -> None:
        if not force and _disconnected_elsewhere(client, state):
            raise client._disconnected_error()  # S2: another instance disconnected the cluster
        with pool.connection() as conn:
            with conn.transaction():
                while not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (SESSION_LOCK,)).fetchone()[0]:
                    await asyncio.sleep(LOCK_POLL_SECONDS)  # another instance is logging in: wait for it
                row = conn.execute("SELECT token, instance_url FROM shared_session WHERE id = 1").fetchone()
                if row is not None and not force and row[0] != used["token"] and client.connected:
                    client.token, used["token"] = row[0], row[0]
                    client.instance_url = (row[1] or client.instance_url or client.login_url).rstrip("/")
                    log.info("using the session another instance opened")
                    return
                await login(force)
                used["token"] = client.token
                conn.execute("INSERT INTO shared_session(id, token, instance_url, saved_at, saved_by) "
                             "VALUES (1, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET token = excluded.token, "
                             "instance_url = excluded.instance_url, saved_at = excluded.saved_at, "
                             "saved_by = excluded.saved_by",
                             (client.token, client.instance_url, time.time(), state.owner))

    client.authenticate = authenticate


def _disconnected_elsewhere(client, state) -> bool:
    """S2 across instances: an operator's disconnect on one instance revoked the tokens and stored the
    state; another instance notices when it next needs a session (its old one is refused) and stays
    disconnected too instead of logging in again."""
    from ..salesforce.connection import FACT, ConnectionState

    stored = ConnectionState.from_fact(state.fact(FACT))
    if stored.connected or not client.connected:
        return False
    client.restore(stored)
    log.warning("Salesforce was disconnected by another instance: no Salesforce traffic until `syncd connect`",
                extra={"reason": stored.reason})
    return True


def forget(state) -> None:
    """Drop the shared token (a disconnect: no instance may keep using it)."""
    if getattr(state, "shared", False):
        state.conn.execute("DELETE FROM shared_session")
