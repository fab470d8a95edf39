"""syncd's OpenAPI document against a live syncd (a real process, writing into a real fakeforce).

Schemathesis generates requests for every documented operation, with the bearer token, and checks each
answer: no 5xx, a documented status code and content type, and a body matching the documented schema.
The quick run is part of the default suite; ``pytest -m slow tests/test_syncd_openapi.py`` runs deeper.
The document itself is checked too: every route syncd serves is in it, nothing else, and every $ref resolves.
"""

from __future__ import annotations

import json
from pathlib import Path
import re

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from daemon.openapi import document
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings
from syncd_helpers import AUTH, Syncd, message_event, write_config

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
DOC = document()
KNOWN: dict[str, list[str]] = {}
METHODS = ("get", "put", "post", "delete", "patch")


def _schema():
    schema = schemathesis.openapi.from_dict(DOC)
    schema.config.generation.update(with_security_parameters=False)  # the test sends the token itself

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        """Half the time, use ids that exist, so the success paths run too."""
        known = {name: KNOWN[name] for name in (path_parameters or {}) if KNOWN.get(name)}
        if not known:
            return st.just(path_parameters)
        replaced = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in known.items()})
        return st.one_of(st.just(path_parameters), replaced.map(lambda r: {**path_parameters, **r}))

    return schema


SCHEMA = _schema()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    # not `from conftest import ...`: in a whole run that name may be tests/clients/conftest.py
    care_schema = Path(__file__).resolve().parent.parent / "examples" / "care-schema.json"

    folder = tmp_path_factory.mktemp("syncd-openapi")
    with FakeforceServer(settings=OrgSettings(control_enabled=True, daily_api_limit=10_000_000),
                         schema_files=[care_schema]) as org:
        config = write_config(folder, org.url)
        config.write_text(config.read_text() + '\n[rules]\nstorage_object = "SocialPost"\n')
        daemon = Syncd(config).start()
        try:
            events = [message_event(f"seed-{i}", customer=f"fb:c{i}", text=f"hello {i}") for i in range(6)]
            assert daemon.send(events).status_code == 202
            cases = [httpx.get(f"{daemon.url}/v1/care/customers/fb:c{i}/cases", headers=AUTH).json()["cases"][0]["id"]
                     for i in range(6)]
            admin = org.org.admin_user_id
            contacts = [org.org.create("Contact", {"LastName": f"C{i}"}, admin) for i in range(3)]
            for i, contact in enumerate(contacts):
                assert httpx.put(f"{daemon.url}/v1/care/customers/fb:c{i}/link", json={"contactId": contact},
                                 headers=AUTH).status_code == 200
            KNOWN.update({"case_id": cases, "customer_id": [f"fb:c{i}" for i in range(6)]})
            yield daemon
        finally:
            KNOWN.clear()
            assert daemon.kill(15) == 0


def _run(case, live) -> None:
    case.call_and_validate(base_url=live.url, headers=AUTH, checks=CHECKS, allow_redirects=False, timeout=30)


@SCHEMA.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_operations_quick(case, live):
    _run(case, live)


@pytest.mark.slow
@SCHEMA.parametrize()
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_operations_deep(case, live):
    _run(case, live)


# -- the document itself ---------------------------------------------------------------------------
def test_served_document_is_the_module_and_docs_copy(live):
    from pathlib import Path

    assert httpx.get(live.url + "/openapi.json").json() == DOC
    published = Path(__file__).resolve().parent.parent / "docs" / "events" / "syncd-openapi.json"
    assert json.loads(published.read_text()) == json.loads(json.dumps(DOC)), "run .venv/bin/syncd schemas"


def test_document_and_routes_agree(tmp_path, care_org):
    """Every route the app serves is documented with each of its methods, and nothing else is."""
    from daemon.api import create_app

    served: dict[str, set[str]] = {}

    class Runtime:  # create_app only reads attributes when a request comes; the routes are static
        config = None

    for route in create_app(Runtime()).routes:
        served.setdefault(route.path, set()).update(m.lower() for m in route.methods - {"HEAD"})
    documented = {path: {m for m in item if m in METHODS} for path, item in DOC["paths"].items()}
    assert served == documented


def test_every_ref_resolves_and_calls_need_the_token():
    text = json.dumps(DOC)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        node = DOC
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]  # KeyError: a dangling reference
    assert DOC["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer",
                                                              "description": "One of service.api_tokens"}
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            needs = path.startswith(("/v1/care/", "/v1/admin/", "/v1/bot/", "/v1/interactions", "/v1/console/"))
            assert (operation.get("security") == [{"bearer": []}]) == needs, (method, path)
