"""Small HTML builders for the console: every value that reaches a page goes through :func:`esc`
(records hold user data), and the page frame carries the CSRF token the forms post back."""

from __future__ import annotations

import json
from html import escape
from typing import Any, Iterable

from starlette.responses import HTMLResponse

NAV = (("Overview", ""), ("Objects", "/objects"), ("SOQL", "/soql"), ("Requests", "/requests"))
BASE = "/_fakeforce/console"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "Cache-Control": "no-store", "X-Frame-Options": "DENY"}


def esc(value: Any) -> str:
    """Text for HTML (quotes too, so it is safe inside attributes)."""
    if value is None:
        return ""
    if isinstance(value, bool):  # as the API's JSON writes it
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"))
    return escape(str(value), quote=True)


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]], *, raw: bool = False, cls: str = "",
          body_id: str = "") -> str:
    """A table; cells escaped unless ``raw`` (for cells the caller built from escaped parts)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    cell = (lambda v: str(v)) if raw else esc
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    tbody = f'<tbody id="{esc(body_id)}">' if body_id else "<tbody>"
    return f'<table class="{esc(cls)}"><thead><tr>{head}</tr></thead>{tbody}{body}</tbody></table>'


def link(href: str, text: Any) -> str:
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def form(action: str, csrf: str, inner: str, *, button: str, cls: str = "") -> str:
    """A POST form with its CSRF token."""
    return (f'<form method="post" action="{esc(BASE + action)}" class="{esc(cls)}">'
            f'<input type="hidden" name="csrf" value="{esc(csrf)}">{inner}'
            f'<button type="submit">{esc(button)}</button></form>')


def page(title: str, body: str, *, csrf: str | None = None, active: str = "", status: int = 200,
         notice: str = "") -> HTMLResponse:
    nav = "".join(f'<a href="{BASE}{href}" class="{"on" if href == active else ""}">{esc(label)}</a>'
                  for label, href in NAV)
    logout = (f'<form method="post" action="{BASE}/logout" class="logout"><input type="hidden" name="csrf" '
              f'value="{esc(csrf)}"><button type="submit">Log out</button></form>') if csrf else ""
    flash = f'<p class="notice" role="status">{esc(notice)}</p>' if notice else ""
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)} - fakeforce</title>'
            f'<link rel="stylesheet" href="{BASE}/static/console.css"></head><body>'
            f'<header><strong>fakeforce</strong><nav>{nav if csrf else ""}</nav>{logout}</header>'
            f'<main><h1>{esc(title)}</h1>{flash}{body}</main>'
            f'<script src="{BASE}/static/console.js"></script></body></html>')
    return HTMLResponse(html, status_code=status, headers=HEADERS)
