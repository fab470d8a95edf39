"""The operator page: a static shell, its stylesheet and its script. The script renders every value with
``textContent`` (never as markup: event subjects and Salesforce's messages are outside data), and the
Content-Security-Policy allows only this page's own script and style."""

from __future__ import annotations

HEADERS = {"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
           "connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
           "X-Frame-Options": "DENY"}

HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>syncd operator</title>
<link rel="stylesheet" href="/ops/ops.css"></head><body>
<header><strong>syncd</strong> operator page <span id="updated" class="muted"></span>
<button id="forget" hidden>Forget token</button></header><main>
<section id="login"><h1>Management token</h1><p>One of <code>service.api_tokens</code>. Kept in this tab only
(sessionStorage); sent as <code>Authorization: Bearer</code>.</p>
<form id="login-form"><input type="password" id="token" aria-label="token" autocomplete="off">
<button type="submit">Open</button></form><p id="login-error" class="error" role="alert" hidden></p></section>
<div id="view" hidden>
<p id="notice" class="notice" role="status" hidden></p>
<section><h2>Salesforce connection</h2><table id="connection"></table></section>
<section><h2>Outbox</h2><table id="outbox"></table><h3>Waiting and dead, by age</h3><table id="ages"></table>
<p id="oldest"></p></section>
<section><h2>Dead letters</h2><table id="dead"></table><table id="dead-interactions"></table></section>
<section><h2>Integrations</h2><table id="integrations"></table></section>
<section><h2>API budget, last 24 h</h2><p id="budget-now"></p><div id="budget-chart"></div></section>
<section><h2>Recent events</h2><table id="events"></table></section>
<section><h2>Metrics</h2><table id="metrics"></table></section>
<section><h2><code>syncd status</code></h2><pre id="status"></pre></section>
</div></main><script src="/ops/ops.js"></script></body></html>
"""

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1b1b}
header{background:#16325c;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center}
header .muted{color:#b0c4de}#forget{margin-left:auto}main{padding:1em 1.5em}
table{border-collapse:collapse;background:#fff;margin:.4em 0 1em;font-size:13px}
th,td{border:1px solid #d8dde6;padding:.25em .5em;text-align:left;vertical-align:top;max-width:40em;
overflow-wrap:anywhere}th{background:#eef1f6;white-space:nowrap}button{white-space:nowrap}
.error{background:#fde8e8;border:1px solid #ea001e;padding:.4em 1em}
.notice{background:#e7f5e9;border:1px solid #2e844a;padding:.4em 1em}.muted{color:#706e6b}
pre{background:#fff;border:1px solid #d8dde6;padding:.5em;font-size:12px;max-height:30em;overflow:auto}
svg{background:#fff;border:1px solid #d8dde6}polyline{fill:none;stroke:#0176d3;stroke-width:2}
line.max{stroke:#ea001e;stroke-dasharray:4 3}h2{font-size:1.15em;margin:1em 0 .2em}h3{font-size:1em}
"""

