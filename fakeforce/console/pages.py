"""The console's pages, built from :mod:`.data` (what the API answers) and :mod:`.html` (escaped markup)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..http.context import fakeforce
from ..requestlog import Filter, parse_status
from . import data
from .html import BASE, esc, form, link, page, table

SHOWN_LIMITS = ("DailyApiRequests", "DailyBulkApiBatches", "DailyBulkV2QueryJobs", "DataStorageMB")
JOURNAL_ROWS = 100
NOTICES = {"reset": "The org was reset.", "seeded": "Seed loaded.", "login": "Logged in."}


def _errors(body) -> str:
    """Salesforce's error array as it came: each errorCode and message, then the raw JSON."""
    items = body if isinstance(body, list) else [body]
    lines = "".join(f"<li><code>{esc(e.get('errorCode'))}</code>: {esc(e.get('message'))}</li>"
                    for e in items if isinstance(e, dict))
    return f'<div class="error" role="alert"><ul>{lines}</ul><pre>{esc(body)}</pre></div>'


def _bar(used: int, maximum: int) -> str:
    share = 0 if maximum <= 0 else min(100, round(100 * used / maximum))
    return f'<progress max="100" value="{share}" title="{share}%">{share}%</progress>'


def usage_rows(limits: dict) -> list[list[str]]:
    out = []
    for name in SHOWN_LIMITS:
        entry = limits.get(name) or {}
        maximum, remaining = entry.get("Max", 0), entry.get("Remaining", 0)
        used = maximum - remaining
        out.append([esc(name), f'<span data-limit="{esc(name)}">{used}</span>', str(maximum), str(remaining),
                    _bar(used, maximum)])
    return out


async def overview(request: Request, csrf: str) -> HTMLResponse:
    ff = fakeforce(request)
    limits = data.limits(ff)
    routes = sorted(ff.usage.routes.items(), key=lambda kv: -kv[1])[:15]
    body = ("<h2>API usage against the limits</h2>"
            + table(["Limit", "Used", "Max", "Remaining", ""], usage_rows(limits), raw=True, cls="usage")
            + "<h2>Requests by resource</h2>"
            + (table(["Resource", "Requests"], routes) if routes else '<p class="muted">No API requests yet.</p>')
            + '<h2>Reset and seed</h2><div class="cols">'
            + form("/reset", csrf, "<p>Drops every record, session, fault and journal entry.</p>", button="Reset org",
                   cls="reset").replace("<form ", '<form data-confirm="Reset the org? Every record goes." ', 1)
            + form("/seed", csrf, '<p>A seed (YAML or JSON: <code>users</code>, <code>records</code>).</p>'
                   '<textarea name="seed" rows="8" aria-label="seed"></textarea><br>', button="Load seed", cls="seed")
            + "</div>")
    return page("Overview", body, csrf=csrf, active="", notice=NOTICES.get(request.query_params.get("done", ""), ""))


async def objects(request: Request, csrf: str) -> HTMLResponse:
    rows = [[link(f"{BASE}/objects/{o['name']}", o["name"]), esc(o.get("label")), str(o["count"]),
             "custom" if o.get("custom") else "standard"] for o in data.objects(fakeforce(request))]
    return page("Objects", table(["Object", "Label", "Records", "Kind"], rows, raw=True, cls="objects"),
                csrf=csrf, active="/objects")


async def sobject(request: Request, csrf: str) -> HTMLResponse:
    ff = fakeforce(request)
    name = request.path_params["name"]
    described = data.describe(ff, name)
    if not described.ok:
        return page(name, _errors(described.body), csrf=csrf, active="/objects", status=described.status)
    info = described.body
    cols = data.columns(info)
    after = request.query_params.get("after") or None
    found = data.records(ff, info["name"], cols, after)
    counted = data.query(ff, f"SELECT COUNT() FROM {info['name']}")
    # Some objects refuse an unfiltered query (ContentDocumentLink): the count is then unknown, not a 500.
    total = counted.body.get("totalSize", "?") if counted.ok and isinstance(counted.body, dict) else "?"
    if found.ok:
        rows = [data.flatten(r) for r in found.body.get("records", [])]
        nav = [link(f"{BASE}/objects/{info['name']}", "First page")] if after else []
        if len(rows) == data.PAGE_SIZE:
            nav.append(link(f"{BASE}/objects/{info['name']}?{urlencode({'after': rows[-1]['Id']})}", "Next page"))
        listing = (f'<p>{total} records; {len(rows)} shown, by Id. {" · ".join(nav)}</p>'
                   + table(cols, ([r.get(c) for c in cols] for r in rows), cls="records"))
    else:
        listing = _errors(found.body)
    fields = [[f["name"], f.get("label"), f.get("type"), f.get("length") or "", "" if f.get("nillable") else "yes",
               ", ".join(f.get("referenceTo") or [])] for f in info.get("fields", [])]
    body = (f"<p>{esc(info.get('label'))} · key prefix {esc(info.get('keyPrefix'))}</p><h2>Records</h2>{listing}"
            "<h2>Fields</h2>" + table(["Name", "Label", "Type", "Length", "Required", "References"], fields,
                                     cls="fields"))
    return page(info["name"], body, csrf=csrf, active="/objects")


