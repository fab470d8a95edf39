"""The ASGI middleware that fills the request journal (:mod:`fakeforce.requestlog`).

It sits outside everything else, so the journal shows what the client saw: injected faults, 413s for
oversize bodies, dropped connections (status None). It copies at most the configured number of bytes of
each body as they stream past and never buffers or changes them. The control surface is not journaled:
reading the journal must not fill it.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..instance import Fakeforce
from ..requestlog import Entry, now_iso, redact_body, redact_query
from .limits import CONTROL_PREFIX

log = logging.getLogger("fakeforce.http")


def _header(headers: list, name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _session_token(headers: list) -> str | None:
    auth = _header(headers, b"authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    if auth and auth[:6].lower() == "oauth ":
        return auth[6:].strip()
    return _header(headers, b"x-sfdc-session")


class Recorder:
    def __init__(self, app: ASGIApp, ff: Fakeforce) -> None:
        self.app = app
        self.ff = ff

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        journal = self.ff.requests
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or not journal.enabled or journal.size <= 0 or path.startswith(CONTROL_PREFIX) \
                or path.startswith("//_fakeforce"):
            await self.app(scope, receive, send)
            return
        limit = journal.body_limit
        started = time.monotonic()
        request_chunks: list[bytes] = []
        request_size = 0
        response_chunks: list[bytes] = []
        response_size = 0
        answer: dict = {}

        async def recording_receive() -> Message:
            nonlocal request_size
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                request_size += len(body)
                kept = sum(len(c) for c in request_chunks)
                if kept < limit + 4096:
                    request_chunks.append(body[: limit + 4096 - kept])
            return message

        async def recording_send(message: Message) -> None:
            nonlocal response_size
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                response_size += len(body)
                kept = sum(len(c) for c in response_chunks)
                if kept < limit + 4096:
                    response_chunks.append(body[: limit + 4096 - kept])
                if not message.get("more_body"):
                    # journaled before the last byte leaves, so a client that reads the journal right
                    # after its answer finds it there
                    answer["complete"] = True
                    record()
            await send(message)

        def record() -> None:
            if not answer.get("recorded"):
                answer["recorded"] = True
                try:
                    self._add(scope, answer, started, b"".join(request_chunks), request_size,
                              b"".join(response_chunks), response_size)
                except Exception:  # the journal is a witness: it must never break the answer it records
                    log.exception("request journal: could not record %s %s", scope.get("method"), scope.get("path"))

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            record()  # an answer never completed (dropped connection, client gone): journaled as such

    def _add(self, scope: Scope, answer: dict, started: float, request: bytes, request_size: int,
             response: bytes, response_size: int) -> None:
        journal = self.ff.requests
        headers = list(scope.get("headers", []))
        response_headers = answer.get("headers", [])
        user_id = username = None
        token = _session_token(headers)
        if token:
            session = self.ff.sessions.validate(token)
            if session is not None:
                user_id = session.user_id
                try:
                    username = self.ff.org.user(user_id).get("Username")
                except Exception:  # a user deleted since: the id is still worth showing
                    username = None
        status = answer.get("status") if answer.get("complete") else None
        request_type = _header(headers, b"content-type")
        response_type = _header(response_headers, b"content-type")
        journal.add(Entry(
            id=journal.next_id(), time=now_iso(), method=scope.get("method", "GET"), path=scope.get("path", ""),
            query=redact_query(scope.get("query_string", b"").decode("latin-1")), status=status,
            duration_ms=round((time.monotonic() - started) * 1000, 3), user_id=user_id, username=username,
            limit_info=_header(response_headers, b"sforce-limit-info"),
            request_type=request_type, request_body=redact_body(request, request_type, journal.body_limit, request_size,
                                     _header(headers, b"content-encoding")),
            request_size=request_size, response_type=response_type,
            response_body=redact_body(response, response_type, journal.body_limit, response_size,
                                      _header(response_headers, b"content-encoding")),
            response_size=response_size))
