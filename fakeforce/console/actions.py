"""The console's writes: log in and out, reset, seed. Each POST is checked for its CSRF token (see
:mod:`.auth`) and answers with a redirect (303), so a reload never posts twice."""

from __future__ import annotations

import json

import yaml
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..http.context import fakeforce
from ..http.responses import json_response
from ..seed import SeedError, load_seed
from . import auth
from .html import BASE, HEADERS, esc, page

MAX_FORM_BYTES = 1_000_000


async def form_fields(request: Request) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise ValueError("the form is too large")
    from urllib.parse import parse_qsl

    return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))


def login_page(request: Request, message: str = "", status: int = 200) -> Response:
    if not auth.login_possible(request):
        return page("Console closed", "<p>This server has no control token, so nobody can use the control "
                    "surface or the console. Start it with a control token.</p>", status=403)
    error = f'<p class="error" role="alert">{esc(message)}</p>' if message else ""
    body = (f'{error}<form method="post" action="{BASE}/login" class="login"><label>Control token '
            '<input type="password" name="token" autocomplete="current-password" autofocus></label> '
            '<button type="submit">Log in</button></form><p class="muted">The token of the control surface '
            "(<code>--control-token-file</code>). It is kept in a cookie as a keyed hash, never in a URL.</p>")
    return page("Log in", body, status=status)


async def login(request: Request) -> Response:
    if request.method == "GET":
        return login_page(request)
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return login_page(request, "This login did not come from the console's own page.", 403)
    try:
        fields = await form_fields(request)
    except ValueError as exc:  # the same answer as any other console POST (see ``_action``)
        return json_response([{"message": str(exc), "errorCode": "INVALID_INPUT"}], 413)
    token = fields.get("token", "")
    if fakeforce(request).control_without_token and not fakeforce(request).settings.control_token:
        return RedirectResponse(f"{BASE}?done=login", 303)
    if not token or not auth.token_matches(request, token):
        return login_page(request, "That is not the control token.", 401)
    answer = RedirectResponse(f"{BASE}?done=login", 303, headers=HEADERS)
    answer.set_cookie(auth.COOKIE, auth.cookie_for(request, token), httponly=True, samesite="strict",
                      secure=request.url.scheme == "https", path=BASE)
    return answer


async def logout(request: Request, who: str, fields: dict[str, str]) -> Response:
    answer = RedirectResponse(f"{BASE}/login", 303, headers=HEADERS)
    answer.delete_cookie(auth.COOKIE, path=BASE, httponly=True, samesite="strict")
    return answer


async def reset(request: Request, who: str, fields: dict[str, str]) -> Response:
    fakeforce(request).reset()
    return RedirectResponse(f"{BASE}?done=reset", 303, headers=HEADERS)


async def seed(request: Request, who: str, fields: dict[str, str]) -> Response:
    text = fields.get("seed", "")
    try:
        body = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        return _seed_error(request, who, f"the seed is not YAML or JSON: {exc}")
    if not isinstance(body, dict):
        return _seed_error(request, who, "the seed must be an object with 'users' and/or 'records'")
    try:
        refs = load_seed(fakeforce(request).org, body)
    except SeedError as exc:
        return _seed_error(request, who, str(exc))
    return page("Seed loaded", f"<p>{len(refs)} references:</p><pre>{esc(json.dumps(refs, indent=1))}</pre>"
                f'<p><a href="{BASE}">Back</a></p>', csrf=auth.csrf_token(request, who), status=201)


def _seed_error(request: Request, who: str, message: str) -> Response:
    return page("Seed refused", f'<div class="error" role="alert">{esc(message)}</div><p><a href="{BASE}">Back</a></p>',
                csrf=auth.csrf_token(request, who), status=400)
