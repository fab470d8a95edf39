"""The REST resources under ``/services/data/vXX.X`` as synchronous functions over a :class:`Call`.

Both the HTTP routes and composite subrequests go through :func:`dispatch`, so every resource works in
both, and a composite request runs its subrequests in one store transaction without yielding to other
requests between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .. import duplicates, jsonbody
from ..auth.sessions import Session
from ..errors import MultipleMatches, SalesforceError, not_found
from ..instance import Fakeforce


@dataclass
class Call:
    """One REST request: from HTTP, or a subrequest of a composite request."""

    ff: Fakeforce
    session: Session
    version: str
    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes = b""
    base_url: str = ""
    body: Any = None  # already-parsed JSON (composite subrequests)
    route: str = ""

    @property
    def org(self):
        return self.ff.org

    @property
    def save_options(self) -> duplicates.SaveOptions:
        """What the request's ``Sforce-Duplicate-Rule-Header`` says, for the org's write calls."""
        return duplicates.header_options(self.headers.get(duplicates.HEADER), self.version)

    def json(self) -> Any:
        """The body as JSON, or Salesforce's JSON_PARSER_ERROR pointing at the line and column."""
        if self.body is not None:
            return self.body
        raw, limit = self.raw, self.ff.max_body_bytes
        if len(raw) > limit:  # the HTTP layer refuses these before reading; composite bodies come here
            raise SalesforceError("REQUEST_ENTITY_TOO_LARGE",
                                  f"Request body of {len(raw)} bytes exceeds the limit of {limit} bytes", 413)
        return jsonbody.loads(raw)


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "json"  # json, or a content type for raw text bodies (Bulk API CSV)


Handler = Callable[..., Answer]


def method_not_allowed(method: str, allowed: list[str]) -> SalesforceError:
    verbs = sorted(set(allowed) | ({"HEAD"} if "GET" in allowed else set()))
    return SalesforceError("METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {','.join(verbs)}",
                           405, headers={"Allow": ", ".join(verbs)})


class Router:
    """Templates like ``/sobjects/{sobject}/{id}`` (a trailing slash is optional) to handlers per method."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], str, dict[str, Handler]]] = []

    def add(self, template: str, **methods: Handler) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template.rstrip("/"))
        # Resource names match case-insensitively (clients write unprocessedRecords and unprocessedrecords).
        self._routes.append((re.compile(f"^{pattern}/?\\Z", re.IGNORECASE), template, methods))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str], str]:
        for regex, template, methods in self._routes:
            found = regex.match(path)
            if not found:
                continue
            handler = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
            if handler is None:
                raise method_not_allowed(method, list(methods))
            return handler, found.groupdict(), template
        raise not_found()


ROUTER = Router()


def dispatch(call: Call, on_route: Callable[[str], None] | None = None) -> Answer:
    """Run one call; Salesforce errors become their error arrays, several external-id matches a 300."""
    try:
        handler, params, template = ROUTER.match(call.method, call.path)
        call.route = template
        if on_route is not None:
            on_route(template)
        return handler(call, **params)
    except SalesforceError as exc:
        return Answer(exc.status, exc.as_array(), dict(exc.headers or {}))
    except MultipleMatches as exc:
        return Answer(300, exc.urls)


def _register() -> None:
    # limits and layouts first: /sobjects/{sobject}/updated and .../describe/layouts must win over
    # /sobjects/{sobject}/{key} and /sobjects/{sobject}/{field}/{value}
    # blobs before sobjects: /sobjects/{sobject}/{id}/VersionData shares the external-id template
    from . import limits, layouts, bulk, collections, composite, query, blobs, sobjects, tree  # noqa: F401


_register()
