"""Seed files: users and records with symbolic references between them, loaded all or nothing.

```yaml
users:
  - {ref: agent, Username: agent@example.com, LastName: Agent, password: secret}
records:
  Account:
    - {ref: acme, Name: Acme}
  Contact:
    - {ref: jane, LastName: Doe, AccountId: "@acme", CreatedDate: "2026-01-01T00:00:00Z"}
```

A string ``@name`` is the id of the record or user with ``ref: name`` (``@@`` escapes a literal ``@``).
Seeds may set fields the API keeps read-only (CreatedDate, CaseNumber...), as an admin with the
"Set Audit Fields" permission can, so tests can build history.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import records
from .errors import SalesforceError
from .org import Org
from .values import coerce


class SeedError(ValueError):
    """A seed that cannot be loaded; nothing of it was applied."""


def read_seed_file(path: str | Path) -> dict:
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(text) or {}
    return json.loads(text)


def load_seed_file(org: Org, path: str | Path) -> dict[str, str]:
    try:
        data = read_seed_file(path)
    except (OSError, ValueError) as exc:
        raise SeedError(f"{path}: {exc}") from None
    return load_seed(org, data)


def _items(data: dict) -> list[tuple[str, dict]]:
    recs = data.get("records", [])
    if isinstance(recs, dict):
        return [(type_name, dict(item)) for type_name, items in recs.items() for item in items]
    if isinstance(recs, list):
        out = []
        for item in recs:
            item = dict(item)
            if "type" not in item:
                raise SeedError("each record in a 'records' list needs a 'type'")
            out.append((item.pop("type"), item))
        return out
    raise SeedError("'records' must be a mapping of object name to a list, or a list")


def _resolve(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        if value.startswith("@@"):
            return value[1:]
        name = value[1:]
        if name not in refs:
            raise SeedError(f"unknown reference {value!r} (refs must be defined before they are used)")
        return refs[name]
    return value


def load_seed(org: Org, data: dict) -> dict[str, str]:
    """Apply a seed in one transaction; returns ref -> id."""
    if not isinstance(data, dict):
        raise SeedError("a seed is a mapping with 'users' and/or 'records'")
    refs: dict[str, str] = {}
    try:
        with org.store.transaction():
            for user in data.get("users", []) or []:
                user = dict(user)
                ref = user.pop("ref", None)
                password = str(user.pop("password", "fakeforce"))
                values = {k: _resolve(v, refs) for k, v in user.items()}
                uid = org.add_user(values, password)
                _force_read_only(org, "User", uid, values)
                if ref:
                    refs[ref] = uid
            for type_name, item in _items(data):
                ref = item.pop("ref", None)
                rid = insert_seeded(org, type_name, {k: _resolve(v, refs) for k, v in item.items()})
                if ref:
                    refs[ref] = rid
    except SalesforceError as exc:
        raise SeedError(f"{exc.error_code}: {exc.message}") from None
    except (KeyError, TypeError) as exc:
        raise SeedError(f"malformed seed: {exc!r}") from None
    return refs


def insert_seeded(org: Org, type_name: str, values: dict[str, Any]) -> str:
    obj = org.schema.get(type_name)
    if obj is None:
        raise SeedError(f"unknown object {type_name!r}")
    parsed: dict[str, Any] = {}
    for key, raw in values.items():
        field = obj.field(key)
        if field is None:
            raise records.invalid_field(obj, key)
        parsed[field.name] = coerce(field, raw)
    writable = {k: v for k, v in parsed.items() if (f := obj.field(k)) and f.describe.get("createable")}
    if parsed.get("Id"):
        if parsed["Id"][:3] != obj.key_prefix:
            raise SeedError(f"{type_name}: Id {parsed['Id']} does not have the key prefix {obj.key_prefix}")
        writable["Id"] = parsed["Id"]
    rid = org._insert(obj, writable, None)
    _force_read_only(org, obj.name, rid, {k: v for k, v in values.items() if k not in writable})
    return rid


def _force_read_only(org: Org, type_name: str, record_id: str, values: dict[str, Any]) -> None:
    """Set the fields the API keeps read-only (CreatedDate, CaseNumber...), as "Set Audit Fields" allows."""
    obj = org.sobject(type_name)
    forced = {}
    for key, raw in values.items():
        field = obj.field(key)
        if field is None or field.name == "Id" or field.describe.get("createable"):
            continue
        if raw is not None:
            forced[field.name] = coerce(field, raw)
    if forced:
        org.store.replace(obj.name, record_id, {**org.store.get(obj.name, record_id), **forced})
