"""Shared fixtures: the ``fakeforce`` fixtures come from fakeforce.pytest_plugin; syncd's are here."""

from pathlib import Path

import pytest

from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

CARE_SCHEMA = Path(__file__).resolve().parent.parent / "examples" / "care-schema.json"


@pytest.fixture
def care_org():
    """A fakeforce with the care external-id fields, for syncd to write into."""
    with FakeforceServer(settings=OrgSettings(control_enabled=True), schema_files=[CARE_SCHEMA]) as server:
        yield server


@pytest.fixture(scope="session")
def ext_server(tmp_path_factory):
    """A fakeforce whose Contact has a (non-unique) external-id field ``Ext__c``, for upsert tests."""
    import json

    from fakeforce.pytest_plugin import CONTROL_TOKEN

    schema = tmp_path_factory.mktemp("ext") / "ext.json"
    schema.write_text(json.dumps({"name": "Contact", "fields": [{"name": "Ext__c", "type": "string",
                                                                 "externalId": True}]}))
    settings = OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN)
    with FakeforceServer(settings=settings, schema_files=[schema]) as server:
        yield server


@pytest.fixture
def ext_fakeforce(ext_server):
    from fakeforce.pytest_plugin import FakeforceHandle

    ext_server.fakeforce.reset()
    return FakeforceHandle(ext_server)
