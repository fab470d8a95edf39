"""simple-salesforce (the real client library) against fakeforce over HTTPS.

Every test uses simple-salesforce the way an application would; writes are cross-checked on the
server side through ``fakeforce_tls.org.store``. simple-salesforce always builds ``https://`` URLs
and (apart from ``SalesforceLogin(scratch_url=...)``) always ``https://{domain}.salesforce.com`` for
logins, so the OAuth/JWT logins use the ``domain`` trick: ``domain="127.0.0.1:PORT/services/oauth2/token?x="``
makes the URL ``https://127.0.0.1:PORT/services/oauth2/token?x=.salesforce.com/services/oauth2/token``.

SOQL (/query) and composite are not served by fakeforce yet, so nothing here uses them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import jwt
import pytest
import requests
import simple_salesforce
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import (SalesforceAuthenticationFailed, SalesforceExpiredSession,
                                          SalesforceMalformedRequest, SalesforceMoreThanOneRecord,
                                          SalesforceResourceNotFound)

pytestmark = pytest.mark.clients

VERSION = simple_salesforce.api.DEFAULT_API_VERSION  # what simple-salesforce asks for unless told otherwise


# -- helpers -------------------------------------------------------------------------------------------

@pytest.fixture
def ff(fakeforce_tls):
    return fakeforce_tls


@pytest.fixture
def sess(ff):
    """A requests session that trusts fakeforce's CA.

    ``trust_env = False``: with REQUESTS_CA_BUNDLE set in the environment, requests lets the
    environment win over ``Session.verify`` (psf/requests#3829), and proxies from the environment
    must not intercept 127.0.0.1.
    """
    s = requests.Session()
    s.verify = ff.ca_bundle
    s.trust_env = False
    yield s
    s.close()


def host_port(ff) -> str:
    return urlparse(ff.url).netloc  # 127.0.0.1:PORT


def token_domain(ff) -> str:
    """A ``domain`` that turns simple-salesforce's ``https://{domain}.salesforce.com/services/oauth2/token``
    into fakeforce's token endpoint (the rest lands in an ignored query parameter)."""
    return f"{host_port(ff)}/services/oauth2/token?x="


def soap_domain(ff) -> str:
    return f"{host_port(ff)}/services/Soap/u/{VERSION}?x="


@pytest.fixture
def sf(ff, sess):
    """A Salesforce instance on a session from the OAuth password grant (posted by hand)."""
    r = sess.post(f"{ff.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": ff.client_id, "client_secret": ff.client_secret,
        "username": ff.username, "password": ff.password})
    assert r.status_code == 200, r.text
    body = r.json()
    return Salesforce(instance_url=body["instance_url"], session_id=body["access_token"], session=sess)


def stored(ff, sobject: str, record_id: str) -> dict:
    rec = ff.org.store.get(sobject, record_id)
    assert rec is not None, f"{sobject} {record_id} is not in fakeforce's store"
    return rec


def self_signed_certificate() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "simple-salesforce-jwt")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def assert_session_works(ff, sf: Salesforce) -> None:
    """A describeGlobal through simple-salesforce, and the token is a live session on the server."""
    result = sf.describe()
    assert "Contact" in {o["name"] for o in result["sobjects"]}
    session = ff.instance.sessions.validate(sf.session_id)
    assert session is not None
    assert session.user_id == ff.org.admin_user_id


# -- 1. SOAP login -------------------------------------------------------------------------------------

def test_soap_login_with_scratch_url(ff, sess):
    session_id, instance = SalesforceLogin(username=ff.username, password=ff.password, scratch_url=ff.url,
                                           session=sess)
    assert instance == host_port(ff)  # serverUrl's host:port, "-api" stripped
    assert session_id.startswith(ff.org.org_id[:15] + "!")

    sf = Salesforce(session_id=session_id, instance=instance, session=sess)
    assert sf.base_url == f"{ff.url}/services/data/v{VERSION}/"
    assert_session_works(ff, sf)
    new_id = sf.Contact.create({"LastName": "Soap"})["id"]
    assert stored(ff, "Contact", new_id)["LastName"] == "Soap"
    assert stored(ff, "Contact", new_id)["CreatedById"] == ff.org.admin_user_id


