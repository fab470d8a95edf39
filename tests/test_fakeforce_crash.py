"""A crash inside fakeforce never falls out of shape (issue 11): the client gets Salesforce's JSON error
array, status 500, ``UNKNOWN_EXCEPTION`` with an ErrorId, never Starlette's plain-text "Internal Server
Error"; the log has the traceback under the same id; the next request is served normally."""

from __future__ import annotations

import logging

from fakeforce import soql


def _boom(*args, **kwargs):
    raise ZeroDivisionError("a bug inside the org")


def test_a_crash_in_a_handler_answers_the_error_array(fakeforce, monkeypatch, caplog) -> None:
    monkeypatch.setattr(soql, "query", _boom)
    with caplog.at_level(logging.ERROR, logger="fakeforce.http"), fakeforce.client() as api:
        r = api.get("/query", params={"q": "SELECT Id FROM Contact"})
        assert r.status_code == 500
        assert r.headers["content-type"].startswith("application/json")
        [error] = r.json()
        assert error["errorCode"] == "UNKNOWN_EXCEPTION"
        assert "ErrorId" in error["message"] and "a bug inside" not in error["message"]  # no internals leak
        error_id = error["message"].split("ErrorId if you contact support: ")[1].split("-")[0]
        assert any(error_id in rec.getMessage() and rec.exc_info for rec in caplog.records)
        monkeypatch.undo()
        assert api.get("/query", params={"q": "SELECT Id FROM Contact"}).status_code == 200
    assert fakeforce.requests(status=500)[0]["path"].endswith("/query")


def test_a_crash_below_the_router_answers_the_error_array_too(fakeforce, monkeypatch) -> None:
    """A failure outside any route's handler (here: while the org reads its sessions) is caught by the
    outer wall (FaultsAndSafety), which answers the same array."""
    monkeypatch.setattr(fakeforce.instance.sessions, "validate", _boom)
    with fakeforce.http() as http:
        r = http.get("/services/data/v62.0/limits", headers={"Authorization": "Bearer x"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/json")
    assert r.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
