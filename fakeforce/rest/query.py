"""``/query`` and ``/queryAll`` with query locators; SOSL ``/search`` and ``/parameterizedSearch``."""

from __future__ import annotations

from .. import soql, sosl
from ..errors import SalesforceError
from . import ROUTER, Answer, Call


def _run(call: Call, *, include_deleted: bool) -> Answer:
    if "explain" in call.params:
        raise SalesforceError("FUNCTIONALITY_NOT_ENABLED", "fakeforce does not produce query plans (explain)", 400)
    text = call.params.get("q")
    if text is None or not text.strip():
        raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified", 400)
    if call.params.get("columns", "").lower() == "true":  # what `sf data query` asks to lay out its table
        return Answer(200, soql.columns(call.org, text))
    total, rows = soql.query(call.org, text, include_deleted=include_deleted, user_id=call.session.user_id,
                             version=call.version)
    cursors = call.ff.cursors
    batch = cursors.batch_size(call.headers.get("sforce-query-options"))
    return Answer(200, cursors.page(call.session.user_id, rows, total, batch, call.version, "query"))


def query(call: Call) -> Answer:
    return _run(call, include_deleted=False)


def query_all(call: Call) -> Answer:
    return _run(call, include_deleted=True)


def query_more(call: Call, locator: str) -> Answer:
    return Answer(200, call.ff.cursors.more(locator, call.session.user_id, call.version, "query"))


def search(call: Call) -> Answer:
    text = call.params.get("q")
    if not text:
        raise SalesforceError("MALFORMED_SEARCH", "No search term found. The search term must be enclosed in braces.")
    return Answer(200, sosl.search(call.org, text, user_id=call.session.user_id, version=call.version))


def parameterized_search(call: Call) -> Answer:
    if call.method == "POST":
        params = call.json()
        if not isinstance(params, dict):
            raise SalesforceError("JSON_PARSER_ERROR", "The request body must be a JSON object")
    else:
        params = dict(call.params)
    text = sosl.parameterized(params)
    return Answer(200, sosl.search(call.org, text, user_id=call.session.user_id, version=call.version))


ROUTER.add("/query", GET=query)
ROUTER.add("/queryAll", GET=query_all)
ROUTER.add("/query/{locator}", GET=query_more)
ROUTER.add("/queryAll/{locator}", GET=query_more)
ROUTER.add("/search", GET=search)
ROUTER.add("/parameterizedSearch", GET=parameterized_search, POST=parameterized_search)
