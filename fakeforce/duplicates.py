"""Duplicate rules (Salesforce Duplicate Management) as pure functions.

An org may have duplicate rules on an object (Contact and Lead are the usual ones): when a record is
created (or edited, if the rule says so) and a matching rule finds existing records like it, the save is
blocked with ``DUPLICATES_DETECTED`` and a ``duplicateResult`` naming the matched records' ids. This module
decides which records match and builds that error; :class:`fakeforce.org.Org` calls it on every write.

Actions, as Salesforce has them (Setup > Duplicate Rules, "Action On Create" / "Action On Edit"):

* ``block``: the save fails; ``duplicateResult.allowSave`` is false and no header gets past it.
* ``alert`` (Allow, with the alert on, the standard rules' default): through the API the save fails
  too, with ``allowSave`` true, unless the request sends ``Sforce-Duplicate-Rule-Header: allowSave=true``
  (API v52.0+), which acknowledges the alert and saves. Bulk API 2.0 cannot send the header.
* ``allow`` (Allow, alert off): the save succeeds and the API shows nothing.

Matching is deliberately simple and exact (no fuzzy or phonetic matching; see docs/fakeforce.md):
a list of fields matches when every listed field is set on both records and equal after normalising
(text trimmed, inner whitespace collapsed, compared case-insensitively; phones by their digits);
``"standard"`` is a simplified standard contact/lead matching rule, any one of the groups in
:data:`STANDARD_GROUPS` matching in that way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from . import records
from .errors import SalesforceError

if TYPE_CHECKING:  # types only: fakeforce.schema's loader imports this module
    from .schema.model import Schema, SObject

ACTIONS = ("block", "alert", "allow")
HEADER = "sforce-duplicate-rule-header"
HEADER_SINCE = 52.0
"""The first API version that reads ``Sforce-Duplicate-Rule-Header``; older requests ignore it."""
DEFAULT_MESSAGE = "Use one of these records?"
"""The alert text of Salesforce's standard duplicate rules (customisable per rule)."""
STANDARD = "standard"
STANDARD_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    # Salesforce's standard matching equation, less its groups that a smaller group already implies,
    # with "Account Name" as the Contact's AccountId (Lead: Company) and "City OR ZIP" as two groups.
    "Contact": (("FirstName", "LastName", "Email"), ("FirstName", "LastName", "Phone"),
                ("FirstName", "LastName", "Title", "AccountId"),
                ("FirstName", "LastName", "MailingStreet", "MailingCity"),
                ("FirstName", "LastName", "MailingStreet", "MailingPostalCode"),
                ("FirstName", "LastName", "MailingStreet", "Title")),
    "Lead": (("FirstName", "LastName", "Email"), ("FirstName", "LastName", "Phone"),
             ("FirstName", "LastName", "Title", "Company"), ("FirstName", "LastName", "Street", "City"),
             ("FirstName", "LastName", "Street", "PostalCode"), ("FirstName", "LastName", "Street", "Title")),
}
STANDARD_MATCHING_RULES = {"Contact": "Standard_Contact_Match_Rule_v1_1", "Lead": "Standard_Lead_Match_Rule_v1_0"}
UNMATCHABLE_TYPES = {"address", "location", "base64", "textarea"}
KEY_TYPES = {"email", "reference", "id"}
"""Field types whose values need no normalising beyond case, so an index lookup finds every match."""
RULE_KEYS = {"object", "action", "match", "onEdit", "name", "matchingRule", "message"}

Pool = Callable[[str | None, Any], Iterable[dict]]
"""``pool(field, value)``: the object's records that may have ``field`` equal to ``value`` (a superset is
fine: every candidate is compared again), every record for ``pool(None, None)``; the org answers from an
index when it has one."""


class DuplicateRuleError(ValueError):
    """A duplicate rule that cannot be used, with the reason (schema files and the control surface)."""


