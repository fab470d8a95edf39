"""An async Salesforce REST client on httpx: logs in by the configured OAuth flow, refreshes the session on
INVALID_SESSION_ID and repeats the request (once), and reads API usage from Sforce-Limit-Info.

It also holds the connection state (S2): after :meth:`disconnect` (or a refresh token Salesforce refuses)
every :meth:`request` fails at once with ``DISCONNECTED`` and nothing goes over the network until
:meth:`connect` logs in again."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import httpx

from ..config import SalesforceConfig
from .connection import NO_REFRESH_TOKEN, OPERATOR, REFRESH_TOKEN_REFUSED, ConnectionState, fingerprint
from .errors import SalesforceApiError

USAGE_RE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceClient:
    def __init__(self, config: SalesforceConfig, *, login_url: str | None = None,
                 on_call: Callable[[str, float, int, str | None], None] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self.login_url = (login_url or config.login_url).rstrip("/")
        self.instance_url: str | None = config.instance_url.rstrip("/") if config.instance_url else None
        self.token: str | None = None
        self.usage: tuple[int, int] | None = None
        self.on_call = on_call
        self.connection = ConnectionState()
        self.on_connection_change: Callable[[ConnectionState], None] | None = None
        """Called with the new state whenever it changes (the runtime stores it in the state database)."""
        self.clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        self._auth_lock = asyncio.Lock()
        self._http = httpx.AsyncClient(timeout=config.timeout_seconds, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    @property
    def authenticated(self) -> bool:
        return self.token is not None

    @property
    def uses_refresh_token(self) -> bool:
        return self.config.auth == "refresh_token" and not self.config.embedded

    @property
    def connected(self) -> bool:
        """False after a disconnect (S2): the sender waits and every request fails without traffic."""
        return self.connection.connected

    # -- connection state (S2) ---------------------------------------------------------------------
    def _set_state(self, state: ConnectionState) -> None:
        self.connection = state
        if self.on_connection_change is not None:
            self.on_connection_change(state)

    def _disconnected_error(self) -> SalesforceApiError:
        return SalesforceApiError(0, [{"errorCode": "DISCONNECTED", "message": "syncd is disconnected from "
                                       f"Salesforce ({self.connection.reason}); run `syncd connect`"}])

    def mark_disconnected(self, reason: str, cause: str, dead_refresh_token: str | None = None) -> None:
        """Stop all traffic now and remember why; an earlier disconnection keeps its ``since``."""
        self.token = None
        since = self.connection.since if not self.connection.connected else None
        self._set_state(ConnectionState(False, since or self.clock().isoformat(), reason, cause,
                                        dead_refresh_token or self.connection.dead_refresh_token))

    def restore(self, state: ConnectionState) -> None:
        """The state read from the state database at start (no callback: it is stored already)."""
        self.connection = state
        if not state.connected:
            self.token = None

    async def disconnect(self, reason: str = "disconnected by operator") -> list[dict[str, str]]:
        """S2: block every request at once, then revoke the session and the refresh token at Salesforce.

        Returns what became of each token (``revoked``, ``already invalid`` or ``failed: ...``). The local
        state is disconnected whatever Salesforce answers: the operator asked for no more traffic."""
        if not self.connected:
            return []
        tokens = [self.token]
        self.mark_disconnected(reason, OPERATOR)  # forgets the session: from here on no request goes out
        outcomes: list[dict[str, str]] = []
        async with self._auth_lock:  # a login in flight finishes first; its token is revoked below
            if self.connected:  # a connect finished meanwhile: the later request (this one) wins
                self.mark_disconnected(reason, OPERATOR)
            tokens.append(self.token)
            self.token = None
            for token in dict.fromkeys(t for t in tokens if t):
                outcomes.append({"token": "access token", "result": await self._revoke(token)})
            refresh = self.stored_refresh_token() if self.uses_refresh_token else None
            if refresh:
                result = await self._revoke(refresh)
                outcomes.append({"token": "refresh token", "result": result})
                if result in ("revoked", "already invalid"):
                    self.mark_disconnected(reason, OPERATOR, fingerprint(refresh))
        return outcomes

    async def connect(self) -> None:
        """S1 on the operator's request: log in anew by the configured flow, then allow traffic again.

        On failure the state stays as it was (a refused refresh token updates the reason) and the error
        is raised."""
        async with self._auth_lock:
            await self.authenticate(force=True)
            self.mark_connected()

    def mark_connected(self, reason: str = "connected by operator") -> None:
        self._set_state(ConnectionState(True, self.clock().isoformat(), reason, OPERATOR))

    async def _revoke(self, token: str) -> str:
        url = f"{self.instance_url or self.login_url}/services/oauth2/revoke"
        try:
            response = await self._http.post(url, data={"token": token})
        except httpx.HTTPError as exc:
            return f"failed: {type(exc).__name__}"
        if response.status_code == 200:
            return "revoked"
        if response.status_code == 400:  # invalid_token: it no longer works anyway
            return "already invalid"
        return f"failed: HTTP {response.status_code}"

    def stored_refresh_token(self) -> str | None:
        path = Path(self.config.refresh_token_file or "")
        if not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    # -- login -----------------------------------------------------------------------------------
    def _login_request(self) -> tuple[str, dict[str, str], dict[str, str]]:
        c = self.config
        if c.auth == "password" or c.embedded:
            form = {"grant_type": "password", "client_id": c.client_id or "fakeforce",
                    "client_secret": c.client_secret or "fakeforce",
                    "username": c.username or "admin@fakeforce.local", "password": c.password or "fakeforce"}
            return f"{self.login_url}/services/oauth2/token", form, {}
        if c.auth == "client_credentials":
            basic = base64.b64encode(f"{c.client_id}:{c.client_secret}".encode()).decode()
            return (f"{self.instance_url}/services/oauth2/token", {"grant_type": "client_credentials"},
                    {"Authorization": f"Basic {basic}"})
        if c.auth == "jwt":
            import jwt

            try:
                key = Path(c.private_key_file or "").read_text(encoding="utf-8")
            except OSError as exc:
                raise SalesforceApiError(401, [{"errorCode": "PRIVATE_KEY_UNREADABLE", "message": f"the JWT "
                                                f"private key file cannot be read ({type(exc).__name__})"}]) from None
            assertion = jwt.encode({"iss": c.client_id, "sub": c.username, "aud": self.login_url,
                                    "exp": int(time.time()) + 180}, key, algorithm="RS256")
            form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
            return f"{self.login_url}/services/oauth2/token", form, {}
        refresh = self.stored_refresh_token()
        if refresh is None:
            self.mark_disconnected(f"no refresh token in {c.refresh_token_file}: run `syncd connect`",
                                   NO_REFRESH_TOKEN)
            raise self._disconnected_error()
        form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": c.client_id or ""}
        if c.client_secret:
            form["client_secret"] = c.client_secret
        return f"{self.login_url}/services/oauth2/token", form, {}

    async def authenticate(self, force: bool = False) -> None:
        """Get a session by the configured flow (S1). Never logs a secret or a token.

        Only ``force`` (an operator's connect) logs in while disconnected. Salesforce refusing a refresh
        token (``invalid_grant``) disconnects, since no retry can succeed until a new one exists."""
        if not (force or self.connected):
            raise self._disconnected_error()
        url, form, headers = self._login_request()
        try:
            response = await self._http.post(url, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise SalesforceApiError.network("CONNECTION_ERROR", f"login: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {"error": "invalid_response"}
        if response.status_code != 200 or "access_token" not in body:
            status = response.status_code if response.status_code != 200 else 401
            if self.uses_refresh_token and body.get("error") == "invalid_grant":
                self.mark_disconnected(f"Salesforce refused the refresh token (invalid_grant: "
                                       f"{body.get('error_description', '')}): revoked in the org or expired; "
                                       "run `syncd connect --browser`", REFRESH_TOKEN_REFUSED,
                                       fingerprint(form["refresh_token"]))
                if not force:  # to the sender and the care calls this is a disconnect, not their request's fault
                    raise self._disconnected_error()
            raise SalesforceApiError(status, [body or {"error": f"HTTP_{response.status_code}"}], login=True)
        self.token = body["access_token"]
        self.instance_url = body.get("instance_url", self.instance_url or self.login_url).rstrip("/")

    async def ensure_session(self) -> None:
        if not self.connected:
            raise self._disconnected_error()
        async with self._auth_lock:
            if self.token is None:
                await self.authenticate()

    async def _refresh(self, stale: str | None) -> None:
        async with self._auth_lock:
            if not self.connected:
                raise self._disconnected_error()
            if self.token == stale:  # nobody refreshed it meanwhile
                self.token = None
                await self.authenticate()

    # -- requests ----------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        if path.startswith("/services/"):
            return f"{self.instance_url}{path}"
        return f"{self.instance_url}/services/data/v{self.config.api_version}{path}"

    async def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None) -> Any:
        """The JSON answer of one REST call; SalesforceApiError for anything else (network errors included).

        While disconnected: ``SalesforceApiError(0, DISCONNECTED)`` at once, without any traffic."""
        await self.ensure_session()
        for attempt in (1, 2):
            token = self.token
            if not self.connected or token is None:  # disconnected while waiting for the session
                raise self._disconnected_error()
            started = time.monotonic()
            try:
                response = await self._http.request(method, self.url(path), json=json, params=params,
                                                    headers={"Authorization": f"Bearer {token}"})
            except httpx.TimeoutException as exc:
                self._record(path, started, 0, "TIMEOUT")
                raise SalesforceApiError.network("TIMEOUT", type(exc).__name__) from None
            except httpx.HTTPError as exc:
                self._record(path, started, 0, "CONNECTION_ERROR")
                raise SalesforceApiError.network("CONNECTION_ERROR", type(exc).__name__) from None
            self._read_usage(response)
            body = _json(response)
            if response.status_code < 300:
                self._record(path, started, response.status_code, None)
                return body
            error = SalesforceApiError(response.status_code, body if isinstance(body, list) else [
                body if isinstance(body, dict) else {"message": response.text[:200]}])
            self._record(path, started, response.status_code, error.code)
            if response.status_code == 401 and attempt == 1:
                await self._refresh(token)  # expired session: log in again and repeat the request once
                continue
            raise error
        raise AssertionError("unreachable")

    def _record(self, path: str, started: float, status: int, code: str | None) -> None:
        if self.on_call is not None:
            self.on_call(path, time.monotonic() - started, status, code)

    def _read_usage(self, response: httpx.Response) -> None:
        match = USAGE_RE.search(response.headers.get("sforce-limit-info", ""))
        if match:
            self.usage = (int(match.group(1)), int(match.group(2)))

    # -- the calls syncd makes ---------------------------------------------------------------------
    async def describe(self, sobject: str) -> dict:
        return await self.request("GET", f"/sobjects/{sobject}/describe")

    async def query(self, soql: str) -> list[dict]:
        body = await self.request("GET", "/query", params={"q": soql})
        records = list(body["records"])
        while not body.get("done", True):
            body = await self.request("GET", body["nextRecordsUrl"])
            records.extend(body["records"])
        return records

    async def composite(self, subrequests: list[dict], all_or_none: bool = False) -> list[dict]:
        body = await self.request("POST", "/composite", json={"allOrNone": all_or_none,
                                                              "compositeRequest": subrequests})
        return body["compositeResponse"]


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return {"message": response.text[:200]}
