"""syncd's existing store-level suites run again on PostgreSQL: the sender's (isolation, outages, merged
upserts, the budget, the indexed pick), the files sender's and the interactions service's. Each module's
``State`` is swapped for one on a fresh PostgreSQL database; the tests themselves are unchanged."""

from __future__ import annotations

import pytest

import test_files_sender as files_base
import test_interactions_service as interactions_base
import test_syncd_sender as sender_base
from daemon.state.store import State
from postgres_fixtures import create_database, drop_database, pg_server, postgresql_proc, server_url  # noqa: F401

BASES = (sender_base, files_base, interactions_base)


@pytest.fixture(autouse=True)
def _on_postgres(pg_server, monkeypatch):
    """Each SQLite path a test names becomes its own fresh database (a test may open two stores)."""
    databases: dict[str, str] = {}
    opened: list[State] = []

    def on_postgres(path, **kw):
        if path not in databases:
            databases[path] = create_database(pg_server)
        state = State(server_url(pg_server, databases[path]), **kw)
        opened.append(state)
        return state

    for base in BASES:
        monkeypatch.setattr(base, "State", on_postgres)
    yield
    for state in opened:
        try:
            state.close()
        except Exception:
            pass
    for name in databases.values():
        drop_database(pg_server, name)


def _adopt(base, prefix: str) -> None:
    """The base module's tests and fixtures under this module's name (pytest collects what it finds here)."""
    for name, value in vars(base).items():
        if name.startswith("test_") and callable(value):
            globals()[f"test_{prefix}_{name[5:]}"] = value
        elif hasattr(value, "_pytestfixturefunction") or type(value).__name__ == "FixtureFunctionDefinition":
            globals().setdefault(name, value)


for _base, _prefix in ((sender_base, "sender"), (files_base, "files"), (interactions_base, "interactions")):
    _adopt(_base, _prefix)
