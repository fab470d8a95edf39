"""Scenario expectations for files (F4): a file in the org with the bytes syncd was given.

``file: {title: a.txt, text: "hello" | base64: "...", parent: "SELECT Id FROM Case", count: 1}`` finds the
ContentVersions titled ``title`` (``count`` of them, default 1), checks that the bytes of each equal the
expected ones (VersionData read back as the org serves it) and, with ``parent``, that the file's document
is linked to the record that SOQL names (ContentDocumentLink)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from ..identify import soql_literal
from .matching import Mismatch

if TYPE_CHECKING:
    from .runner import Run


def check_file(run: "Run", spec: dict) -> None:
    title = spec["title"]
    total, rows = run.query(f"SELECT Id, ContentDocumentId, VersionData FROM ContentVersion "
                            f"WHERE Title = {soql_literal(title)}")
    if total != spec.get("count", 1):
        raise Mismatch(f"ContentVersion titled {title!r}: {total}, expected {spec.get('count', 1)}")
    want = base64.b64decode(spec["base64"]) if "base64" in spec else str(spec.get("text", "")).encode()
    for row in rows:
        got = _bytes(run, row["VersionData"])
        if got != want:
            raise Mismatch(f"{title!r}: the org holds {got[:60]!r} ({len(got)} bytes), expected {want[:60]!r}")
        if "parent" in spec:
            _, parents = run.query(spec["parent"])
            if len(parents) != 1:
                raise Mismatch(f"{spec['parent']}: {len(parents)} rows, expected the one parent record")
            _, links = run.query("SELECT LinkedEntityId FROM ContentDocumentLink WHERE ContentDocumentId = "
                                 f"{soql_literal(row['ContentDocumentId'])}")
            if parents[0]["Id"] not in {link["LinkedEntityId"] for link in links}:
                raise Mismatch(f"{title!r} is not linked to {parents[0]['Id']}: links {links}")


def _bytes(run: "Run", value: str) -> bytes:
    """VersionData as the org holds it: the local org's stored base64, or a real org's download URL."""
    if not (isinstance(value, str) and value.startswith("/services/")):
        return base64.b64decode(value or "")
    server = getattr(run.org, "server", None)
    if server is not None:  # in-process fakeforce: the record store keeps the bytes as base64
        found = server.org.lookup(value.rstrip("/").split("/")[-2])
        if found is None:
            raise Mismatch(f"no record behind {value}")
        return base64.b64decode(found[1].get("VersionData") or "")
    api = run.org.api
    answer = api.get(str(api.base_url.copy_with(path=value)))
    answer.raise_for_status()
    return answer.content
