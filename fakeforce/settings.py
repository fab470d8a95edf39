"""What makes one fakeforce org differ from another: names, credentials, the connected app, timings."""

from __future__ import annotations

from dataclasses import dataclass, field


UNLIMITED_API_REQUESTS = 2**31 - 1
"""``daily_api_limit`` for an org whose API requests never run out (benchmarks, long-lived sandboxes).

Real orgs always have a limit; this one is simply too large to reach (2,147,483,647, the largest value an
Integer field holds), so /limits and the Sforce-Limit-Info header stay well formed. A limit of 0 is a
real limit of zero: every API request is refused with REQUEST_LIMIT_EXCEEDED."""


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
    """API requests per 24 hours, as a Developer Edition org; :data:`UNLIMITED_API_REQUESTS` for no limit."""
    max_long_requests: int = 25
    """Requests running longer than ``long_request_seconds`` at once before new ones get REQUEST_LIMIT_EXCEEDED."""
    long_request_seconds: float = 20.0
    control_token: str | None = None
    """Bearer token the control surface requires. A server that is not a loopback test server generates
    one when none is given (see :class:`fakeforce.server.FakeforceServer`)."""
    control_enabled: bool = False
    max_body_bytes: int = 50 * 1024 * 1024
    """Largest request body on REST, OAuth and SOAP routes; larger ones answer 413 before being read."""
    bulk_upload_max_bytes: int = 150 * 1024 * 1024 * 3 // 4
    """Largest Bulk API 2.0 ingest upload per job: Salesforce allows 150 MB after base64 encoding, i.e.
    about 112 MB of raw CSV (Salesforce suggests keeping uploads to 100 MB)."""
    control_max_body_bytes: int = 10 * 1024 * 1024
    """Largest body on the control surface (seeds, faults, clock)."""
    request_log_size: int = 1000
    """How many requests the request journal keeps (a ring: the oldest go first); 0 keeps none."""
    request_log_body_bytes: int = 4096
    """How much of each request and response body the journal keeps, after secrets are masked."""

    def app(self, client_id: str | None) -> ConnectedApp | None:
        for app in self.apps:
            if app.client_id == client_id:
                return app
        return None
