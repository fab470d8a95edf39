"""TinyDB storages: memory, and a data file kept as a snapshot plus an append-only journal.

Rewriting the whole file on every commit made a write cost grow with the org (999 ms per create at 100,000
Contacts). :class:`JournalStorage` instead appends each committed transaction to a journal, one fsync per
commit (shared by commits that land together), and rewrites the compact snapshot only when the journal has
grown past a threshold, in a background thread. Loading reads the snapshot and replays the journals.

Files, for ``--data org.json``: ``org.json`` (the snapshot: plain TinyDB JSON, always complete, replaced
atomically) and ``org.json.journal.<n>`` (the transactions since; ``_meta.journal_generation`` in the
snapshot says which journal numbers it already holds).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterable

from tinydb.storages import Storage

from . import journal
from .journal_writer import JournalWriter, fsync_dir

log = logging.getLogger(__name__)


def keep_corrupt_copy(file: Path, data: bytes, end: int) -> Path:
    """Copy a journal that is corrupt in the middle aside before its tail is cut for good: the frames
    after the bad one were acknowledged, so an operator may want them back."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    copy = file.with_name(f"{file.name}.corrupt-{stamp}-{os.getpid()}")
    copy.write_bytes(data)
    log.error("%s is corrupt at byte %d and later frames are dropped; the whole file was copied to %s",
              file, end, copy)
    return copy
COMPACT_MIN_BYTES = int(os.environ.get("FAKEFORCE_JOURNAL_COMPACT_BYTES", 8 * 1024 * 1024))
"""The journal compacts into the snapshot once it is larger than this and than the snapshot itself."""


class MemoryStorage(Storage):
    """Keeps the whole database in one dict; TinyDB's tables mutate it in place."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def read(self) -> dict[str, Any]:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data

    def commit(self, ops: Iterable[journal.Op], clear: bool, whole: bool) -> int | None:
        """Persist one transaction (called under the store's lock); a ticket for :meth:`wait_durable`."""
        return None

    def wait_durable(self, ticket: int | None) -> None:
        """Nothing to persist."""

    def snapshot(self, lock: Any) -> dict[str, Any]:
        """A consistent shallow copy of every table, taken under the store's lock."""
        with lock:
            return journal.with_generation(self._data, META_TABLE, None)

    def close(self) -> None:
        """Nothing to release."""


META_TABLE = "_meta"


def write_json_atomically(path: Path, data: dict[str, Any]) -> int:
    """Write to a temporary file, fsync, rename over ``path``, fsync the folder: all or nothing; the size."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            size = handle.tell()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)
    return size


class JournalStorage(MemoryStorage):
    """The database in memory; commits appended to a journal; a snapshot compacted now and then."""

    def __init__(self, path: str | os.PathLike[str], lock: Any, compact_bytes: int | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.lock = lock
        self.compact_bytes = COMPACT_MIN_BYTES if compact_bytes is None else compact_bytes
        self.compactions = 0
        self._compacting = threading.Lock()
        self._worker: threading.Thread | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(f".{journal.glob_escape(self.path.name)}.*.tmp"):
            stale.unlink(missing_ok=True)  # a snapshot that a kill interrupted before its rename
        self.snapshot_bytes = 0
        if self.path.exists() and self.path.stat().st_size > 0:
            raw = self.path.read_bytes()
            self.snapshot_bytes = len(raw)
            self._data = json.loads(raw)
        base = journal.generation_of(self._data, META_TABLE)
        self._generation, valid, replayed = base, None, 0
        for generation, file in journal.journals(self.path):
            if generation < base:
                file.unlink(missing_ok=True)  # already in the snapshot: a compaction ended before deleting it
                continue
            data = file.read_bytes()
            entries, end = journal.decode(data)
            for entry in entries:
                journal.apply(self._data, entry)
            if end != len(data) and journal.torn_tail(data, end):
                log.warning("dropped a torn, unacknowledged tail of %s at byte %d", file, end)
            elif end != len(data):
                keep_corrupt_copy(file, data, end)
            self._generation, valid, replayed = generation, end, len(entries)
        if not self.path.exists():
            self.snapshot_bytes = write_json_atomically(
                self.path, journal.with_generation(self._data, META_TABLE, self._generation))
        self._writer = JournalWriter(journal.journal_path(self.path, self._generation), valid)
        self._writer.frames = replayed
        if self._writer.size > max(self.compact_bytes, self.snapshot_bytes):
            self.compact_in_background()

    # -- commits ------------------------------------------------------------------------------------
    def commit(self, ops: Iterable[journal.Op], clear: bool, whole: bool) -> int | None:
        if whole:  # a rollback restored the tables wholesale: record the whole state, cleared first
            ops = [(name, key, doc) for name, table in self._data.items() for key, doc in table.items()]
            clear = True
        ticket = self._writer.append(journal.encode(ops, clear))
        if self._writer.size > max(self.compact_bytes, self.snapshot_bytes):
            self.compact_in_background()
        return ticket

    def wait_durable(self, ticket: int | None) -> None:
        if ticket is not None:
            self._writer.wait_durable(ticket)

    @property
    def journal_bytes(self) -> int:
        return self._writer.size

    @property
    def fsyncs(self) -> int:
        return self._writer.fsyncs

    # -- compaction ---------------------------------------------------------------------------------
    def compact_in_background(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        self._worker = threading.Thread(target=self._compact_quietly, name="fakeforce-compaction", daemon=True)
        self._worker.start()

    def _compact_quietly(self) -> None:
        try:
            self.compact()
        except Exception:  # the journal still holds everything: the next threshold crossing retries
            log.exception("compacting %s failed", self.path)

    def compact(self) -> None:
        """Write the snapshot anew and drop the journals it holds.

        Under the store's lock (a few milliseconds): copy the tables shallowly (records are replaced, never
        changed in place) and switch to a new journal. Outside it: serialise and write the snapshot, then
        delete the old journals. A kill at any step leaves a snapshot and journals that replay to the
        same state.
        """
        with self._compacting:
            with self.lock:
                generation = self._generation + 1
                tables = journal.with_generation(self._data, META_TABLE, generation)
                self._writer.rotate(journal.journal_path(self.path, generation))
                self._generation = generation
            self.snapshot_bytes = write_json_atomically(self.path, tables)
            for old, file in journal.journals(self.path):
                if old < generation:
                    file.unlink(missing_ok=True)
            self.compactions += 1

    def close(self) -> None:
        """Wait for a running compaction; compact what the journal holds so the next start reads one file."""
        worker = self._worker
        if worker is not None:
            worker.join()
        try:
            if self._writer.frames:
                self.compact()
        finally:
            self._writer.close()
