"""Reading the org over REST, independently of the tool under test: what its results are checked against."""

from __future__ import annotations

from typing import Any

import httpx


def soql(api: httpx.Client, query: str, all_rows: bool = False) -> list[dict[str, Any]]:
    """Every record of ``query`` (following nextRecordsUrl)."""
    r = api.get("/queryAll" if all_rows else "/query", params={"q": query})
    out: list[dict[str, Any]] = []
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["records"])
        if body.get("done", True):
            return out
        r = api.get(str(api.base_url.copy_with(path=body["nextRecordsUrl"], query=None)))