@dataclass(frozen=True)
class DuplicateRule:
    """One active duplicate rule with its one matching rule."""

    object: str
    action: str
    match: tuple[str, ...] | str
    """Field names that must all match, or :data:`STANDARD`."""
    on_edit: bool
    """Whether the rule also runs on updates (Salesforce's standard rules only report on edit)."""
    name: str
    matching_rule: str
    message: str

    @property
    def engine(self) -> str:
        return "FuzzyMatchEngine" if self.match == STANDARD else "ExactMatchEngine"

    def groups(self) -> tuple[tuple[str, ...], ...]:
        return STANDARD_GROUPS[self.object] if self.match == STANDARD else (tuple(self.match),)

    def as_dict(self) -> dict[str, Any]:
        """The rule in the schema-file / control-surface form, every key explicit."""
        return {"object": self.object, "action": self.action,
                "match": self.match if self.match == STANDARD else list(self.match), "onEdit": self.on_edit,
                "name": self.name, "matchingRule": self.matching_rule, "message": self.message}


@dataclass(frozen=True)
class SaveOptions:
    """What one request says about duplicate rules (``Sforce-Duplicate-Rule-Header``), and its API version."""

    allow_save: bool = False
    include_record_details: bool = False
    version: str = "62.0"


def header_options(value: str | None, version: str) -> SaveOptions:
    """The header ``allowSave=true; includeRecordDetails=true`` (``;`` or ``,`` between fields).

    Unknown fields and values other than ``true`` read as false (every field defaults to false), and
    requests before v52.0 ignore the header, as Salesforce does.
    """
    flags: dict[str, bool] = {}
    if value and float(version) >= HEADER_SINCE:
        for part in re.split(r"[;,]", value):
            key, _, raw = part.partition("=")
            flags[key.strip().lower()] = raw.strip().lower() == "true"
    return SaveOptions(allow_save=flags.get("allowsave", False),
                       include_record_details=flags.get("includerecorddetails", False), version=version)


# -- rules from configuration ------------------------------------------------------------------------
def _base_name(object_name: str) -> str:
    return object_name.removesuffix("__c")


def parse_rule(spec: Any, schema: "Schema") -> DuplicateRule:
    """A rule from ``{"object", "action", "match", "onEdit", "name", "matchingRule", "message"}``."""
    if isinstance(spec, DuplicateRule):
        return spec
    if not isinstance(spec, Mapping):
        raise DuplicateRuleError("a duplicate rule must be an object with 'object' and 'action'")
    unknown = sorted(set(spec) - RULE_KEYS)
    if unknown:
        raise DuplicateRuleError(f"unknown duplicate rule key(s) {unknown}; known: {sorted(RULE_KEYS)}")
    obj = schema.get(spec.get("object"))  # type: ignore[arg-type]
    if obj is None:
        raise DuplicateRuleError(f"duplicate rule for an unknown object: {spec.get('object')!r}")
    action = spec.get("action", "block")
    if action not in ACTIONS:
        raise DuplicateRuleError(f"duplicate rule action must be one of {list(ACTIONS)}, not {action!r}")
    match = _parse_match(obj, spec.get("match", ["Email"]))
    on_edit = spec.get("onEdit", False)
    if not isinstance(on_edit, bool):
        raise DuplicateRuleError("duplicate rule 'onEdit' must be true or false")
    for key in ("name", "matchingRule", "message"):
        if key in spec and (not isinstance(spec[key], str) or not spec[key].strip()):
            raise DuplicateRuleError(f"duplicate rule '{key}' must be a non-empty string")
    base = _base_name(obj.name)
    standard_name = f"Standard_{base}_Duplicate_Rule" if obj.name in ("Account", "Contact", "Lead") \
        else f"{base}_Duplicate_Rule"
    matching = STANDARD_MATCHING_RULES[obj.name] if match == STANDARD \
        else f"{base}_{'_'.join(f.removesuffix('__c') for f in match)}_Match_Rule"
    return DuplicateRule(object=obj.name, action=action, match=match, on_edit=on_edit,
                         name=spec.get("name", standard_name), matching_rule=spec.get("matchingRule", matching),
                         message=spec.get("message", DEFAULT_MESSAGE))


def _parse_match(obj: "SObject", match: Any) -> tuple[str, ...] | str:
    if match == STANDARD:
        if obj.name not in STANDARD_GROUPS:
            raise DuplicateRuleError(f"the standard matching rule exists for {sorted(STANDARD_GROUPS)} only, "
                                     f"not {obj.name}; list the fields to match instead")
        return STANDARD
    if not isinstance(match, list) or not match or not all(isinstance(m, str) for m in match):
        raise DuplicateRuleError("duplicate rule 'match' must be \"standard\" or a non-empty list of field names")
    names = []
    for name in match:
        field = obj.field(name)
        if field is None:
            raise DuplicateRuleError(f"duplicate rule on {obj.name}: no field {name!r}")
        if field.type in UNMATCHABLE_TYPES:
            raise DuplicateRuleError(f"duplicate rule on {obj.name}: a {field.type} field ({field.name}) "
                                     "cannot be matched")
        names.append(field.name)
    return tuple(names)


