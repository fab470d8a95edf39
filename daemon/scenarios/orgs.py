"""Where scenarios run: an in-process fakeforce (everything), or a real org (what needs no clock, fault
or user creation), whose records a run tags with its customers' prefix and deletes afterwards."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

import httpx

from fakeforce import soql
from fakeforce.clock import Clock
from fakeforce.seed import load_seed
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

CARE_SCHEMA = Path(__file__).resolve().parents[2] / "examples" / "care-schema.json"


class ScenarioSkipped(Exception):
    """The scenario needs something this org cannot do (move its clock, inject faults, create users)."""


class LocalOrg:
    """fakeforce in-process, sharing the scenario's clock."""

    prefix = ""

    def __init__(self, clock: Clock, schema: Iterable[str] = ()) -> None:
        self.clock = clock
        files = [CARE_SCHEMA, *(CARE_SCHEMA.parents[1] / name for name in schema)]
        self.server = FakeforceServer(settings=OrgSettings(control_enabled=True), schema_files=files,
                                      clock=clock).start()

    def salesforce(self) -> dict[str, Any]:
        return {"login_url": self.server.url, "client_id": "fakeforce", "client_secret": "fakeforce",
                "username": "admin@fakeforce.local", "password": "fakeforce"}

    def integration_user(self) -> str:
        return self.server.org.admin_user_id

    def seed(self, data: dict) -> dict[str, str]:
        """A seed; ``duplicateRules`` (fakeforce's schema-file form) turns the org's duplicate rules on."""
        data = dict(data)
        rules = data.pop("duplicateRules", None)
        if rules is not None:
            self.server.org.set_duplicate_rules(rules)
        return load_seed(self.server.org, data)

    def query(self, text: str) -> tuple[int, list[dict]]:
        return soql.query(self.server.org, text)

    def delete(self, type_name: str, record_id: str) -> None:
        self.server.org.delete(type_name, record_id)

    def update(self, type_name: str, record_id: str, fields: dict) -> None:
        self.server.org.update(type_name, record_id, fields)

    def fault(self, spec: dict) -> None:
        self.server.fakeforce.faults.add(spec)

    def clear_faults(self) -> None:
        self.server.fakeforce.faults.clear()

    def set_clock(self, moment: datetime) -> None:
        self.clock.set(moment, freeze=True)

    def close(self) -> None:
        self.server.stop()


class RemoteOrg:
    """A real org over REST with the OAuth password flow; every record a run creates is deleted after it."""

    def __init__(self, login_url: str, client_id: str, client_secret: str, username: str, password: str,
                 api_version: str = "62.0", prefix: str = "scn") -> None:
        self.credentials = {"login_url": login_url.rstrip("/"), "client_id": client_id, "client_secret": client_secret,
                            "username": username, "password": password, "api_version": api_version}
        self.prefix = prefix
        token = httpx.post(f"{login_url.rstrip('/')}/services/oauth2/token", timeout=60, data={
            "grant_type": "password", "client_id": client_id, "client_secret": client_secret,
            "username": username, "password": password})
        token.raise_for_status()
        body = token.json()
        self.user_url = body["id"]
        self.api = httpx.Client(base_url=f"{body['instance_url']}/services/data/v{api_version}", timeout=60,
                                headers={"Authorization": f"Bearer {body['access_token']}"})
        self.created: list[tuple[str, str]] = []

    def salesforce(self) -> dict[str, Any]:
        c = self.credentials
        return {k: c[k] for k in ("login_url", "client_id", "client_secret", "username", "password", "api_version")}

    def integration_user(self) -> str:
        return self.user_url.rstrip("/").rsplit("/", 1)[-1]

    def seed(self, data: dict) -> dict[str, str]:
        if data.get("users"):
            raise ScenarioSkipped("creates users")
        refs: dict[str, str] = {}
        records = data.get("records") or {}
        for type_name, items in (records.items() if isinstance(records, dict) else []):
            for item in items:
                fields = {k: (refs[v[1:]] if isinstance(v, str) and v.startswith("@") and v[1:] in refs else v)
                          for k, v in item.items() if k != "ref"}
                if any(k in fields for k in ("CreatedDate", "CaseNumber")):
                    raise ScenarioSkipped("sets read-only fields")
                answer = self.api.post(f"/sobjects/{type_name}", json=fields)
                answer.raise_for_status()
                record_id = answer.json()["id"]
                self.created.append((type_name, record_id))
                if item.get("ref"):
                    refs[item["ref"]] = record_id
        return refs

    def query(self, text: str) -> tuple[int, list[dict]]:
        answer = self.api.get("/query", params={"q": text})
        answer.raise_for_status()
        body = answer.json()
        return body["totalSize"], body["records"]

    def delete(self, type_name: str, record_id: str) -> None:
        self.api.delete(f"/sobjects/{type_name}/{record_id}")

    def update(self, type_name: str, record_id: str, fields: dict) -> None:
        self.api.patch(f"/sobjects/{type_name}/{record_id}", json=fields).raise_for_status()

    def fault(self, spec: dict) -> None:
        raise ScenarioSkipped("injects faults")

    def clear_faults(self) -> None:
        raise ScenarioSkipped("injects faults")

    def set_clock(self, moment: datetime) -> None:
        raise ScenarioSkipped("moves the clock")

    def forget(self, type_name: str, record_id: str) -> None:
        self.created.append((type_name, record_id))

    def close(self, storage_object: str = "SocialPost", parent_field: str = "ParentId") -> None:
        """Delete what the run made: its Cases' storage records, its Cases, its seeded records."""
        cases = [rid for t, rid in self.created if t == "Case"]
        for case_id in cases:
            total, rows = self.query(f"SELECT Id FROM {storage_object} WHERE {parent_field} = '{case_id}'")
            for row in rows:
                self.api.delete(f"/sobjects/{storage_object}/{quote(row['Id'])}")
        for type_name, record_id in reversed(self.created):
            self.api.delete(f"/sobjects/{type_name}/{record_id}")
        self.api.close()

