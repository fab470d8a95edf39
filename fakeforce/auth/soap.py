"""The partner SOAP ``login`` and ``logout`` calls, shaped for what simple-salesforce and jsforce parse."""

from __future__ import annotations

from xml.sax.saxutils import escape

from defusedxml import ElementTree

from ..org import Org

_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


class SoapRequestError(ValueError):
    """A body that is not a SOAP envelope with a call we know."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_call(body: bytes) -> tuple[str, dict[str, str]]:
    """(operation, its child values) from a SOAP envelope, namespace-aware, whatever the prefixes."""
    try:
        root = ElementTree.fromstring(body)
    except Exception as exc:  # defusedxml raises several types; all mean "not acceptable XML"
        raise SoapRequestError(f"malformed XML: {exc}") from None
    body_el = next((el for el in root if _local(el.tag) == "Body"), None)
    if _local(root.tag) != "Envelope" or body_el is None or len(body_el) == 0:
        raise SoapRequestError("not a SOAP envelope")
    call = body_el[0]
    values = {_local(child.tag): (child.text or "") for child in call}
    header = next((el for el in root if _local(el.tag) == "Header"), None)
    if header is not None:
        for el in header.iter():
            if _local(el.tag) == "sessionId":
                values["__sessionId"] = el.text or ""
    return _local(call.tag), values


def login_response(org: Org, base_url: str, version: str, session_id: str, user_id: str) -> str:
    user = org.user(user_id)
    org15 = org.org_id[:15]

    def el(name: str, value: object) -> str:
        if value is None:
            return f'<{name} xsi:nil="true"/>'
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return f"<{name}>{escape(text)}</{name}>"

    info = "".join([
        el("accessibilityMode", False), el("chatterExternal", False), el("currencySymbol", "$"),
        el("orgAttachmentFileSizeLimit", 5242880), el("orgDefaultCurrencyIsoCode", "USD"),
        el("orgDefaultCurrencyLocale", "en_US"), el("orgDisallowHtmlAttachments", False),
        el("orgHasPersonAccounts", False), el("organizationId", org.org_id),
        el("organizationMultiCurrency", False), el("organizationName", org.settings.org_name),
        el("profileId", user.get("ProfileId")), el("roleId", user.get("UserRoleId")),
        el("sessionSecondsValid", org.settings.session_seconds),
        el("userDefaultCurrencyIsoCode", None), el("userEmail", user.get("Email")),
        el("userFullName", user.get("Name")), el("userId", user_id), el("userLanguage", "en_US"),
        el("userLocale", user.get("LocaleSidKey", "en_US")), el("userName", user.get("Username")),
        el("userTimeZone", user.get("TimeZoneSidKey", "GMT")), el("userType", "Standard"),
        el("userUiSkin", "Theme3"),
    ])
    result = "".join([
        el("metadataServerUrl", f"{base_url}/services/Soap/m/{version}/{org15}"),
        el("passwordExpired", False), el("sandbox", org.settings.is_sandbox),
        el("serverUrl", f"{base_url}/services/Soap/u/{version}/{org15}"),
        el("sessionId", session_id), el("userId", user_id), f"<userInfo>{info}</userInfo>",
    ])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{_ENV}" xmlns="urn:partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<soapenv:Body><loginResponse><result>{result}</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )


def logout_response() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{_ENV}" xmlns="urn:partner.soap.sforce.com">'
        "<soapenv:Body><logoutResponse/></soapenv:Body></soapenv:Envelope>"
    )


def fault(code: str, message: str, fault_type: str = "LoginFault") -> str:
    """A SOAP fault; simple-salesforce reads ``sf:exceptionCode``/``sf:exceptionMessage``, jsforce ``faultstring``."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{_ENV}" xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{code}</faultcode><faultstring>{escape(code)}: {escape(message)}</faultstring>"
        f'<detail><sf:{fault_type} xsi:type="sf:{fault_type}"><sf:exceptionCode>{escape(code)}</sf:exceptionCode>'
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:{fault_type}></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
