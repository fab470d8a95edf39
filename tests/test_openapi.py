"""The OpenAPI document (fakeforce/openapi/fakeforce.yaml) against the live server.

Schemathesis generates requests for every documented operation (positive and negative data) and checks
each answer: no 5xx, a documented status code and content type, and a body and headers matching the
documented schema. The quick run is part of the default suite; ``pytest -m slow tests/test_openapi.py``
runs the same checks with hundreds of examples per operation. See docs/http-api.md.
"""

from __future__ import annotations

import re
from importlib import resources

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from fakeforce.http.app import create_app
from fakeforce.instance import Fakeforce
from fakeforce.rest import ROUTER
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

CONTROL_TOKEN = "t"
DOC_TEXT = (resources.files("fakeforce.openapi") / "fakeforce.yaml").read_text(encoding="utf-8")
DOC = yaml.safe_load(DOC_TEXT)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Documented, not fuzzed: they reset or reshape the org under the fuzzer (wiping the seeded data, expiring
# the token, injecting faults, using up the API limit, moving the clock), and SOAP answers faults with
# HTTP 500 by protocol, which would make "no 5xx" meaningless there.
NOT_FUZZED = {"controlReset", "controlSeed", "controlClockMove", "controlAddFault", "controlSetUsage",
              "controlExpireSessions", "controlSetDuplicateRules", "controlAddDuplicateRule", "soapLogin",
              "soapLoginOrg"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
SOBJECTS = ["Account", "Contact", "Case", "Lead", "Opportunity", "Task", "User"]

# Values that exist in the seeded org, filled by the ``live`` fixture before any example is generated.
KNOWN: dict[str, list[str]] = {}


def _schema():
    schema = schemathesis.openapi.from_dict(DOC).exclude(operation_id=sorted(NOT_FUZZED))
    schema.config.generation.update(with_security_parameters=False)  # the test sends a valid token itself

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        """Half the time, swap generated path parameters for values that exist, so the success paths run."""
        if not path_parameters or not KNOWN:
            return st.just(path_parameters)
        known = {name: KNOWN[name] for name in path_parameters if KNOWN.get(name)}
        if not known:
            return st.just(path_parameters)
        replaced = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in known.items()})
        return st.one_of(st.just(path_parameters), replaced.map(lambda r: {**path_parameters, **r}))

    return schema


SCHEMA = _schema()


@pytest.fixture(scope="module")
def live():
    """A running fakeforce with records, bulk jobs and an open query locator, and an admin token."""
    settings_ = OrgSettings(control_enabled=True, control_token=CONTROL_TOKEN, daily_api_limit=10_000_000)
    server = FakeforceServer(settings=settings_).start()
    try:
        org, admin = server.org, server.org.admin_user_id
        token = server.fakeforce.sessions.issue(admin, "fakeforce").token
        accounts = [org.create("Account", {"Name": f"Acme {i}"}, admin) for i in range(210)]
        contacts = [org.create("Contact", {"LastName": f"Doe {i}", "Email": f"doe{i}@example.com",
                                           "AccountId": accounts[i]}, admin) for i in range(5)]
        org.create("Contact", {"LastName": "Twin", "Email": "twin@example.com"}, admin)
        org.create("Contact", {"LastName": "Twin", "Email": "twin@example.com"}, admin)
        cases = [org.create("Case", {"Subject": "Broken", "AccountId": accounts[0]}, admin) for _ in range(2)]
        bulk = server.fakeforce.bulk
        ingest = bulk.create_ingest({"operation": "insert", "object": "Account"}, admin, "62.0")
        done = bulk.create_ingest({"operation": "insert", "object": "Account"}, admin, "62.0")
        bulk.upload(done.id, b"Name\nBulk One\nBulk Two\n", admin)
        bulk.set_state("ingest", done.id, "UploadComplete", admin)
        query_job = bulk.create_query({"query": "SELECT Id, Name FROM Account"}, admin, "62.0")
        headers = {"Authorization": f"Bearer {token}", "X-Fakeforce-Token": CONTROL_TOKEN}
        page = httpx.get(f"{server.url}/services/data/v62.0/query", params={"q": "SELECT Id FROM Account"},
                         headers={**headers, "Sforce-Query-Options": "batchSize=200"}).json()
        locator = page["nextRecordsUrl"].rsplit("/", 1)[1]
        KNOWN.update({
            "version": ["62.0", "45.0", "67.0"],
            "sobject": SOBJECTS,
            "key": accounts[:3] + contacts[:2] + cases + [accounts[0][:15], "Email"],
            "field": ["Id", "Email"],
            "value": contacts[:2] + accounts[:2] + ["doe1@example.com", "twin@example.com", "nobody@example.com"],
            "job_id": [ingest.id, done.id, query_job.id],
            "locator": [locator],
            "org_id": [org.org_id, org.org_id[:15]],
            "user_id": [admin, admin[:15]],
        })
        yield server, headers
    finally:
        KNOWN.clear()
        server.stop()


def _run(case, live) -> None:
    server, headers = live
    case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS, allow_redirects=False,
                           timeout=30)


@SCHEMA.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_operations_quick(case, live):
    _run(case, live)


@pytest.mark.slow
@SCHEMA.parametrize()
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_operations_deep(case, live):
    _run(case, live)


# -- the document itself ---------------------------------------------------------------------------
def test_served_document_is_the_file(live):
    server, _ = live
    served = httpx.get(f"{server.url}/openapi.json")
    assert served.status_code == 200
    assert served.json() == DOC
    text = httpx.get(f"{server.url}/openapi.yaml")
    assert text.status_code == 200
    assert text.text == DOC_TEXT


def _documented() -> dict[str, set[str]]:
    return {path: {m for m in item if m in METHODS} for path, item in DOC["paths"].items()}


def _starlette():
    """The Starlette app inside the middlewares (request journal, faults and safety)."""
    app = create_app(Fakeforce())
    while not hasattr(app, "router"):
        app = app.app
    return app


def test_every_route_is_documented():
    documented = _documented()
    app = _starlette()
    missing = []
    for route in app.router.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if "{rest}" in path or path == "/services/data/v{version}":
            continue  # the REST dispatcher: its templates are checked below
        for method in sorted(route.methods - {"HEAD"}):
            if method.lower() not in documented.get(path, set()):
                missing.append(f"{method} {path}")
    for _regex, template, handlers in ROUTER._routes:
        path = "/services/data/v{version}" + template.rstrip("/")
        for method in handlers:
            if method.lower() not in documented.get(path, set()):
                missing.append(f"{method} {path}")
    assert not missing, f"routes missing from fakeforce.yaml: {missing}"


def test_every_documented_operation_exists():
    """The other way round: nothing documented that the server does not route."""
    app = _starlette()
    served: dict[str, set[str]] = {}
    for route in app.router.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if "{rest}" not in path:
            served.setdefault(path, set()).update(m.lower() for m in route.methods)
    for _regex, template, handlers in ROUTER._routes:
        served.setdefault("/services/data/v{version}" + template.rstrip("/"), set()).update(
            m.lower() for m in handlers)
    extra = [f"{m.upper()} {p}" for p, methods in _documented().items() for m in methods
             if m not in served.get(p, set())]
    assert not extra, f"documented but not served: {extra}"


def test_operation_ids_are_unique_and_versions_match_the_server():
    from fakeforce import API_VERSIONS

    ids = [op["operationId"] for item in DOC["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids))
    assert DOC["components"]["parameters"]["Version"]["schema"]["enum"] == API_VERSIONS