def test_soap_login_escapes_xml_in_credentials(ff, sess):
    """simple-salesforce html-escapes username and password into the envelope; the server must unescape them."""
    password = "p&ss<w>rd\"'x"
    with ff.org.store.transaction():
        user_id = ff.org.add_user({"Username": "o'neil@fakeforce.local", "LastName": "O'Neil"}, password)
    session_id, _ = SalesforceLogin(username="o'neil@fakeforce.local", password=password, scratch_url=ff.url,
                                    session=sess)
    assert ff.instance.sessions.validate(session_id).user_id == user_id


def test_soap_login_through_domain_and_session_refresh(ff, sess):
    """Salesforce(username, password, security_token) logs in over SOAP; when the session dies, the next
    call gets 401 INVALID_SESSION_ID and simple-salesforce logs in again and retries."""
    sf = Salesforce(username=ff.username, password=ff.password, security_token="", domain=soap_domain(ff),
                    session=sess)
    assert sf.sf_instance == host_port(ff)
    first = sf.session_id
    assert ff.instance.sessions.validate(first) is not None

    contact_id = sf.Contact.create({"LastName": "Before"})["id"]
    assert ff.instance.sessions.revoke(first)
    record = sf.Contact.get(contact_id)  # 401 -> re-login -> retry
    assert record["LastName"] == "Before"
    assert sf.session_id != first
    assert ff.instance.sessions.validate(sf.session_id) is not None


# -- 2. OAuth sessions ---------------------------------------------------------------------------------

def test_session_from_hand_made_password_grant(ff, sf):
    assert sf.sf_instance == host_port(ff)
    assert sf.auth_type == "direct"
    assert_session_works(ff, sf)


def test_oauth_password_flow_through_simple_salesforce(ff, sess):
    sf = Salesforce(username=ff.username, password=ff.password, consumer_key=ff.client_id,
                    consumer_secret=ff.client_secret, domain=token_domain(ff), session=sess)
    assert sf.sf_instance == host_port(ff)
    assert ff.instance.sessions.validate(sf.session_id).client_id == ff.client_id
    assert_session_works(ff, sf)


def test_oauth_password_flow_wrong_password(ff, sess):
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        SalesforceLogin(username=ff.username, password="wrong", consumer_key=ff.client_id,
                        consumer_secret=ff.client_secret, domain=token_domain(ff), session=sess)
    assert info.value.code == "invalid_grant"
    assert info.value.auth_message == "authentication failure"


def test_client_credentials_flow(ff, sess):
    sf = Salesforce(consumer_key=ff.client_id, consumer_secret=ff.client_secret, domain=token_domain(ff),
                    session=sess)
    assert sf.auth_type == "client-credentials"
    assert sf.sf_instance == host_port(ff)
    assert_session_works(ff, sf)


def test_client_credentials_wrong_secret(ff, sess):
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        Salesforce(consumer_key=ff.client_id, consumer_secret="nope", domain=token_domain(ff), session=sess)
    assert info.value.code == "invalid_client"
    assert info.value.auth_message == "invalid client credentials"


@pytest.fixture
def jwt_app(ff):
    """The connected app trusts a freshly made certificate; its key signs simple-salesforce's assertion."""
    app = ff.settings.apps[0]
    cert, key = self_signed_certificate()
    saved = app.certificate_pem
    app.certificate_pem = cert
    yield key
    app.certificate_pem = saved


def test_jwt_bearer_flow(ff, sess, jwt_app):
    """domain stays 'login' (so aud = https://login.salesforce.com); instance_url carries the token URL.

    simple-salesforce sends ``exp`` as a *string* of digits (login.py: ``'exp': f'{expiration.timestamp():.0f}'``),
    and this flow works against real orgs, so the server must accept a numeric-string exp."""
    sf = Salesforce(username=ff.username, consumer_key=ff.client_id, privatekey=jwt_app,
                    instance_url=token_domain(ff), session=sess)
    assert sf.auth_type == "jwt-bearer"
    assert sf.sf_instance == host_port(ff)
    assert_session_works(ff, sf)


def test_jwt_bearer_assertion_shape_is_what_simple_salesforce_sends(ff, sess, jwt_app):
    """Pin down the assertion simple-salesforce builds (whatever the server answers), so that a failure of
    test_jwt_bearer_flow can be traced to the claims: exp is a digit string and is in the future."""
    seen = {}

    def hook(response, *args, **kwargs):
        body = response.request.body
        form = dict(x.split("=", 1) for x in (body if isinstance(body, str) else body.decode()).split("&"))
        seen["claims"] = jwt.decode(form["assertion"], options={"verify_signature": False})

    sess.hooks["response"].append(hook)
    try:
        Salesforce(username=ff.username, consumer_key=ff.client_id, privatekey=jwt_app,
                   instance_url=token_domain(ff), session=sess)
    except SalesforceAuthenticationFailed:
        pass
    claims = seen["claims"]
    assert claims["iss"] == ff.client_id and claims["sub"] == ff.username
    assert claims["aud"] == "https://login.salesforce.com"
    assert isinstance(claims["exp"], str) and claims["exp"].isdigit()  # a string, not a JSON number
    assert 0 < int(claims["exp"]) - datetime.now(timezone.utc).timestamp() <= 181  # three minutes ahead, rounded


