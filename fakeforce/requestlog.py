"""The request journal: every API request fakeforce answered, kept in a bounded ring so that a failing test
can ask "what did my code send, and what did the org answer?" (as WireMock's request journal does).

Pure data and functions: the ring, the redaction of secrets and the filters. The ASGI middleware that fills
it is :mod:`fakeforce.http.recorder`; the control call that reads it is :mod:`fakeforce.http.routes_requests`.
Secrets never enter the ring: the Authorization header is not kept, and passwords, client secrets, tokens and
session ids are replaced by ``***`` in query strings and in JSON, form, and XML bodies before they are cut.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Iterable
from urllib.parse import parse_qsl, urlencode

SECRET_KEYS = ("password", "client_secret", "access_token", "refresh_token", "id_token", "sessionid",
               "session_id", "assertion", "client_assertion", "code", "code_verifier", "security_token", "token")
"""Names whose values are secrets wherever they appear (JSON keys, form and query parameters, XML elements).
``code`` is the OAuth authorization code; ``token`` the revoke call's parameter."""

_KEYS = "|".join(re.escape(k) for k in SECRET_KEYS)
_JSON_SECRET = re.compile(rf'("(?:{_KEYS})"\s*:\s*)(?:"(?:[^"\\]|\\.)*("?)|[-+\w.]+)', re.IGNORECASE)
"""A secret JSON member: a string (perhaps cut open by the window) or a bare number / literal."""
_XML_SECRET = re.compile(rf"(<(?:\w+:)?(?:{_KEYS})\b[^>]*>)(?:<!\[CDATA\[.*?(?:\]\]>|$)|[^<])*",
                         re.IGNORECASE | re.DOTALL)
"""A secret XML element's text, CDATA sections included."""
_FORM_SECRET = re.compile(rf"(?<![^&?;\s])((?:{_KEYS})=)[^&\s]*", re.IGNORECASE)
"""A ``key=value`` pair in any text body: the OAuth token endpoint reads a body without (or with a wrong)
Content-Type as a form, so a form may arrive as text/plain or untyped."""
_TEXT_TYPES = ("json", "xml", "text/", "csv", "x-www-form-urlencoded", "javascript")
MASK = "***"


@dataclass
class Entry:
    """One request and its answer, as the journal keeps it."""

    id: int
    time: str
    method: str
    path: str
    query: str
    status: int | None
    """None when the connection was dropped before an answer (an injected ``drop`` fault, a client gone)."""
    duration_ms: float
    user_id: str | None
    username: str | None
    limit_info: str | None
    request_type: str | None
    request_body: str
    request_size: int
    response_type: str | None
    response_body: str
    response_size: int

    def as_json(self) -> dict:
        return asdict(self)


def redact_query(query: str) -> str:
    """The query string with secret parameters masked (``?access_token=...`` is allowed by some clients)."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(k.lower() in SECRET_KEYS for k, _ in pairs):
        return query
    return urlencode([(k, MASK if k.lower() in SECRET_KEYS else v) for k, v in pairs])


def redact_body(body: bytes, content_type: str | None, limit: int, total: int | None = None,
                encoding: str | None = None) -> str:
    """The body as text, secrets masked, cut to ``limit`` characters (a marker says how much was left
    out). Binary bodies (files, gzip) are described, not kept. Redaction runs on a window a little larger
    than the cut, so that a secret straddling the cut is masked too."""
    if not body:
        return ""
    total = len(body) if total is None else total
    kind = (content_type or "").lower()
    if encoding and encoding.lower() not in ("identity", ""):
        return f"<{total} bytes, {encoding.lower()}-encoded {kind or 'body'}>"
    if kind and not any(t in kind for t in _TEXT_TYPES) and "multipart" not in kind:
        return f"<{total} bytes of {kind}>"
    window = body[: limit + 4096].decode("utf-8", errors="replace")
    if "x-www-form-urlencoded" in kind:
        text = redact_query(window)
    else:
        text = _XML_SECRET.sub(lambda m: m.group(1) + MASK, _JSON_SECRET.sub(_mask_json, window))
        text = _FORM_SECRET.sub(lambda m: m.group(1) + MASK, text)
    if total > limit or len(text) > limit:
        return text[:limit] + f"...<cut: {total} bytes in all>"
    return text


def _mask_json(m: re.Match) -> str:
    """A masked JSON member; a cut-open string stays open, a bare value becomes the masked string."""
    closing = '"' if m.group(2) or not m.group(0)[len(m.group(1)):].startswith('"') else ""
    return f'{m.group(1)}"{MASK}{closing}'


@dataclass
class Filter:
    """What a reader asks for: all optional, combined with AND."""

    path: str | None = None
    """A prefix of the path (``/services/data/v60.0/composite``), or a substring when it starts with ``*``."""
    method: str | None = None
    status: str | None = None
    """An exact status (``201``), a class (``4xx``), or ``dropped``."""
    since: datetime | None = None
    limit: int = 100

    def matches(self, entry: Entry) -> bool:
        if self.path:
            if self.path.startswith("*"):
                if self.path[1:] not in entry.path:
                    return False
            elif not entry.path.startswith(self.path):
                return False
        if self.method and entry.method != self.method.upper():
            return False
        if self.status and not _status_matches(self.status, entry.status):
            return False
        if self.since and datetime.fromisoformat(entry.time) < self.since:
            return False
        return True


def _status_matches(wanted: str, status: int | None) -> bool:
    wanted = wanted.lower()
    if wanted == "dropped":
        return status is None
    if status is None:
        return False
    if len(wanted) == 3 and wanted.endswith("xx") and wanted[0].isdigit():
        return status // 100 == int(wanted[0])
    return wanted.isdigit() and int(wanted) == status


def parse_status(value: str) -> str:
    """Checks a ``status`` filter; raises ValueError with what is accepted."""
    v = value.lower()
    if v == "dropped" or (v.isdigit() and len(v) == 3) or (len(v) == 3 and v[0] in "12345" and v.endswith("xx")):
        return v
    raise ValueError("status: a status such as 201, a class such as 4xx, or dropped")


@dataclass
class RequestLog:
    """The bounded ring. Thread-safe: uvicorn answers on one loop, but tests read it from their own thread."""

    size: int = 1000
    body_limit: int = 4096
    enabled: bool = True
    _entries: deque = field(default_factory=deque, repr=False)
    _ids: Iterable[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    dropped: int = 0
    """Entries pushed out of the ring since the last clear."""

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)  # type: ignore[call-overload]

    def add(self, entry: Entry) -> None:
        if not self.enabled or self.size <= 0:
            return
        with self._lock:
            self._entries.append(entry)
            while len(self._entries) > self.size:
                self._entries.popleft()
                self.dropped += 1

    def find(self, wanted: Filter) -> list[Entry]:
        """Matching entries, newest first, at most ``wanted.limit``."""
        with self._lock:
            entries = list(self._entries)
        out = []
        for entry in reversed(entries):
            if wanted.matches(entry):
                out.append(entry)
                if len(out) >= wanted.limit:
                    break
        return out

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.dropped = 0


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
