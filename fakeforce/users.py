"""The org's users: creating a user who can log in, checking passwords, whether a user is active.

A mixin of ``Org`` (it uses the org's store, schema, settings and record rules)."""

from __future__ import annotations

import re
from typing import Any

from . import records
from .schema import Field
from .values import coerce


class UserAccounts:
    def add_user(self, values: dict[str, Any], password: str, *, record_id: str | None = None,
                 ctx: records.WriteContext | None = None) -> str:
        """A user who can log in; required User fields get the values an admin would pick."""
        obj = self.sobject("User")
        username = values["Username"]
        alias = re.sub(r"[^a-z0-9]", "", username.split("@")[0].lower())[:8] or "user"
        full = {"Email": username, "Alias": alias, "CommunityNickname": f"{alias}{self._next_number('nick')}",
                "TimeZoneSidKey": "GMT", "LocaleSidKey": "en_US", "EmailEncodingKey": "UTF-8",
                "LanguageLocaleKey": "en_US", "IsActive": True, **values}
        if "ProfileId" not in full:
            full["ProfileId"] = self._default_profile()
        ctx = ctx or self._context(None)
        with self.store.transaction():
            rid = record_id or self.new_id(obj)
            parsed = {f.name: v for k, v in full.items() if (f := obj.field(k)) is not None}
            record = records.build_new(obj, {k: self._coerce(obj.field(k), v) for k, v in parsed.items()},
                                       rid, ctx, {})
            self._check_unique(obj, record, None)
            self.store.insert(obj.name, rid, record)
            creds = self.store.meta("credentials", {})
            creds[username.lower()] = {"user_id": rid, "password": password}
            self.store.set_meta("credentials", creds)
        return rid

    def _coerce(self, field: Field | None, value: Any) -> Any:
        return coerce(field, value) if field is not None else value

    def _default_profile(self) -> str | None:
        for rec in self.store.records("Profile"):
            return rec["Id"]
        return None

    def check_password(self, username: str, password: str) -> str | None:
        """The user id for a username and password (plus the security token), if they match an active user."""
        cred = self.store.meta("credentials", {}).get(username.lower())
        if cred is None or password != cred["password"] + self.settings.security_token:
            return None
        return cred["user_id"] if self.user_active(cred["user_id"]) else None

    def user_by_username(self, username: str) -> str | None:
        cred = self.store.meta("credentials", {}).get(username.lower())
        return cred["user_id"] if cred and self.user_active(cred["user_id"]) else None

    def user_active(self, user_id: str) -> bool:
        user = self.store.get("User", user_id)
        return bool(user and user.get("IsActive", True) and not user.get("IsDeleted"))

    def user(self, user_id: str) -> dict:
        return self.store.get("User", user_id) or {}