# -- 3. CRUD -------------------------------------------------------------------------------------------

def test_contact_create_get_update_delete(ff, sf):
    created = sf.Contact.create({"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com"})
    assert created["success"] is True and created["errors"] == []
    contact_id = created["id"]
    assert len(contact_id) == 18 and contact_id.startswith("003")
    rec = stored(ff, "Contact", contact_id)
    assert (rec["FirstName"], rec["LastName"], rec["Email"]) == ("Ada", "Lovelace", "ada@example.com")

    got = sf.Contact.get(contact_id)
    assert got["Id"] == contact_id
    assert got["attributes"] == {"type": "Contact", "url": f"/services/data/v{VERSION}/sobjects/Contact/{contact_id}"}
    assert got["LastName"] == "Lovelace" and got["Name"] == "Ada Lovelace"
    assert got["OwnerId"] == ff.org.admin_user_id

    some = sf.Contact.get(contact_id, params={"fields": "LastName,Email"})
    assert set(some) == {"attributes", "LastName", "Email", "Id"} or set(some) == {"attributes", "LastName", "Email"}
    assert some["Email"] == "ada@example.com"

    assert sf.Contact.update(contact_id, {"LastName": "King", "Title": "Countess"}) == 204
    rec = stored(ff, "Contact", contact_id)
    assert (rec["LastName"], rec["Title"], rec["FirstName"]) == ("King", "Countess", "Ada")
    assert sf.Contact.get(contact_id)["Name"] == "Ada King"

    response = sf.Contact.update(contact_id, {"Phone": "555-0100"}, raw_response=True)
    assert response.status_code == 204 and response.content == b""

    assert sf.Contact.delete(contact_id) == 204
    rec = ff.org.store.get("Contact", contact_id)
    assert rec is None or rec.get("IsDeleted") is True
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(contact_id)


def test_upsert_and_get_by_custom_id_on_id_field(ff, sf):
    contact_id = sf.Contact.create({"LastName": "Upsert"})["id"]

    by_id = sf.Contact.get_by_custom_id("Id", contact_id)
    assert by_id["Id"] == contact_id and by_id["LastName"] == "Upsert"

    status = sf.Contact.upsert(f"Id/{contact_id}", {"LastName": "Upserted"})
    assert status == 200  # API >= 46.0: 200 with a body, created False
    raw = sf.Contact.upsert(f"Id/{contact_id}", {"Department": "R&D"}, raw_response=True)
    assert raw.json() == {"id": contact_id, "success": True, "errors": [], "created": False}
    rec = stored(ff, "Contact", contact_id)
    assert (rec["LastName"], rec["Department"]) == ("Upserted", "R&D")


def test_get_by_custom_id_several_matches_is_300(ff, sf):
    """Contact.Email is an idLookup field: two contacts with one email make a 300 with both URLs."""
    a = sf.Contact.create({"LastName": "A", "Email": "same@example.com"})["id"]
    b = sf.Contact.create({"LastName": "B", "Email": "same@example.com"})["id"]
    with pytest.raises(SalesforceMoreThanOneRecord) as info:
        sf.Contact.get_by_custom_id("Email", "same@example.com")
    assert info.value.status == 300
    assert sorted(info.value.content) == sorted(f"/services/data/v{VERSION}/sobjects/Contact/{i}" for i in (a, b))

    one = sf.Contact.create({"LastName": "C", "Email": "only+c@example.com"})["id"]  # '+' goes out as %2B
    assert sf.Contact.get_by_custom_id("Email", "only+c@example.com")["Id"] == one


def test_upsert_on_a_field_that_is_not_an_external_id(ff, sf):
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Contact.upsert("LastName/Smith", {"FirstName": "J"})
    assert info.value.content[0]["errorCode"] == "NOT_FOUND"
    assert "LastName" in info.value.content[0]["message"]


