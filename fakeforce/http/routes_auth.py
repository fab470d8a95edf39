"""OAuth 2.0 endpoints, the identity URL and the SOAP login call."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import jsonbody
from ..auth import identity as identity_docs
from ..auth import oauth, soap
from ..auth.sessions import Session
from ..errors import SalesforceError
from .context import base_url, bearer_token, fakeforce
from .responses import json_response

SOAP_TYPE = "text/xml; charset=utf-8"


async def _form(request: Request) -> dict[str, str]:
    if "application/json" in request.headers.get("content-type", ""):
        try:
            data = jsonbody.loads(await request.body())
        except SalesforceError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    raw = (await request.body()).decode("utf-8", errors="replace")
    merged = {k: str(v) for k, v in request.query_params.items()}
    merged.update(dict(parse_qsl(raw, keep_blank_values=True)))
    return merged


async def token(request: Request) -> Response:
    if request.method != "POST":
        return json_response({"error": "invalid_request", "error_description": "must use HTTP POST"}, 400)
    ff = fakeforce(request)
    try:
        body = oauth.grant(ff.sessions, await _form(request), request.headers.get("authorization"), base_url(request))
    except oauth.OAuthError as exc:
        return json_response(exc.body(), exc.status)
    return json_response(body)


def _consent_page(params: dict[str, str], app_name: str, error: str | None = None) -> HTMLResponse:
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in params.items())
    note = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(
        "<!doctype html><html><head><title>fakeforce: allow access?</title></head><body>"
        f"<h1>Allow access?</h1><p><b>{html.escape(app_name)}</b> is asking to access your fakeforce org "
        "(scope: api refresh_token).</p>" + note +
        '<form method="post" action="/services/oauth2/authorize">' + hidden +
        '<label>Username <input name="username" autocomplete="username"></label> '
        '<label>Password <input name="password" type="password"></label> '
        '<button name="decision" value="allow">Allow</button> <button name="decision" value="deny">Deny</button>'
        "</form></body></html>", status_code=400 if error else 200)


def _authorize_error(error: str, description: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html><body><h1>error={html.escape(error)}</h1>"
                        f"<p>error_description={html.escape(description)}</p></body></html>", status_code=400)


async def authorize(request: Request) -> Response:
    """Web-server flow: a consent form (GET), then the decision (POST) redirects to the app's callback."""
    ff = fakeforce(request)
    params = await _form(request) if request.method == "POST" else dict(request.query_params)
    app = ff.settings.app(params.get("client_id"))
    if app is None:
        return _authorize_error("invalid_client_id", "client identifier invalid")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.callback_urls:
        return _authorize_error("redirect_uri_mismatch", "redirect_uri must match configuration")
    state = {"state": params["state"]} if "state" in params else {}
    sep = "&" if "?" in redirect_uri else "?"
    if params.get("response_type", "code") != "code":
        return RedirectResponse(redirect_uri + sep + urlencode(
            {"error": "unsupported_response_type", "error_description": "response type not supported", **state}), 302)
    keep = {k: v for k, v in params.items()
            if k in ("client_id", "redirect_uri", "state", "response_type", "scope", "code_challenge",
                     "code_challenge_method")}
    if request.method == "GET":
        return _consent_page(keep, app.name)
    if params.get("decision", "allow") != "allow":
        return RedirectResponse(redirect_uri + sep + urlencode(
            {"error": "access_denied", "error_description": "end-user denied authorization", **state}), 302)
    user_id = ff.org.check_password(params.get("username", ""), params.get("password", ""))
    if user_id is None:
        return _consent_page(keep, app.name, "Please check your username and password.")
    code = ff.sessions.new_code(user_id, app.client_id, redirect_uri, params.get("code_challenge"),
                                params.get("code_challenge_method"))
    return RedirectResponse(redirect_uri + sep + urlencode({"code": code, **state}), 302)


async def revoke(request: Request) -> Response:
    """``POST`` (form ``token=``) or ``GET ?token=``: 200 with no body, or 400 ``invalid_token`` for a token
    the org does not know (unknown, expired or already revoked), as Salesforce answers."""
    ff = fakeforce(request)
    params = await _form(request)
    if ff.sessions.revoke(params.get("token", "")):
        return Response(status_code=200)
    return json_response({"error": "invalid_token", "error_description": "invalid token"}, 400)


def _session_from(request: Request) -> Session | None:
    token = bearer_token(request) or request.query_params.get("oauth_token")
    return fakeforce(request).sessions.validate(token or "")


def _forbidden() -> Response:
    return json_response({"error": "Bad_OAuth_Token", "error_description": "Bad_OAuth_Token"}, 403)


async def userinfo(request: Request) -> Response:
    session = _session_from(request)
    if session is None:
        return _forbidden()
    ff = fakeforce(request)
    return json_response(identity_docs.userinfo(ff.org, session.user_id, base_url(request)))


async def identity(request: Request) -> Response:
    session = _session_from(request)
    if session is None:
        return _forbidden()
    ff = fakeforce(request)
    org_id, user_id = request.path_params["org_id"], request.path_params["user_id"]
    if org_id[:15] != ff.org.org_id[:15] or user_id[:15] != session.user_id[:15]:
        return _forbidden()
    return json_response(identity_docs.identity(ff.org, session.user_id, base_url(request),
                                                request.query_params.get("version")))


async def soap_endpoint(request: Request) -> Response:
    """``/services/Soap/u/{version}``: login and logout (any other call answers a fault)."""
    ff = fakeforce(request)
    version = request.path_params["version"]
    try:
        operation, values = soap.parse_call(await request.body())
    except soap.SoapRequestError as exc:
        return Response(soap.fault("INVALID_REQUEST", str(exc), "UnexpectedErrorFault"), 500, media_type=SOAP_TYPE)
    if operation == "login":
        user_id = ff.org.check_password(values.get("username", ""), values.get("password", ""))
        if user_id is None:
            return Response(soap.fault("INVALID_LOGIN", "Invalid username, password, security token; or user "
                                       "locked out."), 500, media_type=SOAP_TYPE)
        session = ff.sessions.issue(user_id, None, kind="soap")
        return Response(soap.login_response(ff.org, base_url(request), version, session.token, user_id), 200,
                        media_type=SOAP_TYPE)
    if operation == "logout":
        ff.sessions.revoke(values.get("__sessionId", ""))
        return Response(soap.logout_response(), 200, media_type=SOAP_TYPE)
    return Response(soap.fault("INVALID_OPERATION", f"fakeforce does not implement the SOAP call '{operation}'",
                               "UnexpectedErrorFault"), 500, media_type=SOAP_TYPE)


def routes() -> list[Route]:
    return [
        Route("/services/oauth2/token", token, methods=["GET", "POST"]),
        Route("/services/oauth2/authorize", authorize, methods=["GET", "POST"]),
        Route("/services/oauth2/revoke", revoke, methods=["GET", "POST"]),
        Route("/services/oauth2/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", identity, methods=["GET", "POST"]),
        Route("/services/Soap/u/{version}", soap_endpoint, methods=["POST"]),
        Route("/services/Soap/u/{version}/{org_id}", soap_endpoint, methods=["POST"]),
    ]
