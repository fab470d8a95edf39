"""Records on TinyDB: one table per object keyed by the 18-character Id, with all-or-nothing transactions.

A transaction holds the store's lock, keeps an undo log, and persists once at commit; an exception
rolls every change back in memory and leaves the file as it was.
"""

from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from tinydb import TinyDB
from tinydb.table import Table

from .storage import AtomicJSONStorage, MemoryStorage

META_TABLE = "_meta"


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
        self._storage_obj: MemoryStorage | None = None
        self.db = RecordDB(storage=self._make_storage)
        self.lock = threading.RLock()
        self._undo: list[Callable[[], None]] | None = None
        self._depth = 0
        self._index_fields: dict[str, set[str]] = {}
        self._indexes: dict[str, dict[str, dict[Any, set[str]]]] = {}

    def _make_storage(self) -> MemoryStorage:
        self._storage_obj = AtomicJSONStorage(self.path) if self.path else MemoryStorage()
        return self._storage_obj

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

    def _put(self, type_name: str, record_id: str, record: dict | None) -> None:
        """Set (or with None remove) one record, keeping the indexes in step."""
        table = self.db.table(type_name)
        old = self._raw(type_name).get(record_id)
        if old is not None:
            self._index(type_name, old, add=False)
        if record is None:
            table._update_table(lambda t: t.pop(record_id, None))
        else:
            table._update_table(lambda t: t.__setitem__(record_id, record))
            self._index(type_name, record, add=True)

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
        table = self.db.table(META_TABLE)
        old = self._raw(META_TABLE).get(key)
        table._update_table(lambda t: t.__setitem__(key, {"value": copy.deepcopy(value)}))
        if old is None:
            self._log(lambda: table._update_table(lambda t: t.pop(key, None)))
        else:
            self._log(lambda: table._update_table(lambda t: t.__setitem__(key, old)))

    def clear(self) -> None:
        with self.transaction():
            saved = copy.copy(self._storage_obj.read())  # type: ignore[union-attr]

            def restore() -> None:
                self._storage_obj.write(saved)  # type: ignore[union-attr]
                self.set_indexes(self._index_fields)

            self._storage_obj.write({})  # type: ignore[union-attr]
            self.db.clear_cache()
            self.set_indexes(self._index_fields)
            self._log(restore)

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """All writes inside commit together (one atomic file write) or not at all.

        Nested transactions are savepoints: a failure inside one undoes its own writes only, so the
        caller may catch it and go on (composite without allOrNone); the outermost one persists.
        """
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._undo = []
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
                        self._storage_obj.flush()  # type: ignore[union-attr]
                    except BaseException:
                        while undo:
                            undo.pop()()
                        self.db.clear_cache()
                        raise
            finally:
                self._depth -= 1
                if outer:
                    self._undo = None

    def close(self) -> None:
        self.db.close()