def test_case_gets_an_auto_number(ff, sf):
    first = sf.Case.create({"Subject": "Printer on fire"})["id"]
    second = sf.Case.create({"Subject": "Printer still on fire"})["id"]
    assert first.startswith("500")
    one, two = sf.Case.get(first), sf.Case.get(second)
    assert one["CaseNumber"] and one["CaseNumber"].isdigit() and len(one["CaseNumber"]) == 8
    assert int(two["CaseNumber"]) == int(one["CaseNumber"]) + 1
    assert one["Status"] == "New"  # picklist default
    assert stored(ff, "Case", first)["CaseNumber"] == one["CaseNumber"]
    assert stored(ff, "Case", first)["Subject"] == "Printer on fire"


# -- 4. describe ---------------------------------------------------------------------------------------

def test_case_describe(ff, sf):
    d = sf.Case.describe()
    assert d["name"] == "Case" and d["keyPrefix"] == "500"
    fields = {f["name"]: f for f in d["fields"]}
    assert fields["CaseNumber"]["autoNumber"] is True
    assert fields["CaseNumber"]["createable"] is False
    assert fields["CaseNumber"]["nameField"] is True
    status = fields["Status"]
    assert status["type"] == "picklist"
    assert status["defaultValue"] == "New"
    assert {v["value"] for v in status["picklistValues"]} >= {"New", "Working", "Escalated", "Closed"}
    assert [v["value"] for v in status["picklistValues"] if v["defaultValue"]] == ["New"]
    assert fields["Id"]["type"] == "id"
    assert d["urls"]["sobject"] == f"/services/data/v{VERSION}/sobjects/Case"


def test_describe_global(ff, sf):
    d = sf.describe()
    assert d["encoding"] == "UTF-8" and d["maxBatchSize"] == 200
    names = {o["name"]: o for o in d["sobjects"]}
    assert {"Contact", "SocialPost", "Case", "Account"} <= set(names)
    assert names["Contact"]["keyPrefix"] == "003"
    assert names["Contact"]["urls"]["describe"] == f"/services/data/v{VERSION}/sobjects/Contact/describe"


def test_contact_metadata(ff, sf):
    contact_id = sf.Contact.create({"LastName": "Recent"})["id"]
    meta = sf.Contact.metadata()
    assert meta["objectDescribe"]["name"] == "Contact"
    assert meta["objectDescribe"]["keyPrefix"] == "003"
    assert any(item["Id"] == contact_id for item in meta["recentItems"])


# -- 5. errors -----------------------------------------------------------------------------------------

def test_soap_login_wrong_password(ff, sess):
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        SalesforceLogin(username=ff.username, password="wrong", scratch_url=ff.url, session=sess)
    assert info.value.code == "INVALID_LOGIN"
    assert "Invalid username, password, security token; or user locked out." in info.value.auth_message


def test_create_without_required_field(ff, sf):
    before = ff.org.store.count("Contact")
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.create({"FirstName": "NoLast"})
    assert info.value.status == 400
    content = info.value.content
    assert isinstance(content, list) and content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert content[0]["fields"] == ["LastName"]
    assert ff.org.store.count("Contact") == before


def test_get_missing_record(ff, sf):
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Contact.get("003000000000001AAA")
    assert info.value.status == 404
    assert info.value.content[0]["errorCode"] == "NOT_FOUND"

    contact_id = sf.Contact.create({"LastName": "Gone"})["id"]
    sf.Contact.delete(contact_id)
    with pytest.raises(SalesforceResourceNotFound) as info:  # in the recycle bin: a read answers 404 NOT_FOUND
        sf.Contact.get(contact_id)
    assert info.value.status == 404
    assert info.value.content[0]["errorCode"] == "NOT_FOUND"


def test_bad_session_id(ff, sess):
    sf = Salesforce(session_id=ff.org.org_id[:15] + "!bogus", instance=host_port(ff), session=sess)
    with pytest.raises(SalesforceExpiredSession) as info:
        sf.Contact.get("003000000000001AAA")
    assert info.value.status == 401
    assert info.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    with pytest.raises(SalesforceExpiredSession):
        sf.describe()


def test_api_usage_from_sforce_limit_info(ff, sf):
    sf.describe()
    usage = sf.api_usage["api-usage"]
    assert usage.total == ff.settings.daily_api_limit
    assert usage.used == ff.instance.usage.used
    contact = sf.Contact  # api_usage lives on each SFType instance
    contact.create({"LastName": "Counted"})
    assert contact.api_usage["api-usage"].used == usage.used + 1
    assert contact.api_usage["api-usage"].total == ff.settings.daily_api_limit
