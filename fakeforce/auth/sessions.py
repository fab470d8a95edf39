"""Access tokens, refresh tokens and authorization codes, kept in memory and persisted with the org."""

from __future__ import annotations

import secrets
import threading
from dataclasses import asdict, dataclass

from ..org import Org


@dataclass
class Session:
    token: str
    user_id: str
    client_id: str | None
    issued_at_ms: int
    expires_at: float
    kind: str = "oauth"
    refresh_token: str | None = None
    """The refresh token this access token was issued with or from: revoking that token ends this one."""


@dataclass
class AuthCode:
    code: str
    user_id: str
    client_id: str
    redirect_uri: str
    expires_at: float
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    scope: str = "api refresh_token"


class Sessions:
    """Tokens by value; expiry follows the org's clock so tests can age a session by moving the clock."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {
            t: Session(**s) for t, s in (org.store.meta("sessions", {}) or {}).items()
        }
        self._refresh: dict[str, dict] = org.store.meta("refresh_tokens", {}) or {}
        self._codes: dict[str, AuthCode] = {}

    def _now(self) -> float:
        return self.org.clock.now().timestamp()

    def _persist(self) -> None:
        live = {t: asdict(s) for t, s in self._sessions.items() if s.expires_at > self._now()}
        self._sessions = {t: Session(**s) for t, s in live.items()}
        with self.org.store.transaction():
            self.org.store.set_meta("sessions", live)
            self.org.store.set_meta("refresh_tokens", self._refresh)

    def issue(self, user_id: str, client_id: str | None, kind: str = "oauth",
              refresh_token: str | None = None) -> Session:
        now = self._now()
        token = f"{self.org.org_id[:15]}!{secrets.token_urlsafe(40)}"
        session = Session(token=token, user_id=user_id, client_id=client_id, issued_at_ms=int(now * 1000),
                          expires_at=now + self.org.settings.session_seconds, kind=kind, refresh_token=refresh_token)
        with self._lock:
            self._sessions[token] = session
            self._persist()
        return session

    def issue_refresh_token(self, user_id: str, client_id: str) -> str:
        token = "5Aep" + secrets.token_urlsafe(60)
        with self._lock:
            self._refresh[token] = {"user_id": user_id, "client_id": client_id}
            self._persist()
        return token

    def refresh_owner(self, token: str) -> dict | None:
        return self._refresh.get(token)

    def validate(self, token: str) -> Session | None:
        session = self._sessions.get(token)
        if session is None or session.expires_at <= self._now() or not self.org.user_active(session.user_id):
            return None
        return session

    def revoke(self, token: str) -> bool:
        """End one token, as ``/services/oauth2/revoke`` does: an access token alone (its refresh token keeps
        working), or a refresh token and every access token issued with or from it (other sessions of the same
        user and app, e.g. from a password login, are not touched). False when the token is unknown."""
        with self._lock:
            session = self._sessions.get(token)
            if session is not None:
                del self._sessions[token]
                self._persist()
                return session.expires_at > self._now()
            if self._refresh.pop(token, None) is None:
                return False
            self._sessions = {t: s for t, s in self._sessions.items() if s.refresh_token != token}
            self._persist()
            return True

    def expire_all(self) -> None:
        """Control surface: every access token stops working (refresh tokens keep working)."""
        with self._lock:
            self._sessions.clear()
            self._persist()

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()
            self._refresh.clear()
            self._codes.clear()

    def new_code(self, user_id: str, client_id: str, redirect_uri: str, challenge: str | None,
                 method: str | None) -> str:
        code = "aPrx" + secrets.token_urlsafe(30)
        with self._lock:
            self._codes[code] = AuthCode(code, user_id, client_id, redirect_uri, self._now() + 900, challenge, method)
        return code

    def take_code(self, code: str) -> AuthCode | None:
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or found.expires_at <= self._now():
            return None
        return found
