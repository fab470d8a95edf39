"""Downloading an attachment's bytes (F4), only from configured URL prefixes (SSRF), with a timeout, a
size cap enforced while streaming and no redirects (a redirect could leave the allowed prefix)."""

from __future__ import annotations

import asyncio

import httpx


class FetchFailed(Exception):
    """``permanent``: the bytes can never be had as configured (dead letter); else try again later."""

    def __init__(self, code: str, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.code, self.message, self.permanent = code, message, permanent


async def fetch(url: str, *, max_bytes: int, timeout: float,
                transport: httpx.AsyncBaseTransport | None = None) -> bytes:
    """The bytes at ``url``; FetchFailed when they cannot be had (now, or ever). ``timeout`` bounds the
    whole download, not each read: a server trickling a byte a second must not hold the outbox."""
    try:
        async with asyncio.timeout(timeout), httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                                               transport=transport) as http:
            async with http.stream("GET", url) as response:
                if response.status_code >= 500 or response.status_code in (408, 429):
                    raise FetchFailed("FILE_FETCH_FAILED", f"GET {url} answered {response.status_code}", False)
                if response.status_code != 200:
                    raise FetchFailed("FILE_FETCH_FAILED", f"GET {url} answered {response.status_code}", True)
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise too_large(int(declared), max_bytes)
                chunks, total = [], 0
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        raise too_large(total, max_bytes, at_least=True)
                    chunks.append(chunk)
                return b"".join(chunks)
    except (httpx.TimeoutException, TimeoutError):
        raise FetchFailed("FILE_FETCH_FAILED", f"GET {url} timed out after {timeout:g}s", False) from None
    except httpx.HTTPError as exc:
        raise FetchFailed("FILE_FETCH_FAILED", f"GET {url} failed: {type(exc).__name__}: {exc}", False) from None


def too_large(size: int, max_bytes: int, at_least: bool = False) -> FetchFailed:
    more = "more than " if at_least else ""
    return FetchFailed("FILE_TOO_LARGE", f"the file has {more}{size} bytes; files.max_bytes is {max_bytes}", True)
