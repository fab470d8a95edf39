"""pytest plugin: a ``fakeforce`` fixture that hands out a ready org and clients.

The server starts once per test session (``fakeforce_server``, plain HTTP; ``fakeforce_tls_server``
for HTTPS clients such as simple-salesforce); each test gets it reset to a fresh org.

    def test_contact(fakeforce):
        api = fakeforce.client()
        r = api.post("/sobjects/Contact", json={"LastName": "Doe"})
        assert r.status_code == 201
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any, Iterator

import httpx
import pytest

from . import LATEST_API_VERSION
from .instance import Fakeforce
from .seed import load_seed
from .server import FakeforceServer
from .settings import OrgSettings

CONTROL_TOKEN = "fakeforce-tests"


@dataclass
class FakeforceHandle:
    """A running, freshly reset org with helpers to reach it."""

    server: FakeforceServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def instance(self) -> Fakeforce:
        return self.server.fakeforce

    @property
    def org(self):
        return self.instance.org

    @property
    def settings(self) -> OrgSettings:
        return self.instance.settings

    @property
    def username(self) -> str:
        return self.settings.username

    @property
    def password(self) -> str:
        return self.settings.password

    @property
    def client_id(self) -> str:
        return self.settings.apps[0].client_id

    @property
    def client_secret(self) -> str:
        return self.settings.apps[0].client_secret

    @property
    def ca_bundle(self) -> str | None:
        certs = self.server.certificates
        return str(certs.ca_bundle) if certs else None

    def verify(self) -> ssl.SSLContext | bool:
        """What httpx needs to trust this server: its CA for --tls, else the default."""
        return ssl.create_default_context(cafile=self.ca_bundle) if self.ca_bundle else True

    def token(self, username: str | None = None) -> str:
        """An access token for the admin (or another user), issued directly."""
        user_id = self.org.user_by_username(username) if username else self.org.admin_user_id
        return self.instance.sessions.issue(user_id, self.client_id).token

    def client(self, version: str = LATEST_API_VERSION, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client whose base URL is ``/services/data/vXX.X``, authenticated."""
        headers = {"Authorization": f"Bearer {token or self.token()}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=f"{self.url}/services/data/v{version}", headers=headers,
                            verify=self.verify(), **kwargs)

    def http(self, **kwargs: Any) -> httpx.Client:
        """A client for the whole server, unauthenticated."""
        return httpx.Client(base_url=self.url, verify=self.verify(), timeout=30, **kwargs)

    def control(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.settings.control_token or CONTROL_TOKEN}"}
        return httpx.Client(base_url=f"{self.url}/_fakeforce", headers=headers, verify=self.verify(), timeout=30)

    def seed(self, data: dict) -> dict[str, str]:
        return load_seed(self.org, data)

    def requests(self, path: str | None = None, method: str | None = None, status: str | int | None = None,
                 limit: int = 10_000) -> list[dict]:
        """The request journal, newest first: what the code under test sent and what it was answered, so a
        test can assert ``len(fakeforce.requests(path="/services/data/v60.0/composite")) == 1``. ``path`` is a
        prefix (or a substring when it starts with ``*``); ``status`` a code, a class such as ``"4xx"``, or
        ``"dropped"``. Cleared by each test's reset."""
        from fakeforce.requestlog import Filter, parse_status

        wanted = Filter(path=path, method=method, status=parse_status(str(status)) if status is not None else None,
                        limit=limit)
        return [e.as_json() for e in self.instance.requests.find(wanted)]


def _settings() -> OrgSettings:
    return OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN)


@pytest.fixture(scope="session")
def fakeforce_server() -> Iterator[FakeforceServer]:
    with FakeforceServer(settings=_settings()) as server:
        yield server


@pytest.fixture(scope="session")
def fakeforce_tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeforceServer]:
    with FakeforceServer(settings=_settings(), tls=True, cert_dir=tmp_path_factory.mktemp("tls")) as server:
        yield server


@pytest.fixture
def fakeforce(fakeforce_server: FakeforceServer) -> FakeforceHandle:
    fakeforce_server.fakeforce.reset()
    return FakeforceHandle(fakeforce_server)


@pytest.fixture
def fakeforce_tls(fakeforce_tls_server: FakeforceServer) -> FakeforceHandle:
    fakeforce_tls_server.fakeforce.reset()
    return FakeforceHandle(fakeforce_tls_server)
