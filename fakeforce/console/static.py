"""The console's one stylesheet and one script, served from the app (no build step, no CDN)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
header{display:flex;gap:1.5em;align-items:center;background:#032d60;color:#fff;padding:.6em 1em}
header nav a{color:#cfe3ff;margin-right:1em;text-decoration:none}header nav a.on{color:#fff;font-weight:600}
header .logout{margin-left:auto}main{padding:1em 1.5em}h1{font-size:1.4em;margin:.2em 0 .6em}
table{border-collapse:collapse;background:#fff;margin:.5em 0 1em;font-size:13px}
th,td{border:1px solid #d8dde6;padding:.25em .5em;text-align:left;vertical-align:top;max-width:40em;
overflow-wrap:anywhere}th{background:#eef1f6;white-space:nowrap}
textarea{width:100%;max-width:60em;font:13px monospace}input[type=password]{width:22em}.filters input{width:auto}
.error{background:#fde8e8;border:1px solid #ea001e;padding:.5em 1em;max-width:60em}
.notice{background:#e7f5e9;border:1px solid #2e844a;padding:.4em 1em;max-width:60em}
.bar{background:#d8dde6;width:20em;height:.8em;display:inline-block}.bar span{display:block;height:100%;
background:#0176d3}.cols{display:flex;gap:2em;flex-wrap:wrap}pre{white-space:pre-wrap;margin:0;font-size:12px}
.muted{color:#706e6b}button{cursor:pointer}.error li{white-space:pre-wrap;font-family:monospace}
"""

JS = """
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  var body = document.getElementById("journal-rows");
  if (!body) { return; }
  var source = body.getAttribute("data-source");
  var paused = document.getElementById("journal-pause");
  function poll() {
    if (paused && paused.checked) { return; }
    fetch(source, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { body.innerHTML = html; } })
      .catch(function () {});
  }
  window.setInterval(poll, 2000);
})();
"""


async def css(request: Request) -> Response:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "no-cache"})


async def js(request: Request) -> Response:
    return Response(JS, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
