"""The org: schema, record store, ids and clock, and the record operations that the HTTP routes expose."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from . import activities, content, duplicates, formats, records
from .clock import Clock
from .duplicates import DuplicateRule, SaveOptions
from .errors import MultipleMatches, SalesforceError, not_found
from .ids import make_id, to18
from .schema import Field, Schema, SObject, load_schema
from .settings import OrgSettings
from .store import Store
from .users import UserAccounts

_ID_SHAPE = re.compile(r"[0-9A-Za-z]{15}([0-9A-Za-z]{3})?\Z")  # \Z: $ would allow a trailing newline


INDEXED_TYPES = {"reference", "email"}


def index_plan(schema: Schema) -> dict[str, set[str]]:
    """Which fields get an index: lookups, external ids, unique and idLookup fields, emails (Id is the key)."""
    plan: dict[str, set[str]] = {}
    for obj in schema:
        fields = set()
        for f in obj.fields:
            d = f.describe
            if f.name == "Id" or f.type in ("textarea", "base64", "address", "location"):
                continue
            if f.type in INDEXED_TYPES or d.get("externalId") or d.get("unique") or d.get("idLookup"):
                fields.add(f.name)
        plan[obj.name] = fields
    return plan


class Org(UserAccounts):
    """One Salesforce org in memory (or in a TinyDB JSON file)."""

    def __init__(self, *, schema_files: Iterable[str | Path] = (), data_path: str | None = None,
                 settings: OrgSettings | None = None, clock: Clock | None = None,
                 schema: Schema | None = None) -> None:
        self.settings = settings or OrgSettings()
        self.clock = clock or Clock()
        self.schema_files = list(schema_files)
        self.schema = schema or load_schema(self.schema_files)
        self.store = Store(data_path)
        self.store.set_indexes(index_plan(self.schema))
        self.duplicate_rules: list[DuplicateRule] = list(self.schema.duplicate_rules)
        """Active duplicate rules: the schema files' (none by default), or set by tests and the control surface."""
        self.org_id = make_id("00D", self.settings.pod, 1)
        self.bootstrap()

    # -- identity ----------------------------------------------------------------------------------
    def now(self) -> str:
        return formats.format_datetime(self.clock.now())

    def sobject(self, type_name: str) -> SObject:
        obj = self.schema.get(type_name)
        if obj is None:
            raise not_found()
        return obj

    def _next_number(self, key: str) -> int:
        counters = self.store.meta("counters", {})
        counters[key] = counters.get(key, 0) + 1
        self.store.set_meta("counters", counters)
        return counters[key]

    def new_id(self, obj: SObject) -> str:
        prefix = obj.key_prefix or "a00"
        return make_id(prefix, self.settings.pod, self._next_number("id:" + prefix) + 1000)

    def lookup(self, record_id: str) -> tuple[SObject, dict] | None:
        """The live or deleted record with this id, whatever its object."""
        try:
            rid = to18(record_id)
        except ValueError:
            return None
        obj = self.schema.by_prefix(rid[:3])
        if obj is None:
            return None
        record = self.store.get(obj.name, rid)
        return (obj, record) if record is not None else None

    def _context(self, user_id: str | None) -> records.WriteContext:
        return records.WriteContext(now=self.now(), user_id=user_id or self.admin_user_id, lookup=self.lookup,
                                    owner_of=self.schema.by_prefix,
                                    closed_task_statuses=activities.closed_statuses(self))

    # -- bootstrap ---------------------------------------------------------------------------------
    @property
    def admin_user_id(self) -> str:
        return self.store.meta("admin_user_id")

    def bootstrap(self) -> None:
        """A fresh org has its Organization row, a System Administrator profile and the admin user."""
        if self.store.meta("admin_user_id"):
            return
        with self.store.transaction():
            s = self.settings
            user_obj = self.sobject("User")
            admin_id = make_id(user_obj.key_prefix or "005", s.pod, 1)
            self.store.set_meta("admin_user_id", admin_id)
            ctx = records.WriteContext(now=self.now(), user_id=admin_id, lookup=self.lookup,
                                       owner_of=self.schema.by_prefix)
            profile_id = self._insert_system("Profile", {"Name": "System Administrator"}, ctx)
            self._insert_system("Organization", {"Name": s.org_name, "IsSandbox": s.is_sandbox,
                                                 "OrganizationType": "Developer Edition",
                                                 "TimeZoneSidKey": s.time_zone, "InstanceName": "FF" + s.pod.upper()},
                                ctx, record_id=self.org_id)
            activities.seed_statuses(self, ctx)
            self.add_user({"Username": s.username, "LastName": "Admin", "FirstName": "Fakeforce",
                           "Email": s.username, "ProfileId": profile_id}, s.password, record_id=admin_id, ctx=ctx)

    def _insert_system(self, type_name: str, values: dict, ctx: records.WriteContext,
                       record_id: str | None = None) -> str | None:
        obj = self.schema.get(type_name)
        if obj is None:
            return None
        rid = record_id or self.new_id(obj)
        known = {f.name: v for k, v in values.items() if (f := obj.field(k)) is not None}
        record = {"Id": rid, **known}
        for name in records.SYSTEM_FIELDS:
            if obj.field(name) is not None:
                record[name] = ctx.user_id if name.endswith("ById") else ctx.now
        if obj.field("IsDeleted") is not None:
            record["IsDeleted"] = False
        self.store.insert(obj.name, rid, record)
        return rid

    # -- records -----------------------------------------------------------------------------------
    def record_id(self, obj: SObject, text: str) -> str:
        """The 18-character id of a record id in a URL, or Salesforce's error for a bad one."""
        try:
            rid = to18(text)
        except ValueError:
            raise SalesforceError("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {text}", 400) from None
        if rid[:3] != obj.key_prefix:
            raise SalesforceError("MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {text}", 400)
        return rid

    def looks_like_id(self, text: str) -> bool:
        return bool(_ID_SHAPE.match(text))

    def _live(self, obj: SObject, rid: str, *, reading: bool = False) -> dict:
        """The record if it exists and is not in the recycle bin (reads say NOT_FOUND, writes ENTITY_IS_DELETED)."""
        record = self.store.get(obj.name, rid)
        if record is None or (reading and record.get("IsDeleted")):
            raise not_found()
        if record.get("IsDeleted"):
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", 404)
        return record

    def get(self, type_name: str, record_id: str, fields: list[str] | None = None, version: str = "62.0") -> dict:
        obj = self.sobject(type_name)
        with self.store.lock:
            record = self._live(obj, self.record_id(obj, record_id), reading=True)
            return records.render(obj, record, version, self._fields(obj, fields))

    def _fields(self, obj: SObject, names: list[str] | None) -> list[Field] | None:
        if names is None:
            return None
        out = []
        for name in names:
            field = obj.field(name.strip())
            if field is None:
                raise SalesforceError("INVALID_FIELD", f"No such column '{name.strip()}' on entity '{obj.name}'. If "
                                      "you are attempting to use a custom field, be sure to append the '__c' after "
                                      "the custom field name. Please reference your WSDL or the describe call for "
                                      "the appropriate names.", 400)
            out.append(field)
        return out

    def create(self, type_name: str, body: Any, user_id: str | None = None,
               options: SaveOptions | None = None) -> str:
        obj = self.sobject(type_name)
        if not obj.flag("createable"):
            raise SalesforceError("INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support insert")
        values = records.parse_body(obj, body, creating=True)
        with self.store.transaction():
            return self._insert(obj, values, user_id, options or SaveOptions())

    def _insert(self, obj: SObject, values: dict[str, Any], user_id: str | None,
                options: SaveOptions | None = None) -> str:
        """Store a new record; duplicate rules run unless ``options`` is None (seeds load data as it is)."""
        rid = values.pop("Id", None) or self.new_id(obj)
        if self.store.get(obj.name, rid) is not None:
            raise SalesforceError("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", 400,
                                  ["Id"])
        numbers = {f.name: self._auto_number(obj, f) for f in obj.fields if f.describe.get("autoNumber")}
        content.before_build(obj, values)  # Files: a version's Title from its file name
        record = records.build_new(obj, values, rid, self._context(user_id), numbers)
        self._check_unique(obj, record, None)
        activities.before_insert(self, obj, record)
        content.before_insert(self, obj, record, user_id)  # Files and Attachments: derived fields, limits
        if options is not None:
            self._check_duplicates(obj, record, False, options)
        self.store.insert(obj.name, rid, record)
        activities.after_insert(self, obj, record, user_id)  # Shared Activities: TaskRelation rows
        content.after_insert(self, obj, record, user_id)  # Files: ContentDocument and its links
        return rid

    def _auto_number(self, obj: SObject, field: Field) -> str:
        number = self._next_number(f"auto:{obj.name}.{field.name}")
        fmt = field.display_format or "{00000000}"
        match = re.search(r"\{(0+)\}", fmt)
        width = len(match.group(1)) if match else 8
        return re.sub(r"\{0+\}", str(number).zfill(width), fmt) if match else str(number).zfill(width)

    def _check_unique(self, obj: SObject, record: dict, own_id: str | None) -> None:
        for f in obj.fields:
            if not f.describe.get("unique") or record.get(f.name) is None:
                continue
            for other in self.find_by(obj, f, record[f.name]):
                if other["Id"] not in (own_id, record["Id"]) and (
                        not f.describe.get("caseSensitive") or other.get(f.name) == record[f.name]):
                    raise SalesforceError("DUPLICATE_VALUE", f"duplicate value found: {f.name} duplicates value on "
                                          f"record with id: {other['Id']}", 400, [f.name])

    # -- duplicate rules ---------------------------------------------------------------------------
    def set_duplicate_rules(self, rules: Iterable[DuplicateRule | dict]) -> list[DuplicateRule]:
        """Replace the active duplicate rules (dicts in the schema-file form); ``[]`` turns them off."""
        self.duplicate_rules = duplicates.parse_rules(list(rules), self.schema)
        return self.duplicate_rules

    def _check_duplicates(self, obj: SObject, record: dict, editing: bool, options: SaveOptions) -> None:
        def pool(field: str | None, value: Any) -> Iterable[dict]:
            if field is not None and self.store.indexed(obj.name, field):
                return [self.store.get(obj.name, i) for i in list(self.store.lookup_index(obj.name, field, value))]
            return self.store.records(obj.name)

        duplicates.enforce(self.duplicate_rules, obj, record, pool, editing=editing, options=options)

    def update(self, type_name: str, record_id: str, body: Any, user_id: str | None = None,
               options: SaveOptions | None = None) -> None:
        obj = self.sobject(type_name)
        rid = self.record_id(obj, record_id)
        if isinstance(body, dict) and "Id" in body and body["Id"] is not None:
            try:
                same = to18(str(body["Id"])) == rid
            except ValueError:
                same = False
            if not same:
                raise SalesforceError("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Id. Please "
                                      "check the security settings of this field and verify that it is read/write "
                                      "for your profile or permission set.", 400, ["Id"])
        values = records.parse_body(obj, body, creating=False)
        with self.store.transaction():
            self._update(obj, rid, values, user_id, options or SaveOptions())

    def _update(self, obj: SObject, rid: str, values: dict[str, Any], user_id: str | None,
                options: SaveOptions) -> None:
        before = self._live(obj, rid)
        record = records.apply_update(obj, before, values, self._context(user_id))
        content.before_update(self, obj, record)  # an Attachment's new Body: BodyLength, size limit
        self._check_unique(obj, record, rid)
        self._check_duplicates(obj, record, True, options)
        self.store.replace(obj.name, rid, record)
        activities.after_update(self, obj, before, record, user_id)

    def delete(self, type_name: str, record_id: str, user_id: str | None = None) -> None:
        obj = self.sobject(type_name)
        if not obj.flag("deletable"):
            raise SalesforceError("INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support delete")
        rid = self.record_id(obj, record_id)
        with self.store.transaction():
            self._delete(obj, rid, user_id)

    def _delete(self, obj: SObject, rid: str, user_id: str | None) -> None:
        """Move the record to the recycle bin (IsDeleted), its cascade-delete children with it."""
        record = self._live(obj, rid)
        now = self.now()
        deleted = {**record, "IsDeleted": True, "SystemModstamp": now, "LastModifiedDate": now,
                   "LastModifiedById": user_id or self.admin_user_id}
        self.store.replace(obj.name, rid, deleted)
        activities.after_delete(self, obj, deleted, user_id)
        for rel in obj.child_relationships:
            if not rel.get("cascadeDelete"):
                continue
            child = self.schema.get(rel["childSObject"])
            if child is None:
                continue
            for row in self.store.records(child.name):
                if row.get(rel["field"]) == rid and not row.get("IsDeleted"):
                    self._delete(child, row["Id"], user_id)

    # -- external ids ------------------------------------------------------------------------------
    def external_field(self, obj: SObject, name: str) -> Field:
        field = obj.field(name)
        if field is None or not (field.describe.get("externalId") or field.describe.get("idLookup")):
            raise SalesforceError("NOT_FOUND", f"Provided external ID field does not exist or is not accessible: "
                                  f"{name}", 404)
        return field

    def find_by(self, obj: SObject, field: Field, value: str) -> list[dict]:
        if field.name == "Id":
            try:
                rec = self.store.get(obj.name, to18(value))
            except ValueError:
                return []
            return [rec] if rec and not rec.get("IsDeleted") else []
        wanted = self._coerce(field, value)
        case_sensitive = field.describe.get("caseSensitive")
        out = []
        if self.store.indexed(obj.name, field.name):
            candidates = [self.store.get(obj.name, i) for i in list(self.store.lookup_index(obj.name, field.name, wanted))]
        else:
            candidates = self.store.records(obj.name)
        for rec in candidates:
            have = rec.get(field.name)
            if rec.get("IsDeleted") or have is None:
                continue
            if have == wanted or (not case_sensitive and str(have).lower() == str(wanted).lower()):
                out.append(rec)
        return out

    def get_by_external(self, type_name: str, field_name: str, value: str, fields: list[str] | None = None,
                        version: str = "62.0") -> dict | list[str]:
        obj = self.sobject(type_name)
        field = self.external_field(obj, field_name)
        with self.store.lock:
            found = self.find_by(obj, field, value)
            if not found:
                raise not_found()
            if len(found) > 1:
                return [f"/services/data/v{version}/sobjects/{obj.name}/{r['Id']}" for r in found]
            return records.render(obj, found[0], version, self._fields(obj, fields))

    def upsert(self, type_name: str, field_name: str, value: str, body: Any, user_id: str | None = None,
               version: str = "62.0", options: SaveOptions | None = None) -> tuple[bool, str]:
        """(created, id); several matches raise a 300 carrying the candidates' URLs."""
        obj = self.sobject(type_name)
        field = self.external_field(obj, field_name)
        if isinstance(body, dict) and any(k.lower() == field.name.lower() for k in body) and field.name != "Id":
            given = next(v for k, v in body.items() if k.lower() == field.name.lower())
            if given is not None and str(given) != value:
                raise SalesforceError("INVALID_FIELD", f"The value of the external ID field in the request body "
                                      f"'{given}' doesn't match the value in the URL '{value}'", 400, [field.name])
        options = options or SaveOptions(version=version)
        with self.store.transaction():
            found = self.find_by(obj, field, value) if value != "" else []
            if len(found) > 1:
                raise MultipleMatches([f"/services/data/v{version}/sobjects/{obj.name}/{r['Id']}" for r in found])
            if found:
                values = records.parse_body(obj, {k: v for k, v in body.items() if k.lower() != field.name.lower()}
                                            if isinstance(body, dict) else body, creating=False)
                self._update(obj, found[0]["Id"], values, user_id, options)
                return False, found[0]["Id"]
            values = records.parse_body(obj, body, creating=True)
            if field.name != "Id":
                values[field.name] = self._coerce(field, value)
            return True, self._insert(obj, values, user_id, options)

    # -- whole-org operations ----------------------------------------------------------------------
    def reset(self) -> None:
        with self.store.transaction():
            self.store.clear()
        self.duplicate_rules = list(self.schema.duplicate_rules)
        self.bootstrap()
