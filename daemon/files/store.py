"""The bytes of files (F4) in the state database: written in the journal's transaction when an event
carries them inline, or by the sender after a fetch; read when the sender builds a request."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timezone


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class FileStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def keep(self, key: str, data: bytes, source: str) -> None:
        """Bytes of a file; a redelivery keeps the first copy (same key, same file)."""
        self.conn.execute(
            "INSERT INTO files(key, data, size, sha256, source, created_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET data = COALESCE(files.data, excluded.data), "
            "size = COALESCE(files.size, excluded.size), sha256 = COALESCE(files.sha256, excluded.sha256)",
            (key, data, len(data), hashlib.sha256(data).hexdigest(), source, _now()))

    def keys(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` have bytes."""
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(f"SELECT key FROM files WHERE data IS NOT NULL AND key IN ({marks})", keys)
        return {r[0] for r in rows}

    def data(self, key: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM files WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def mark_sent(self, key: str) -> None:
        """Before a create goes out: a crash or lost reply after this makes the next attempt query first."""
        self.conn.execute("INSERT INTO files(key, source, created_at, sent_at) VALUES (?, 'none', ?, ?) "
                          "ON CONFLICT(key) DO UPDATE SET sent_at = excluded.sent_at", (key, _now(), _now()))

    def was_sent(self, key: str) -> bool:
        row = self.conn.execute("SELECT sent_at FROM files WHERE key = ?", (key,)).fetchone()
        return bool(row and row[0])

    def done(self, key: str, record_id: str) -> None:
        """The file is in Salesforce: its bytes are no longer needed here."""
        self.conn.execute("UPDATE files SET record_id = ?, data = NULL WHERE key = ?", (record_id, key))
