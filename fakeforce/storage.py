"""TinyDB storages: memory, and a JSON file that is replaced atomically so a crash never leaves it half-written."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tinydb.storages import Storage


class MemoryStorage(Storage):
    """Keeps the whole database in one dict; TinyDB's tables mutate it in place."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def read(self) -> dict[str, Any]:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data

    def flush(self) -> None:
        """Nothing to persist."""


class AtomicJSONStorage(MemoryStorage):
    """The database in memory, persisted on :meth:`flush` by writing a temporary file, fsync and rename.

    ``os.replace`` is atomic on POSIX, so a reader (or a restart after kill -9) sees either the previous
    committed file or the new one, never a mix. Writes are deferred to ``flush`` so that one transaction
    costs one file write however many records it touches.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)  # a temporary file of a write that a kill interrupted
        if self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open("r", encoding="utf-8") as handle:
                self._data = json.load(handle)
        self._dirty = False

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self._dirty = True

    def flush(self) -> None:
        if not self._dirty:
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._data, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._dirty = False