def parse_rules(specs: Any, schema: "Schema") -> list[DuplicateRule]:
    if not isinstance(specs, list):
        raise DuplicateRuleError("'duplicateRules' must be a list of rules")
    return [parse_rule(spec, schema) for spec in specs]


# -- matching ----------------------------------------------------------------------------------------
def normalise(obj: "SObject", name: str, value: Any) -> Any:
    """The value as matching compares it; None when blank (a blank never matches)."""
    if value is None:
        return None
    field = obj.field(name)
    if isinstance(value, str):
        if field is not None and field.type == "phone":
            digits = re.sub(r"\D", "", value)
            return digits or None
        text = " ".join(value.split()).casefold()
        return text or None
    return value


def _group_matches(obj: "SObject", group: tuple[str, ...], record: dict, other: dict) -> bool:
    for name in group:
        mine, theirs = normalise(obj, name, record.get(name)), normalise(obj, name, other.get(name))
        if name == "FirstName" and "Email" in group and (mine is None or theirs is None):
            continue  # the standard rule ignores a blank first name when Email is in the group
        if mine is None or theirs is None or mine != theirs:
            return False
    return True


def find_matches(rule: DuplicateRule, obj: "SObject", record: dict, pool: Pool) -> list[dict]:
    """Live records other than ``record`` that the rule's matching rule finds, oldest first."""
    found: dict[str, dict] = {}
    for group in rule.groups():
        key = next((n for n in group if (f := obj.field(n)) is not None and f.type in KEY_TYPES
                    and record.get(n) is not None), None)
        candidates = pool(key, record[key] if key is not None else None)
        for other in candidates:
            if other is None or other.get("IsDeleted") or other["Id"] == record.get("Id") or other["Id"] in found:
                continue
            if _group_matches(obj, group, record, other):
                found[other["Id"]] = other
    return sorted(found.values(), key=lambda r: (r.get("CreatedDate") or "", r["Id"]))


def duplicate_error(rule: DuplicateRule, obj: "SObject", matches: list[dict],
                    options: SaveOptions) -> SalesforceError:
    """``DUPLICATES_DETECTED`` with its ``duplicateResult``, as the REST API answers it."""
    def matched(rec: dict) -> dict:
        if options.include_record_details:
            shown = records.render(obj, rec, options.version)
        else:
            shown = {"attributes": {"type": obj.name,
                                    "url": f"/services/data/v{options.version}/sobjects/{obj.name}/{rec['Id']}"},
                     "Id": rec["Id"]}
        return {"additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0, "record": shown}

    result = {"allowSave": rule.action != "block", "duplicateRule": rule.name,
              "duplicateRuleEntityType": obj.name, "errorMessage": rule.message,
              "matchResults": [{"entityType": obj.name, "errors": [], "matchEngine": rule.engine,
                                "matchRecords": [matched(r) for r in matches], "rule": rule.matching_rule,
                                "size": len(matches), "success": True}]}
    return SalesforceError("DUPLICATES_DETECTED", rule.message, 400, details={"duplicateResult": result})


def violations(rules: Iterable[DuplicateRule], obj: "SObject", record: dict, pool: Pool, *, editing: bool,
               options: SaveOptions) -> list[SalesforceError]:
    """The errors that stop this save: one per rule of the object that matches and does not let it through."""
    errors = []
    for rule in rules:
        if rule.object != obj.name or (editing and not rule.on_edit) or rule.action == "allow":
            continue
        if rule.action == "alert" and options.allow_save:
            continue
        matches = find_matches(rule, obj, record, pool)
        if matches:
            errors.append(duplicate_error(rule, obj, matches, options))
    return errors


def enforce(rules: Iterable[DuplicateRule], obj: "SObject", record: dict, pool: Pool, *, editing: bool,
            options: SaveOptions) -> None:
    """Raise the first rule's error (the others ride along as further entries of the error array)."""
    errors = violations(rules, obj, record, pool, editing=editing, options=options)
    if errors:
        first = errors[0]
        first.extra = [*first.extra, *errors[1:]]
        raise first
