"""An async Salesforce REST client on httpx: logs in by the configured OAuth flow, refreshes the session on
INVALID_SESSION_ID and repeats the request (once), and reads API usage from Sforce-Limit-Info."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from pathlib import Path
from typing import Any, Callable

import httpx

from ..config import SalesforceConfig
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
        self._auth_lock = asyncio.Lock()
        self._http = httpx.AsyncClient(timeout=config.timeout_seconds, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    @property
    def authenticated(self) -> bool:
        return self.token is not None

    # -- login -----------------------------------------------------------------------------------
    async def authenticate(self) -> None:
        """Get a session by the configured flow (S1). Never logs a secret or a token."""
        c = self.config
        if c.auth == "password" or c.embedded:
            form = {"grant_type": "password", "client_id": c.client_id or "fakeforce",
                    "client_secret": c.client_secret or "fakeforce",
                    "username": c.username or "admin@fakeforce.local", "password": c.password or "fakeforce"}
            url, headers = f"{self.login_url}/services/oauth2/token", {}
        elif c.auth == "client_credentials":
            form = {"grant_type": "client_credentials"}
            basic = base64.b64encode(f"{c.client_id}:{c.client_secret}".encode()).decode()
            url, headers = f"{self.instance_url}/services/oauth2/token", {"Authorization": f"Basic {basic}"}
        elif c.auth == "jwt":
            import jwt

            key = Path(c.private_key_file or "").read_text(encoding="utf-8")
            assertion = jwt.encode({"iss": c.client_id, "sub": c.username, "aud": self.login_url,
                                    "exp": int(time.time()) + 180}, key, algorithm="RS256")
            form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
            url, headers = f"{self.login_url}/services/oauth2/token", {}
        else:
            refresh = Path(c.refresh_token_file or "").read_text(encoding="utf-8").strip()
            form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": c.client_id or ""}
            if c.client_secret:
                form["client_secret"] = c.client_secret
            url, headers = f"{self.login_url}/services/oauth2/token", {}
        try:
            response = await self._http.post(url, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise SalesforceApiError.network("CONNECTION_ERROR", f"login: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            raise SalesforceApiError(response.status_code if response.status_code != 200 else 401,
                                     [body if isinstance(body, dict) else {"error": "invalid_response"}])
        self.token = body["access_token"]
        self.instance_url = body.get("instance_url", self.instance_url or self.login_url).rstrip("/")

    async def ensure_session(self) -> None:
        async with self._auth_lock:
            if self.token is None:
                await self.authenticate()

    async def _refresh(self, stale: str | None) -> None:
        async with self._auth_lock:
            if self.token == stale:  # nobody refreshed it meanwhile
                self.token = None
                await self.authenticate()

    # -- requests ----------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        if path.startswith("/services/"):
            return f"{self.instance_url}{path}"
        return f"{self.instance_url}/services/data/v{self.config.api_version}{path}"

    async def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None) -> Any:
        """The JSON answer of one REST call; SalesforceApiError for anything else (network errors included)."""
        await self.ensure_session()
        for attempt in (1, 2):
            token = self.token
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
