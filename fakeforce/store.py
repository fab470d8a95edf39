"""Records on TinyDB: one table per object keyed by the 18-character Id, with all-or-nothing transactions.

A transaction holds the store's lock, keeps an undo log and the final document of each key it touched,
and persists once at commit (one journal frame with a data file); an exception rolls every change back in
memory and leaves the file as it was. Waiting for the fsync happens after the lock is released, so commits
from several threads share one (group commit).
"""

from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from tinydb import TinyDB
from tinydb.table import Table

from .storage import META_TABLE, JournalStorage, MemoryStorage


def index_key(value: Any) -> Any:
    """Index keys compare text case-insensitively, as SOQL's = does."""
    return value.casefold() if isinstance(value, str) else value


class RecordTable(Table):
    """A TinyDB table whose document ids are Salesforce ids, updated in place (O(1) per write)."""

    document_id_class = str

    def _update_table(self, updater: Callable[[dict], None]) -> None:
        tables = self._storage.read()
        raw = tables.setdefault(self.name, {})
        updater(raw)
        self._storage.write(tables)
        self.clear_cache()


class RecordDB(TinyDB):
    table_class = RecordTable


class Store:
    """The org's records. Reads return the stored dicts: copy before changing them outside the store."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._storage_obj: MemoryStorage | None = None
        self.db = RecordDB(storage=self._make_storage)
        self._journaled = path is not None
        self._pending: dict[tuple[str, str], dict | None] = {}
        self._pending_clear = False
        self._pending_whole = False
        self._undo: list[Callable[[], None]] | None = None
        self._depth = 0
        self._index_fields: dict[str, set[str]] = {}
        self._indexes: dict[str, dict[str, dict[Any, set[str]]]] = {}
        self._versions: dict[str, int] = {}
        self._epoch = 0

    def _make_storage(self) -> MemoryStorage:
        self._storage_obj = JournalStorage(self.path, self.lock) if self.path else MemoryStorage()
        return self._storage_obj

    @property
    def storage(self) -> MemoryStorage:
        return self._storage_obj  # type: ignore[return-value]

    def snapshot(self) -> dict[str, dict]:
        """Every table as one consistent, shallow copy (the data file's format), for copying a running org."""
        return self.storage.snapshot(self.lock)

    # -- reads -------------------------------------------------------------------------------------
    def _raw(self, type_name: str) -> dict[str, dict]:
        return self._storage_obj.read().get(type_name, {})  # type: ignore[union-attr]

    def get(self, type_name: str, record_id: str) -> dict | None:
        return self._raw(type_name).get(record_id)

    def records(self, type_name: str) -> Iterator[dict]:
        return iter(list(self._raw(type_name).values()))

    def count(self, type_name: str) -> int:
        return len(self._raw(type_name))

    def tables(self) -> list[str]:
        return [t for t in self._storage_obj.read() if t != META_TABLE]  # type: ignore[union-attr]

    def meta(self, key: str, default: Any = None) -> Any:
        doc = self._raw(META_TABLE).get(key)
        return copy.deepcopy(doc["value"]) if doc is not None else default

    # -- indexes ------------------------------------------------------------------------------------
    def set_indexes(self, fields_by_type: dict[str, set[str]]) -> None:
        """Index these fields (besides Id) of each object: value -> ids, for equality and IN lookups."""
        with self.lock:
            self._index_fields = {t: set(f) for t, f in fields_by_type.items()}
            self._indexes = {t: {f: {} for f in fs} for t, fs in self._index_fields.items()}
            for type_name in self._index_fields:
                for record in self._raw(type_name).values():
                    self._index(type_name, record, add=True)

    def _index(self, type_name: str, record: dict, *, add: bool) -> None:
        for field, index in self._indexes.get(type_name, {}).items():
            value = record.get(field)
            if value is None:
                continue
            key = index_key(value)
            if add:
                index.setdefault(key, set()).add(record["Id"])
            else:
                ids = index.get(key)
                if ids is not None:
                    ids.discard(record["Id"])
                    if not ids:
                        del index[key]

    def indexed(self, type_name: str, field: str) -> bool:
        return field in self._index_fields.get(type_name, ())

    def lookup_index(self, type_name: str, field: str, value: Any) -> set[str]:
        """Ids whose ``field`` equals ``value`` (text case-insensitively); the field must be indexed."""
        return self._indexes[type_name][field].get(index_key(value), set())

    # -- writes (inside a transaction) ---------------------------------------------------------------
    def _log(self, undo: Callable[[], None]) -> None:
        if self._undo is None:
            raise RuntimeError("store writes need a transaction")
        self._undo.append(undo)

    def version(self, type_name: str) -> tuple[int, int]:
        """A number that changes whenever a record of ``type_name`` does (writes, undos, clears): what a
        derived structure (the SOQL ordered index) compares to know it is still current."""
        return self._epoch, self._versions.get(type_name, 0)

    def _put(self, type_name: str, record_id: str, record: dict | None) -> None:
        """Set (or with None remove) one record, keeping the indexes in step."""
        self._versions[type_name] = self._versions.get(type_name, 0) + 1
        table = self.db.table(type_name)
        old = self._raw(type_name).get(record_id)
        if old is not None:
            self._index(type_name, old, add=False)
        if record is None:
            table._update_table(lambda t: t.pop(record_id, None))
        else:
            table._update_table(lambda t: t.__setitem__(record_id, record))
            self._index(type_name, record, add=True)
        if self._journaled:
            self._pending[(type_name, record_id)] = record

    def insert(self, type_name: str, record_id: str, record: dict) -> None:
        if self._raw(type_name).get(record_id) is not None:
            raise ValueError(f"{type_name} {record_id} exists")
        self._put(type_name, record_id, record)
        self._log(lambda: self._put(type_name, record_id, None))

    def replace(self, type_name: str, record_id: str, record: dict) -> None:
        """Store a new version of an existing record (the caller built it from a copy)."""
        old = self._raw(type_name)[record_id]
        self._put(type_name, record_id, record)
        self._log(lambda: self._put(type_name, record_id, old))

    def remove(self, type_name: str, record_id: str) -> None:
        old = self._raw(type_name)[record_id]
        self._put(type_name, record_id, None)
        self._log(lambda: self._put(type_name, record_id, old))

    def set_meta(self, key: str, value: Any) -> None:
        old = self._raw(META_TABLE).get(key)
        self._put(META_TABLE, key, {"value": copy.deepcopy(value)})
        self._log(lambda: self._put(META_TABLE, key, old))

    def clear(self) -> None:
        with self.transaction():
            saved = copy.copy(self._storage_obj.read())  # type: ignore[union-attr]

            def restore() -> None:
                self._epoch += 1
                self._storage_obj.write(saved)  # type: ignore[union-attr]
                self.set_indexes(self._index_fields)
                self._pending_whole = True

            self._epoch += 1  # every table changes at once
            self._storage_obj.write({})  # type: ignore[union-attr]
            self._pending.clear()
            self._pending_clear = True
            self.db.clear_cache()
            self.set_indexes(self._index_fields)
            self._log(restore)

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """All writes inside commit together (one journal frame, one fsync) or not at all.

        Nested transactions are savepoints: a failure inside one undoes its own writes only, so the
        caller may catch it and go on (composite without allOrNone); the outermost one persists, and
        returns only once its frame is durable.
        """
        ticket = None
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._undo = []
                self._reset_pending()
            undo = self._undo
            assert undo is not None
            mark = len(undo)
            self._depth += 1
            try:
                yield self
            except BaseException:
                while len(undo) > mark:
                    undo.pop()()
                self.db.clear_cache()
                raise
            else:
                if outer:
                    try:
                        ticket = self._commit()
                    except BaseException:
                        while undo:
                            undo.pop()()
                        self.db.clear_cache()
                        raise
            finally:
                self._depth -= 1
                if outer:
                    self._undo = None
                    self._reset_pending()
        self.storage.wait_durable(ticket)

    def _commit(self) -> int | None:
        """Hand the transaction's final documents to the storage (under the lock: frames keep commit order)."""
        if not self._journaled or not (self._pending or self._pending_clear or self._pending_whole):
            return None
        ops = [(table, key, doc) for (table, key), doc in self._pending.items()]
        return self.storage.commit(ops, self._pending_clear, self._pending_whole)

    def _reset_pending(self) -> None:
        self._pending = {}
        self._pending_clear = self._pending_whole = False

    def close(self) -> None:
        """Wait for a compaction in flight and fold the journal into the snapshot (a data file only)."""
        self.db.close()  # TinyDB closes the storage
