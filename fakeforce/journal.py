"""The journal's format, as pure functions: framing, reading back, replaying onto tables, file names.

A journal is a sequence of frames, one per committed transaction::

    4 bytes  payload length, big-endian
    4 bytes  CRC-32 of the payload, big-endian
    n bytes  payload: UTF-8 JSON {"c": clear-first, "o": [[table, id, document-or-null], ...]}

A crash can only tear the last frame (frames are appended in order and fsynced before the commit is
acknowledged), so reading stops at the first frame that is short or whose checksum does not match: that
tail was never acknowledged and is dropped whole, never half-applied.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any, Iterable

HEADER = struct.Struct(">II")
MAX_FRAME = 1 << 31
GENERATION_KEY = "journal_generation"
"""The ``_meta`` document in a snapshot that says which journals it already contains (those below it)."""

Op = tuple[str, str, "dict[str, Any] | None"]


def encode(ops: Iterable[Op], clear: bool = False) -> bytes:
    """One frame holding one transaction: its final document per key (None: removed)."""
    payload = json.dumps({"c": clear, "o": [list(op) for op in ops]}, separators=(",", ":"),
                         ensure_ascii=False).encode("utf-8")
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def decode(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """The whole frames at the start of ``data`` and the offset where they end (the rest is a torn tail)."""
    entries: list[dict[str, Any]] = []
    offset, size = 0, len(data)
    while offset + HEADER.size <= size:
        length, crc = HEADER.unpack_from(data, offset)
        start, end = offset + HEADER.size, offset + HEADER.size + length
        if end > size:
            break
        payload = data[start:end]
        if zlib.crc32(payload) != crc:
            break
        try:
            entry = json.loads(payload)
        except ValueError:
            break
        if not isinstance(entry, dict) or not isinstance(entry.get("o"), list):
            break
        entries.append(entry)
        offset = end
    return entries, offset


def torn_tail(data: bytes, end: int) -> bool:
    """Whether what :func:`decode` left at ``end`` is only a torn last frame (a write cut by a crash).

    Anything else (a bad frame followed by more data) is corruption in the middle: the frames after it
    were acknowledged once, so they are worth keeping a copy of before the journal is cut."""
    rest = len(data) - end
    if rest < HEADER.size:
        return True
    length, _ = HEADER.unpack_from(data, end)
    return end + HEADER.size + length >= len(data)


def apply(tables: dict[str, dict[str, Any]], entry: dict[str, Any]) -> None:
    """Replay one transaction onto the tables, in place."""
    if entry.get("c"):
        tables.clear()
    for table, key, document in entry["o"]:
        if document is None:
            tables.get(table, {}).pop(key, None)
        else:
            tables.setdefault(table, {})[key] = document


def journal_path(snapshot: Path, generation: int) -> Path:
    return snapshot.with_name(f"{snapshot.name}.journal.{generation}")


def journals(snapshot: Path) -> list[tuple[int, Path]]:
    """The journals beside a snapshot file, oldest first."""
    pattern = re.compile(re.escape(snapshot.name) + r"\.journal\.(\d+)$")
    found = []
    for candidate in snapshot.parent.glob(f"{glob_escape(snapshot.name)}.journal.*"):
        match = pattern.match(candidate.name)
        if match:
            found.append((int(match.group(1)), candidate))
    return sorted(found)


def glob_escape(name: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", name)


def generation_of(tables: dict[str, Any], meta_table: str) -> int:
    """Which journal a snapshot continues with: the ones below this number are already in it."""
    doc = tables.get(meta_table, {}).get(GENERATION_KEY)
    value = doc.get("value") if isinstance(doc, dict) else None
    return value if isinstance(value, int) and value >= 0 else 0


def with_generation(tables: dict[str, dict[str, Any]], meta_table: str, generation: int | None
                    ) -> dict[str, dict[str, Any]]:
    """A shallow copy of the tables, for a snapshot, stamped with (or without) the journal generation."""
    copied = {name: dict(table) for name, table in tables.items()}
    meta = copied.setdefault(meta_table, {})
    meta.pop(GENERATION_KEY, None)
    if generation is not None:
        meta[GENERATION_KEY] = {"value": generation}
    return copied
