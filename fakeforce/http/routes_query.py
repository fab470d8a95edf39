"""``/query`` and ``/queryAll`` with query locators, and SOSL ``/search`` and ``/parameterizedSearch``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import soql, sosl
from ..auth.sessions import Session
from ..errors import SalesforceError
from .context import api, fakeforce
from .responses import json_response, read_json
from .routes_data import ALL_METHODS, both


def _run(request: Request, session: Session, version: str, *, include_deleted: bool) -> Response:
    ff = fakeforce(request)
    params = request.query_params
    if "explain" in params:
        raise SalesforceError("FUNCTIONALITY_NOT_ENABLED", "fakeforce does not produce query plans (explain)", 400)
    text = params.get("q")
    if text is None or not text.strip():
        raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified", 400)
    total, rows = soql.query(ff.org, text, include_deleted=include_deleted, user_id=session.user_id,
                             version=version)
    batch = ff.cursors.batch_size(request.headers.get("sforce-query-options"))
    return json_response(ff.cursors.page(session.user_id, rows, total, batch, version, "query"))


async def query(request: Request, session: Session, version: str) -> Response:
    return _run(request, session, version, include_deleted=False)


async def query_all(request: Request, session: Session, version: str) -> Response:
    return _run(request, session, version, include_deleted=True)


async def query_more(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    return json_response(ff.cursors.more(request.path_params["locator"], session.user_id, version, "query"))


async def search(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    text = request.query_params.get("q")
    if not text:
        raise SalesforceError("MALFORMED_SEARCH", "No search term found. The search term must be enclosed in braces.")
    return json_response(sosl.search(ff.org, text, user_id=session.user_id, version=version))


async def parameterized_search(request: Request, session: Session, version: str) -> Response:
    ff = fakeforce(request)
    if request.method == "POST":
        params = await read_json(request, ff.max_body_bytes)
        if not isinstance(params, dict):
            raise SalesforceError("JSON_PARSER_ERROR", "The request body must be a JSON object")
    else:
        params = dict(request.query_params)
    text = sosl.parameterized(params)
    return json_response(sosl.search(ff.org, text, user_id=session.user_id, version=version))


def routes() -> list[Route]:
    base = "/services/data/v{version}"
    return [
        *both(base + "/query", api(GET=query)),
        *both(base + "/queryAll", api(GET=query_all)),
        Route(base + "/query/{locator}", api(GET=query_more), methods=ALL_METHODS),
        Route(base + "/queryAll/{locator}", api(GET=query_more), methods=ALL_METHODS),
        *both(base + "/search", api(GET=search)),
        *both(base + "/parameterizedSearch", api(GET=parameterized_search, POST=parameterized_search)),
    ]
