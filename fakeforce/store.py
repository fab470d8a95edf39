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
from tinydb.table import Document, Table

from .storage import AtomicJSONStorage, MemoryStorage

META_TABLE = "_meta"


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

    # -- writes (inside a transaction) ---------------------------------------------------------------
    def _log(self, undo: Callable[[], None]) -> None:
        if self._undo is None:
            raise RuntimeError("store writes need a transaction")
        self._undo.append(undo)

    def insert(self, type_name: str, record_id: str, record: dict) -> None:
        table = self.db.table(type_name)
        table.insert(Document(record, doc_id=record_id))
        self._log(lambda: table.remove(doc_ids=[record_id]))

    def replace(self, type_name: str, record_id: str, record: dict) -> None:
        """Store a new version of an existing record (the caller built it from a copy)."""
        raw = self._raw(type_name)
        old = raw[record_id]
        table = self.db.table(type_name)

        def put(value: dict) -> Callable[[dict], None]:
            return lambda t: t.__setitem__(record_id, value)

        table._update_table(put(record))
        self._log(lambda: table._update_table(put(old)))

    def remove(self, type_name: str, record_id: str) -> None:
        old = self._raw(type_name)[record_id]
        table = self.db.table(type_name)
        table.remove(doc_ids=[record_id])
        self._log(lambda: table.insert(Document(old, doc_id=record_id)))

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
            data = self._storage_obj.read()  # type: ignore[union-attr]
            saved = copy.copy(data)
            self._storage_obj.write({})  # type: ignore[union-attr]
            self.db.clear_cache()
            self._log(lambda: self._storage_obj.write(saved))  # type: ignore[union-attr]

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