JS = r"""
(function () {
  "use strict";
  var KEY = "syncd-ops-token";
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function show(v) {
    if (v === null || v === undefined) { return ""; }
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  function fill(id, headers, rows) {
    var t = $(id); t.textContent = "";
    var head = el("tr"); headers.forEach(function (h) { head.appendChild(el("th", h)); });
    var thead = el("thead"); thead.appendChild(head); t.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      r.forEach(function (c) {
        var td = el("td");
        if (c instanceof Node) { td.appendChild(c); } else { td.textContent = show(c); }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (!rows.length) {
      var tr = el("tr"), td = el("td", "none");
      td.className = "muted"; td.colSpan = headers.length; tr.appendChild(td); body.appendChild(tr);
    }
    t.appendChild(body);
  }
  function call(method, path) {
    return fetch(path, {method: method, headers: {"Authorization": "Bearer " + sessionStorage.getItem(KEY),
      "Accept": "application/json"}, credentials: "omit"}).then(function (r) {
      return r.json().then(function (b) { return {status: r.status, body: b}; });
    });
  }
  function chart(samples) {
    var box = $("budget-chart"); box.textContent = "";
    if (samples.length < 1) { box.appendChild(el("p", "no samples yet")); return; }
    var ns = "http://www.w3.org/2000/svg", w = 480, h = 120, now = Date.now() / 1000;
    var max = Math.max.apply(null, samples.map(function (s) { return s.max; }).concat([1]));
    var svg = document.createElementNS(ns, "svg"); svg.setAttribute("width", w); svg.setAttribute("height", h);
    svg.setAttribute("role", "img"); svg.setAttribute("aria-label", "API requests used over the last day");
    var pts = samples.map(function (s) {
      var x = Math.max(0, w - (now - s.t) / 86400 * w), y = h - (s.used / max) * (h - 10);
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    var line = document.createElementNS(ns, "polyline"); line.setAttribute("points", pts.join(" "));
    var top = document.createElementNS(ns, "line"); top.setAttribute("class", "max");
    top.setAttribute("x1", 0); top.setAttribute("x2", w); top.setAttribute("y1", 10); top.setAttribute("y2", 10);
    svg.appendChild(top); svg.appendChild(line); box.appendChild(svg);
  }
  function render(v) {
    var s = v.status, sf = v.salesforce;
    fill("connection", ["connected", "since", "reason", "cause", "auth", "instanceUrl", "session",
      "needsAuthorization"],
      [[sf.connected, sf.since, sf.reason, sf.cause, sf.auth, sf.instanceUrl, sf.session, sf.needsAuthorization]]);
    var states = Object.keys(s.outbox);
    fill("outbox", states.concat(["events"]),
      [states.map(function (k) { return s.outbox[k]; }).concat([s.events])]);
    var ages = v.outboxByAge, labels = ["under 1 min", "under 1 h", "under 1 day", "older"];
    fill("ages", ["state"].concat(labels), Object.keys(ages).map(function (k) {
      return [k].concat(labels.map(function (l) { return ages[k][l]; }));
    }));
    $("oldest").textContent = s.oldest_pending ? "Oldest waiting: operation " + s.oldest_pending.id + " (" +
      s.oldest_pending.sobject + "), " + s.oldest_pending.age_seconds + " s" : "Nothing waiting.";
    fill("dead", ["id", "object", "op", "external id", "attempts", "Salesforce errorCode", "message", ""],
      v.deadLetters.map(function (d) {
        var b = el("button", "Replay"); b.setAttribute("data-replay", d.id);
        b.addEventListener("click", function () { replay(d.id); });
        return [d.id, d.sobject, d.op, d.externalIdField + "=" + d.externalId, d.attempts, d.errorCode, d.error, b];
      }));
    fill("dead-interactions", ["dead interaction", "errorCode", "message"],
      v.deadInteractions.map(function (d) { return [d.key, d.last_error_code, d.last_error]; }));
    fill("integrations", ["integration", "state", "jobs", "rows"], Object.keys(v.integrations).map(function (k) {
      var i = v.integrations[k]; return [k, i.state, i.jobs || {}, i.rows]; }));
    var u = s.api_usage; $("budget-now").textContent = u ? "Used " + u.used + " of " + u.max + " today (" +
      Math.round(100 * u.used / Math.max(u.max, 1)) + "%)" : "No Sforce-Limit-Info seen yet.";
    chart(v.apiBudget);
    fill("events", ["received", "type", "source", "subject", "id"],
      v.recentEvents.map(function (e) { return [e.received_at, e.type, e.source, e.subject, e.id]; }));
    fill("metrics", ["metric", "value"],
      Object.keys(v.metrics).sort().map(function (k) { return [k, v.metrics[k]]; }));
    $("status").textContent = JSON.stringify(s, null, 2);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  }
  function refresh() {
    if (!sessionStorage.getItem(KEY)) { return; }
    call("GET", "/v1/admin/ops").then(function (r) {
      if (r.status === 401) { sessionStorage.removeItem(KEY); start("That token was refused."); return; }
      if (r.status !== 200) { notice(r.body.detail || "error " + r.status); return; }
      $("login").hidden = true; $("view").hidden = false; $("forget").hidden = false; render(r.body);
    });
  }
  function notice(text) { var n = $("notice"); n.textContent = text; n.hidden = !text; }
  function replay(id) {
    call("POST", "/v1/admin/dead-letters/" + encodeURIComponent(id) + "/replay").then(function (r) {
      notice(r.status === 200 ? "Operation " + id + " queued again." : (r.body.detail || "error " + r.status));
      refresh();
    });
  }
  function start(message) {
    $("login").hidden = false; $("view").hidden = true; $("forget").hidden = true;
    var e = $("login-error"); e.textContent = message || ""; e.hidden = !message;
  }
  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault(); sessionStorage.setItem(KEY, $("token").value); $("token").value = ""; refresh();
  });
  $("forget").addEventListener("click", function () { sessionStorage.removeItem(KEY); start(""); });
  if (sessionStorage.getItem(KEY)) { refresh(); } else { start(""); }
  window.setInterval(refresh, 5000);
})();
"""
