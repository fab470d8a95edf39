"""The file sender (F4) against a scripted client: one insert per file with its bytes, sent once across a
lost reply or a crash between send and reply (query by the key first), clear dead letters for files that
are too large or cannot be had, transient failures retried."""

from __future__ import annotations

import asyncio
import base64

from daemon.files.fetch import FetchFailed
from daemon.files.options import FilesOptions
from daemon.files.sender import FileSender
from daemon.files.store import FileStore
from daemon.salesforce.errors import SalesforceApiError
from daemon.state.store import Operation, State


class Client:
    """Answers scripted per call: a dict/list (the JSON), or an exception to raise."""

    def __init__(self, posts=(), queries=()) -> None:
        self.posts, self.queries, self.calls = list(posts), list(queries), []

    async def request(self, method, path, *, json=None, params=None):
        self.calls.append((method, path, json))
        answer = self.posts.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def query(self, soql):
        self.calls.append(("QUERY", soql, None))
        return self.queries.pop(0)


def setup(tmp_path, client, options=None, fetcher=None, content=b"PDF-bytes", url="https://cdn.other/a.pdf"):
    state = State(str(tmp_path / "s.db"))
    options = options or FilesOptions()
    fields = {"Title": "a.pdf", "PathOnClient": "a.pdf", "FirstPublishLocationId": "500000000000001AAA",
              "$file": {"url": url, "size": None}}
    with state.transaction():
        if content is not None:
            FileStore(state.conn).keep("f4:k", content, "inline")
        state.enqueue("e1", [Operation("ContentVersion", "Syncd_File_Key__c", "f4:k", fields, "chat:c", op="file")])
    extra = {"fetcher": fetcher} if fetcher else {}
    sender = FileSender(state, client, lambda: options, lambda: "62.0", lambda: None, lambda attempt: 0.0, **extra)
    return state, sender


def send(state, sender):
    return asyncio.run(sender.send(state.ready(10)))


def test_a_file_is_one_insert_with_its_bytes_and_parent(tmp_path):
    client = Client(posts=[{"id": "068000000000001AAA", "success": True, "errors": []}])
    state, sender = setup(tmp_path, client)
    send(state, sender)
    (method, path, body), = client.calls
    assert (method, path) == ("POST", "/sobjects/ContentVersion")
    assert base64.b64decode(body["VersionData"]) == b"PDF-bytes"
    assert body["FirstPublishLocationId"] == "500000000000001AAA" and body["Syncd_File_Key__c"] == "f4:k"
    assert "$file" not in body
    assert state.counts()["done"] == 1 and state.get(1).record_id == "068000000000001AAA"
    assert FileStore(state.conn).data("f4:k") is None  # the bytes go once Salesforce has them


def test_a_lost_reply_is_followed_by_a_query_by_the_key_and_no_second_file(tmp_path):
    client = Client(posts=[SalesforceApiError.network("TIMEOUT", "ReadTimeout")],
                    queries=[[{"Id": "068000000000001AAA"}]])
    state, sender = setup(tmp_path, client)
    try:
        send(state, sender)
    except SalesforceApiError as exc:
        assert exc.org_wide  # the outer sender opens its circuit; the row stays pending
    assert state.counts()["pending"] == 1
    send(state, sender)
    assert [c[0] for c in client.calls] == ["POST", "QUERY"]
    assert "Syncd_File_Key__c = 'f4:k'" in client.calls[1][1]
    assert state.get(1).status == "done" and state.get(1).record_id == "068000000000001AAA"


def test_after_a_crash_between_send_and_reply_the_next_attempt_queries_first(tmp_path):
    client = Client(posts=[{"id": "068000000000002AAA"}], queries=[[]])
    state, sender = setup(tmp_path, client)
    with state.transaction():
        FileStore(state.conn).mark_sent("f4:k")  # what a crash after the request left behind
    send(state, sender)
    assert [c[0] for c in client.calls] == ["QUERY", "POST"]  # not created after all: create it now
    assert state.get(1).record_id == "068000000000002AAA"


