"""DNS-rebinding and cross-site defences for a control surface left open without a token.

A test-mode server on loopback opens its control surface and console without a token. A web page can
still reach it: a rebound DNS name (``evil.example`` resolving to 127.0.0.1) makes the browser send
``Host: evil.example``, and a cross-site form POST carries the attacker's ``Origin``. So an open surface
answers only requests addressed to a loopback name, and refuses a write whose ``Origin`` is not its own.
Pure functions of the headers; the routes decide what to answer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})


def split_host(netloc: str) -> tuple[str, str]:
    """``(name, port)`` of a Host header or an origin's netloc; ``[::1]:80`` gives ``("::1", "80")``."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        name, _, rest = netloc[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else ""
    name, _, port = netloc.partition(":") if netloc.count(":") <= 1 else (netloc, "", "")
    return name.rstrip("."), port


def loopback_host(request: Request) -> bool:
    """The request was addressed to a loopback name (any port)."""
    return split_host(request.headers.get("host", ""))[0] in LOOPBACK_NAMES


def foreign_origin(request: Request) -> bool:
    """A browser sent an ``Origin`` other than this server's own loopback host and port."""
    origin = request.headers.get("origin")
    if origin is None:
        return False
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return True  # ``null`` (a sandboxed frame, a file: page) and anything odd
    own = split_host(request.headers.get("host", ""))
    return own[0] not in LOOPBACK_NAMES or split_host(parts.netloc) != own
