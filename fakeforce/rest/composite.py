"""``/composite`` (with references between subrequests), ``/composite/batch`` and ``/composite/graph``.

Subrequests run through the same dispatcher as top-level requests, synchronously, so an all-or-none
composite is one store transaction: a failure rolls back every write, in memory and in the data file.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .. import API_VERSIONS
from ..errors import SalesforceError
from . import ROUTER, Answer, Call, dispatch

MAX_SUBREQUESTS = 25
REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
REFERENCE_ID = re.compile(r"[A-Za-z0-9_]+\Z")  # \Z: $ would allow a trailing newline
ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."
FORBIDDEN_HEADERS = {"accept", "authorization", "content-type"}


class _Rollback(Exception):
    """Raised inside the composite's transaction to undo every subrequest."""


def invalid(message: str, code: str = "INVALID_INPUT") -> SalesforceError:
    return SalesforceError(code, message, 400)


def split_url(url: Any, *, relative_to_data: bool = False) -> tuple[str, str, dict[str, str]]:
    """(version, path after /vXX.X, query parameters) of a subrequest URL."""
    if not isinstance(url, str) or not url:
        raise invalid("The url is required for each subrequest")
    parts = urlsplit(url)
    path = unquote(parts.path)  # like a top-level request: /Field/phone%3A1 names the value phone:1
    if relative_to_data and not path.startswith("/services/data/"):
        path = "/services/data/" + path.lstrip("/")
    match = re.match(r"^/services/data/v(\d+\.\d)(/.*)?$", path)
    if not match or match.group(1) not in API_VERSIONS:
        raise invalid(f"The url must start with /services/data/vXX.X: {url}")
    return match.group(1), match.group(2) or "", dict(parse_qsl(parts.query, keep_blank_values=True))


def subcall(outer: Call, method: str, url: str, body: Any, headers: dict[str, str] | None = None,
            *, relative_to_data: bool = False) -> Call:
    version, path, params = split_url(url, relative_to_data=relative_to_data)
    merged = {k.lower(): v for k, v in outer.headers.items()}
    merged.update({k.lower(): v for k, v in (headers or {}).items()})
    return Call(ff=outer.ff, session=outer.session, version=version, method=method, path=path, params=params,
                headers=merged, base_url=outer.base_url, body=body,
                raw=b"" if body is None else json.dumps(body).encode())


# -- references ------------------------------------------------------------------------------------
def _navigate(value: Any, path: str) -> Any:
    for name, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        if name:
            if not isinstance(value, dict) or name not in value:
                raise KeyError(name)
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(index)
            value = value[int(index)]
    return value


def resolve(value: Any, results: dict[str, Any]) -> Any:
    """Replace ``@{ref.path}`` in strings (recursively in bodies) with values of earlier results."""
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    if not isinstance(value, str) or "@{" not in value:
        return value

    def lookup(match: re.Match[str]) -> Any:
        ref, path = match.group(1), match.group(2)
        if ref not in results:
            raise invalid(f"Invalid reference specified. No value for {match.group(0)} found in {ref}. Provided "
                          f"referenceId ({ref}) must match a referenceId of an earlier subrequest.",
                          "PROCESSING_HALTED")
        try:
            return _navigate(results[ref], path)
        except KeyError:
            raise invalid(f"Invalid reference specified. No value for {match.group(0)} found in {ref}. Provided "
                          f"path ({path.lstrip('.')}) does not exist in the response of {ref}.",
                          "PROCESSING_HALTED") from None

    whole = REFERENCE.fullmatch(value)
    if whole:
        return lookup(whole)  # a whole-string reference keeps its JSON type
    return REFERENCE.sub(lambda m: str(lookup(m)), value)