def test_a_file_over_the_limit_is_a_dead_letter_without_a_request(tmp_path):
    client = Client()
    state, sender = setup(tmp_path, client, options=FilesOptions(max_bytes=4))
    send(state, sender)
    dead, = state.dead_letters()
    assert dead.last_error_code == "FILE_TOO_LARGE" and "files.max_bytes is 4" in dead.last_error
    assert client.calls == []


def test_a_file_without_bytes_or_allowed_url_is_a_clear_dead_letter(tmp_path):
    state, sender = setup(tmp_path, Client(), content=None)
    send(state, sender)
    dead, = state.dead_letters()
    assert dead.last_error_code == "FILE_NOT_AVAILABLE" and "fetch_allowed_prefixes" in dead.last_error


def test_fetched_bytes_are_sent_and_fetch_failures_retry_or_die(tmp_path):
    got = []

    async def fetcher(url, *, max_bytes, timeout):
        got.append(url)
        return b"remote"

    client = Client(posts=[{"id": "068000000000003AAA"}])
    state, sender = setup(tmp_path, client, options=FilesOptions(fetch_allowed_prefixes=["https://cdn.other/"]),
                          fetcher=fetcher, content=None)
    send(state, sender)
    assert got == ["https://cdn.other/a.pdf"] and base64.b64decode(client.calls[0][2]["VersionData"]) == b"remote"

    for permanent, status in ((False, "pending"), (True, "dead")):
        async def failing(url, *, max_bytes, timeout, p=permanent):
            raise FetchFailed("FILE_FETCH_FAILED", "GET answered 503" if not p else "GET answered 404", p)

        path = tmp_path / str(permanent)
        path.mkdir()
        state, sender = setup(path, Client(), options=FilesOptions(fetch_allowed_prefixes=["https://cdn.other/"]),
                              fetcher=failing, content=None)
        send(state, sender)
        assert state.get(1).status == status and state.get(1).last_error_code == "FILE_FETCH_FAILED"


def test_a_refused_insert_is_a_dead_letter_with_salesforces_error(tmp_path):
    refusal = SalesforceApiError(400, [{"errorCode": "INVALID_FIELD", "message": "No such column 'Syncd_File_Key__c'"}])
    state, sender = setup(tmp_path, Client(posts=[refusal]))
    send(state, sender)
    dead, = state.dead_letters()
    assert dead.last_error_code == "INVALID_FIELD" and "Syncd_File_Key__c" in dead.last_error


def test_a_dropped_dead_file_takes_its_bytes_with_it_and_a_replayed_one_keeps_them(tmp_path):
    """Customer files are not kept for ever: an operator's drop of a dead file clears its bytes (its sent
    mark stays); a dead file waits with its bytes, so that a replay can still send it."""
    client = Client(posts=[])
    state, sender = setup(tmp_path, client)
    (row,) = state.ready(10)
    state.kill([(row.id, "FILE_TOO_LARGE", "too large")])
    assert FileStore(state.conn).data("f4:k") == b"PDF-bytes"
    assert state.drop(row.id)
    assert FileStore(state.conn).data("f4:k") is None


def test_with_files_off_inline_bytes_are_never_kept(tmp_path):
    from daemon.files.intake import keep_inline
    from daemon.state.store import Event

    state = State(str(tmp_path / "s.db"))
    event = Event("e1", "s", "t", {"attachments": [{"url": "https://x/a.pdf", "content": "UERG"}]})
    with state.transaction():
        state.conn.execute("INSERT INTO events(id, source, type, data, received_at) VALUES ('e1','s','t','{}','n')")
        data = keep_inline(state.conn, event, "chat:c", keep=False)
    assert data["attachments"] == [{"url": "https://x/a.pdf"}]
    assert state.conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0
    with state.transaction():
        keep_inline(state.conn, event, "chat:c")
    assert state.conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 1
