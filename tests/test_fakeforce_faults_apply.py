"""Faults that apply a request and then lose its reply, logs an operator can read, usage a gone client is
not charged for (issue 9)."""

import logging
import time

import httpx
import pytest

COMPOSITE = "/services/data/*/composite*"


def _create_by_composite(api: httpx.Client) -> httpx.Response:
    return api.post("/composite/sobjects", json={"allOrNone": True, "records": [
        {"attributes": {"type": "Contact"}, "LastName": "Once"}]})


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logs():
    """Records of fakeforce's and uvicorn's loggers (uvicorn's do not propagate to the root logger)."""
    handler = _Records()
    loggers = [logging.getLogger("fakeforce"), logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


def test_drop_with_apply_commits_the_request_then_breaks_the_connection(fakeforce):
    with fakeforce.control() as control:
        r = control.post("/faults", json={"route": COMPOSITE, "drop": True, "apply": True, "count": 1})
        assert r.status_code == 201 and r.json()["apply"] is True
    with fakeforce.client() as api:
        with pytest.raises(httpx.HTTPError):
            _create_by_composite(api)
        assert fakeforce.org.store.count("Contact") == 1  # applied, though the client never heard so
        assert _create_by_composite(api).status_code == 200  # count 1: the next one goes through
    assert fakeforce.org.store.count("Contact") == 2


def test_drop_without_apply_still_loses_the_request(fakeforce):
    fakeforce.instance.faults.add({"route": COMPOSITE, "drop": True, "count": 1})
    with fakeforce.client() as api, pytest.raises(httpx.HTTPError):
        _create_by_composite(api)
    assert fakeforce.org.store.count("Contact") == 0


def test_status_with_apply_commits_the_request_then_answers_the_error(fakeforce):
    fakeforce.instance.faults.add({"route": COMPOSITE, "status": 503, "apply": True, "count": 1})
    with fakeforce.client() as api:
        r = _create_by_composite(api)
    assert r.status_code == 503
    assert r.json() == [{"message": "Server temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}]
    assert fakeforce.org.store.count("Contact") == 1


def test_status_without_apply_changes_nothing(fakeforce):
    fakeforce.instance.faults.add({"route": COMPOSITE, "status": 503, "count": 1})
    with fakeforce.client() as api:
        assert _create_by_composite(api).status_code == 503
    assert fakeforce.org.store.count("Contact") == 0


@pytest.mark.parametrize("spec, problem", [
    ({"apply": True}, "apply needs drop or a status"),
    ({"drop": "yes"}, "drop has the wrong type"),
    ({"route": 5, "drop": True}, "route has the wrong type"),
    ({"status": 503, "apply": 1}, "apply has the wrong type"),
])
def test_bad_fault_specs_are_refused(fakeforce, spec, problem):
    with fakeforce.control() as control:
        r = control.post("/faults", json=spec)
    assert r.status_code == 400 and problem in r.json()[0]["message"]
    with pytest.raises(ValueError, match=problem):
        fakeforce.instance.faults.add(spec)


def test_an_injected_drop_is_one_log_line_not_a_traceback(fakeforce, logs):
    fakeforce.instance.faults.add({"route": COMPOSITE, "drop": True, "apply": True, "count": 1})
    with fakeforce.client() as api, pytest.raises(httpx.HTTPError):
        _create_by_composite(api)
    time.sleep(0.2)  # uvicorn logs, if at all, when the app has returned
    assert [r for r in logs if r.exc_info] == []
    assert [r.name for r in logs if r.name.startswith("uvicorn")] == []
    drops = [r.getMessage() for r in logs if "dropped the connection" in r.getMessage()]
    assert len(drops) == 1 and "after applying the request" in drops[0], [r.getMessage() for r in logs]


def test_a_request_whose_client_went_away_is_not_counted(fakeforce):
    fakeforce.instance.faults.add({"route": "/services/data/*/sobjects/Contact", "latency_ms": 400, "count": 1})
    with fakeforce.client(timeout=0.1) as api, pytest.raises(httpx.TimeoutException):
        api.post("/sobjects/Contact", json={"LastName": "Gone"})
    deadline = time.monotonic() + 5
    while fakeforce.org.store.count("Contact") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the answer is being discarded
    with fakeforce.control() as control:
        counters = control.get("/counters").json()
    assert counters["api_usage"] == 0, counters
    assert "POST /services/data/v{version}/sobjects/{sobject}" not in counters["routes"]
    with fakeforce.client() as api:  # a client that stays is counted as before
        assert api.post("/sobjects/Contact", json={"LastName": "Stays"}).status_code == 201
    assert fakeforce.instance.usage.used == 1
