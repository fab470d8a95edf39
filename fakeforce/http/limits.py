"""Request bodies bounded before they are read: ``Content-Length`` checked first, then bytes counted as
they arrive, reading stopped at the limit. Over-limit bodies answer Salesforce's error array (413).

The limit depends on the route: Bulk API 2.0 uploads follow Salesforce's per-job limit, the control
surface has a small one of its own, everything else the REST limit (see :class:`OrgSettings`).
"""

from __future__ import annotations

import json
import logging
import re

from starlette.types import Message, Receive, Scope, Send

from ..instance import Fakeforce
from .responses import JSON_TYPE

log = logging.getLogger("fakeforce.http")
BULK_UPLOAD = re.compile(r"/services/data/v[^/]+/jobs/ingest/[^/]+/batches/?", re.IGNORECASE)
CONTROL_PREFIX = "/_fakeforce"


def body_limit(ff: Fakeforce, path: str) -> int:
    """The largest body (bytes) a request to ``path`` may carry."""
    settings = ff.settings
    if path.startswith(CONTROL_PREFIX):
        return settings.control_max_body_bytes
    if BULK_UPLOAD.fullmatch(path):
        return settings.bulk_upload_max_bytes
    return ff.max_body_bytes


async def _too_large(send: Send, size: int | None, limit: int) -> None:
    what = f"of {size} bytes " if size is not None else ""
    data = json.dumps([{"errorCode": "REQUEST_ENTITY_TOO_LARGE",
                        "message": f"Request body {what}exceeds the limit of {limit} bytes"}],
                      separators=(",", ":")).encode()
    # The unread rest of the body cannot be skipped reliably: close the connection after answering.
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", JSON_TYPE.encode()), (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_bounded(ff: Fakeforce, scope: Scope, receive: Receive, send: Send) -> Receive | None:
    """Read the request body up to its route's limit and return a ``receive`` that replays it; or answer
    413 (over the limit) or nothing (the client went away meanwhile) and return None: then the request is
    neither processed nor counted."""
    limit = body_limit(ff, scope.get("path", ""))
    declared = _declared_length(scope)
    if declared is not None and declared > limit:
        await _too_large(send, declared, limit)
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            log.info("client went away before sending its whole request: %s %s (not processed)",
                     scope.get("method"), scope.get("path"))
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            await _too_large(send, None, limit)
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: http.disconnect when the client goes away

    return replay
