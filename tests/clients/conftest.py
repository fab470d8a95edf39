"""A fakeforce whose Contact and Account carry a unique external-id text field, for the clients' upserts."""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from fakeforce.pytest_plugin import CONTROL_TOKEN
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

EXT_FIELD = "Fakeforce_Key__c"


def ext_schema(folder) -> str:
    field = {"name": EXT_FIELD, "type": "string", "length": 40, "externalId": True, "unique": True,
             "label": "Fakeforce Key"}
    path = folder / "ext.json"
    path.write_text(json.dumps([{"name": "Contact", "fields": [field]}, {"name": "Account", "fields": [field]}]))
    return str(path)


@pytest.fixture(scope="session")
def ext_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeforceServer]:
    settings = OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN)
    with FakeforceServer(settings=settings, schema_files=[ext_schema(tmp_path_factory.mktemp("ext"))]) as server:
        yield server