async def soql(request: Request, csrf: str) -> HTMLResponse:
    ff = fakeforce(request)
    text = request.query_params.get("q", "")
    box = (f'<form method="get" action="{BASE}/soql" class="soql"><textarea name="q" rows="4" aria-label="SOQL"'
           f' placeholder="SELECT Id, Name FROM Account LIMIT 10">{esc(text)}</textarea><br>'
           '<button type="submit">Run</button></form>')
    result, status = "", 200
    if text.strip():
        found = data.query(ff, text)
        if found.ok:
            rows = [data.flatten(r) for r in found.body.get("records", [])]
            cols = list(dict.fromkeys(c for r in rows for c in r))
            more = " (more rows behind a query locator)" if not found.body.get("done", True) else ""
            result = (f'<p class="total">totalSize: <strong>{found.body.get("totalSize")}</strong>; '
                      f"{len(rows)} rows shown{more}</p>"
                      + (table(cols, ([r.get(c) for c in cols] for r in rows), cls="results") if rows else ""))
        else:
            result, status = _errors(found.body), 200
    return page("SOQL", box + result, csrf=csrf, active="/soql", status=status)


def journal_filter(request: Request) -> Filter:
    params = request.query_params
    status = params.get("status") or None
    return Filter(path=params.get("path") or None, method=params.get("method") or None,
                  status=parse_status(status) if status else None, limit=JOURNAL_ROWS)


def journal_rows(request: Request) -> str:
    try:
        found = fakeforce(request).requests.find(journal_filter(request))
    except ValueError as exc:
        return f'<tr><td colspan="7" class="error">{esc(exc)}</td></tr>'
    rows = []
    for e in found:
        body = (f"<details><summary>{e.request_size} B in / {e.response_size} B out</summary>"
                f"<pre>{esc(e.request_body)}</pre><hr><pre>{esc(e.response_body)}</pre></details>")
        path = e.path + (f"?{e.query}" if e.query else "")
        rows.append(f"<tr><td>{esc(e.time)}</td><td>{esc(e.method)}</td><td>{esc(path)}</td>"
                    f"<td>{esc('dropped' if e.status is None else e.status)}</td><td>{e.duration_ms:.1f}</td>"
                    f"<td>{esc(e.username or '')}</td><td>{body}</td></tr>")
    return "".join(rows) or '<tr><td colspan="7" class="muted">No requests match.</td></tr>'


async def requests(request: Request, csrf: str) -> HTMLResponse:
    params = request.query_params
    query = urlencode({k: params[k] for k in ("path", "method", "status") if params.get(k)})
    filters = (f'<form method="get" action="{BASE}/requests" class="filters">'
               '<input type="text" name="path" placeholder="path prefix, or *substring" '
               f'value="{esc(params.get("path"))}">'
               f' <input type="text" name="method" placeholder="method" size="6" value="{esc(params.get("method"))}">'
               f' <input type="text" name="status" placeholder="201, 4xx, dropped" size="8" '
               f'value="{esc(params.get("status"))}"> <button type="submit">Filter</button> '
               '<label><input type="checkbox" id="journal-pause"> pause</label></form>')
    log = fakeforce(request).requests
    head = "".join(f"<th>{h}</th>" for h in ("Time", "Method", "Path", "Status", "ms", "User", "Bodies"))
    body = (f'<p>The last {JOURNAL_ROWS} matching requests, newest first, refreshed every 2 s (the journal '
            f'keeps up to {log.size}).</p>{filters}'
            f'<table class="journal"><thead><tr>{head}</tr></thead><tbody id="journal-rows" '
            f'data-source="{esc(BASE + "/requests/rows" + ("?" + query if query else ""))}">{journal_rows(request)}'
            "</tbody></table>")
    return page("Request journal", body, csrf=csrf, active="/requests")


async def requests_fragment(request: Request, csrf: str) -> HTMLResponse:
    from .html import HEADERS

    return HTMLResponse(journal_rows(request), headers=HEADERS)