# -- /composite ------------------------------------------------------------------------------------
def _check_composite(body: Any) -> tuple[list[dict], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
        raise invalid("The request body must have a compositeRequest array", "JSON_PARSER_ERROR")
    requests = body["compositeRequest"]
    if not requests:
        raise invalid("The compositeRequest must contain at least one subrequest")
    if len(requests) > MAX_SUBREQUESTS:
        raise invalid(f"The number of subrequests exceeded the limit of {MAX_SUBREQUESTS}", "LIMIT_EXCEEDED")
    seen = set()
    for item in requests:
        if not isinstance(item, dict):
            raise invalid("Each subrequest must be a JSON object")
        ref = item.get("referenceId")
        if not isinstance(ref, str) or not REFERENCE_ID.match(ref):
            raise invalid(f"Invalid referenceId: {ref!r}. Use letters, digits and underscores only.")
        if ref in seen:
            raise invalid(f"Duplicate referenceId provided in the request: {ref}")
        seen.add(ref)
        if item.get("method") not in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            raise invalid(f"Invalid HTTP method {item.get('method')!r} for subrequest {ref}")
        headers = item.get("httpHeaders") or {}
        if not isinstance(headers, dict) or FORBIDDEN_HEADERS & {h.lower() for h in headers}:
            raise invalid(f"Subrequest {ref} may not set Accept, Authorization or Content-Type headers")
        split_url(item.get("url"))
    all_or_none = body.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise invalid("allOrNone must be a boolean", "JSON_PARSER_ERROR")
    return requests, all_or_none


def _entry(answer: Answer, ref: str) -> dict:
    return {"body": answer.body, "httpHeaders": answer.headers, "httpStatusCode": answer.status, "referenceId": ref}


def _halted(ref: str, message: str = ROLLED_BACK) -> dict:
    return {"body": [{"errorCode": "PROCESSING_HALTED", "message": message}], "httpHeaders": {},
            "httpStatusCode": 400, "referenceId": ref}


def run_composite(call: Call, requests: list[dict], all_or_none: bool) -> tuple[list[dict], bool]:
    """The compositeResponse entries, and whether every subrequest succeeded."""
    entries: list[dict] = []
    results: dict[str, Any] = {}
    failed = False
    store = call.org.store
    try:
        with store.transaction():
            for item in requests:
                ref = item["referenceId"]
                if failed and all_or_none:
                    entries.append(_halted(ref))
                    continue
                try:
                    url = resolve(item["url"], results)
                    body = resolve(item.get("body"), results)
                except SalesforceError as exc:
                    entries.append({"body": exc.as_array(), "httpHeaders": {}, "httpStatusCode": 400,
                                    "referenceId": ref})
                    failed = True
                    continue
                answer = dispatch(subcall(call, item["method"], url, body, item.get("httpHeaders")))
                if answer.status == 201 and isinstance(answer.body, dict) and answer.body.get("id"):
                    version, path, _ = split_url(url)
                    answer.headers = {"Location": f"/services/data/v{version}{path.rstrip('/')}/"
                                                  f"{answer.body['id']}"}
                entries.append(_entry(answer, ref))
                if answer.status >= 400:
                    failed = True
                else:
                    results[ref] = answer.body
            if failed and all_or_none:
                raise _Rollback
    except _Rollback:
        entries = [e if e["httpStatusCode"] >= 400 else _halted(e["referenceId"]) for e in entries]
    return entries, not failed


def composite(call: Call) -> Answer:
    requests, all_or_none = _check_composite(call.json())
    entries, _ = run_composite(call, requests, all_or_none)
    return Answer(200, {"compositeResponse": entries})


def graph(call: Call) -> Answer:
    """``/composite/graph``: each graph is an all-or-none composite of its own (up to 500 nodes in all)."""
    body = call.json()
    graphs = body.get("graphs") if isinstance(body, dict) else None
    if not isinstance(graphs, list) or not graphs:
        raise invalid("The request body must have a graphs array", "JSON_PARSER_ERROR")
    if sum(len(g["compositeRequest"]) for g in graphs
           if isinstance(g, dict) and isinstance(g.get("compositeRequest"), list)) > 500:
        raise invalid("A graph request can contain at most 500 nodes", "LIMIT_EXCEEDED")
    out = []
    for g in graphs:
        if not isinstance(g, dict) or not isinstance(g.get("graphId"), str):
            raise invalid("Each graph needs a graphId")
        requests = g.get("compositeRequest")
        if not isinstance(requests, list) or not requests:
            raise invalid(f"Graph {g['graphId']} has no compositeRequest")
        _check_composite({"compositeRequest": requests[:MAX_SUBREQUESTS]})
        entries, ok = run_composite(call, requests, True)
        out.append({"graphId": g["graphId"], "graphResponse": {"compositeResponse": entries}, "isSuccessful": ok})
    return Answer(200, {"graphs": out})


# -- /composite/batch ------------------------------------------------------------------------------
def batch(call: Call) -> Answer:
    body = call.json()
    if not isinstance(body, dict) or not isinstance(body.get("batchRequests"), list):
        raise invalid("The request body must have a batchRequests array", "JSON_PARSER_ERROR")
    requests = body["batchRequests"]
    if not requests or len(requests) > MAX_SUBREQUESTS:
        raise invalid(f"A batch must have between 1 and {MAX_SUBREQUESTS} subrequests", "LIMIT_EXCEEDED")
    halt = bool(body.get("haltOnError", False))
    results = []
    has_errors = False
    for item in requests:
        if has_errors and halt:
            results.append({"statusCode": 412, "result": [{"errorCode": "BATCH_PROCESSING_HALTED",
                                                           "message": "Batch processing halted per request"}]})
            continue
        if not isinstance(item, dict) or item.get("method") not in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            answer = Answer(400, [{"errorCode": "INVALID_INPUT", "message": "Each batch request needs a method "
                                                                            "and a url"}])
        else:
            try:
                sub = subcall(call, item["method"], item.get("url"), item.get("richInput"), relative_to_data=True)
                answer = dispatch(sub)
            except SalesforceError as exc:
                answer = Answer(exc.status, exc.as_array())
        has_errors = has_errors or answer.status >= 400
        results.append({"statusCode": answer.status, "result": answer.body})
    return Answer(200, {"hasErrors": has_errors, "results": results})


def resources(call: Call) -> Answer:
    v = call.version
    return Answer(200, {name: f"/services/data/v{v}/composite/{name}" for name in ("tree", "batch", "sobjects",
                                                                                "graph")})


ROUTER.add("/composite", GET=resources, POST=composite)
ROUTER.add("/composite/batch", POST=batch)
ROUTER.add("/composite/graph", POST=graph)
