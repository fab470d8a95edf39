"""What makes one fakeforce org differ from another: names, credentials, the connected app, timings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ConnectedApp:
    client_id: str = "fakeforce"
    client_secret: str = "fakeforce"
    name: str = "fakeforce"
    callback_urls: list[str] = field(default_factory=lambda: ["http://localhost:1717/OauthRedirect"])
    certificate_pem: str | None = None
    """PEM certificate (or public key) whose private key signs JWT bearer assertions."""


@dataclass
class OrgSettings:
    org_name: str = "fakeforce"
    pod: str = "5g"
    username: str = "admin@fakeforce.local"
    password: str = "fakeforce"
    security_token: str = ""
    """Appended to the password in SOAP and OAuth password logins, as an org requires from untrusted IPs."""
    apps: list[ConnectedApp] = field(default_factory=lambda: [ConnectedApp()])
    session_seconds: int = 7200
    time_zone: str = "UTC"
    is_sandbox: bool = False
    daily_api_limit: int = 15000
    max_long_requests: int = 25
    """Requests running longer than ``long_request_seconds`` at once before new ones get REQUEST_LIMIT_EXCEEDED."""
    long_request_seconds: float = 20.0
    control_token: str | None = None
    control_enabled: bool = False

    def app(self, client_id: str | None) -> ConnectedApp | None:
        for app in self.apps:
            if app.client_id == client_id:
                return app
        return None
