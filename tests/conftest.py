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
