"""syncd's Salesforce client against fakeforce: every OAuth flow, refresh on an expired session, errors."""

import asyncio

import pytest

from certs import jwt_certificate
from daemon.config import SalesforceConfig
from daemon.salesforce.client import SalesforceClient
from daemon.salesforce.errors import SalesforceApiError


def run(coro):
    return asyncio.run(coro)


async def roundtrip(client: SalesforceClient) -> int:
    try:
        await client.ensure_session()
        body = await client.request("GET", "/sobjects/Contact/describe")
        return len(body["fields"])
    finally:
        await client.close()


def test_password_flow(fakeforce):
    config = SalesforceConfig(login_url=fakeforce.url, client_id="fakeforce", client_secret="fakeforce",
                              username=fakeforce.username, password=fakeforce.password)
    assert run(roundtrip(SalesforceClient(config))) > 10


def test_client_credentials_flow(fakeforce):
    config = SalesforceConfig(auth="client_credentials", instance_url=fakeforce.url, client_id="fakeforce",
                              client_secret="fakeforce")
    assert run(roundtrip(SalesforceClient(config))) > 10


def test_jwt_flow(fakeforce, tmp_path):
    cert, key = jwt_certificate("syncd")
    key_file = tmp_path / "jwt.key"
    key_file.write_bytes(key)
    app = fakeforce.settings.apps[0]
    app.certificate_pem = cert
    try:
        config = SalesforceConfig(auth="jwt", login_url=fakeforce.url, client_id="fakeforce",
                                  username=fakeforce.username, private_key_file=str(key_file))
        assert run(roundtrip(SalesforceClient(config))) > 10
    finally:
        app.certificate_pem = None


def test_refresh_token_flow_and_session_refresh(fakeforce, tmp_path):
    refresh = fakeforce.instance.sessions.issue_refresh_token(fakeforce.org.admin_user_id, "fakeforce")
    token_file = tmp_path / "refresh_token"
    token_file.write_text(refresh + "\n")
    config = SalesforceConfig(auth="refresh_token", login_url=fakeforce.url, client_id="fakeforce",
                              refresh_token_file=str(token_file))

    async def scenario() -> tuple[str, str]:
        client = SalesforceClient(config)
        try:
            await client.ensure_session()
            first = client.token
            fakeforce.instance.sessions.expire_all()
            await client.request("GET", "/limits")  # 401, then a new session, then the request again
            return first, client.token
        finally:
            await client.close()

    first, second = run(scenario())
    assert first != second and second is not None
    # The first try was refused before counting; the repeat after the new login succeeded.
    assert client_usage_counts(fakeforce)["GET /services/data/v{version}/limits"] == 1


def client_usage_counts(fakeforce) -> dict:
    return dict(fakeforce.instance.usage.routes)


def test_errors_are_typed(fakeforce):
    config = SalesforceConfig(login_url=fakeforce.url, client_id="fakeforce", client_secret="fakeforce",
                              username=fakeforce.username, password="wrong")
    with pytest.raises(SalesforceApiError) as info:
        run(roundtrip(SalesforceClient(config)))
    assert info.value.code == "invalid_grant" and not info.value.retryable
    config = SalesforceConfig(login_url="http://127.0.0.1:9", client_id="x", client_secret="y", username="u",
                              password="p")
    with pytest.raises(SalesforceApiError) as info:
        run(roundtrip(SalesforceClient(config)))
    assert info.value.code == "CONNECTION_ERROR" and info.value.retryable
