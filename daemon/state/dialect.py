"""The few differences between SQLite and PostgreSQL SQL, named in one place.

syncd's stores keep ONE set of SQL, written in the SQLite spelling (``?`` placeholders, ``json_extract``,
``BEGIN IMMEDIATE``); :func:`to_postgres` rewrites a statement for psycopg. Everything else the stores use
(``INSERT ... ON CONFLICT``, ``COALESCE``, partial indexes, ``LIMIT``) means the same on both engines."""

from __future__ import annotations

import re
from functools import lru_cache

_JSON_EXTRACT = re.compile(r"json_extract\(\s*(\w+)\s*,\s*'\$\.([\w.]+)'\s*\)")
_TRANSACTION = {"BEGIN": "BEGIN", "BEGIN IMMEDIATE": "BEGIN", "COMMIT": "COMMIT", "ROLLBACK": "ROLLBACK"}


@lru_cache(maxsize=2048)
def transaction_word(sql: str) -> str | None:
    """``BEGIN``/``COMMIT``/``ROLLBACK`` when ``sql`` is one of them (however SQLite spells it), else None."""
    return _TRANSACTION.get(" ".join(sql.split()).rstrip(";").upper())


@lru_cache(maxsize=2048)  # the stores' statements are a few hundred constants
def to_postgres(sql: str) -> str:
    """``?`` → ``%s`` and a literal ``%`` → ``%%`` outside quoted strings (psycopg's placeholders), and
    ``json_extract(col, '$.a.b')`` → ``(col::jsonb #>> '{a,b}')`` (the JSON columns are TEXT on both)."""
    sql = _JSON_EXTRACT.sub(lambda m: f"({m.group(1)}::jsonb #>> '{{{m.group(2).replace('.', ',')}}}')", sql)
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted  # a doubled '' toggles twice: still right
        if char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


def is_postgres_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


NUL_STANDIN = "\u2400"
"""PostgreSQL's TEXT cannot hold NUL, which SQLite's can (care case numbers key a pair as
``customer\\x00profile``): in parameters a NUL becomes this stand-in, the same way on every write and
look-up, so keys stay distinct and matched."""


def postgres_params(params):
    """Parameters for psycopg: strings with NUL get the stand-in; everything else as it is."""
    if params is None:
        return None
    return tuple(p.replace("\x00", NUL_STANDIN) if isinstance(p, str) and "\x00" in p else p for p in params)
