"""F4's pure parts: stable file keys, which attachments become files (SSRF guard), the operations and the
request body, inline content validation, fetch limits."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from pydantic import ValidationError

from daemon.chat.events import ChatEndedV1
from daemon.files import rules
from daemon.files.fetch import FetchFailed, fetch
from daemon.files.options import FilesOptions

OPTS = FilesOptions(fetch_allowed_prefixes=["https://files.example/"])


def test_a_key_is_stable_and_names_one_file_of_one_conversation():
    a = {"url": "https://x/a.pdf", "name": "a.pdf"}
    assert rules.file_key("chat:1", 0, a) == rules.file_key("chat:1", 0, dict(a))
    assert len({rules.file_key("chat:1", 0, a), rules.file_key("chat:1", 1, a), rules.file_key("chat:2", 0, a)}) == 3
    assert len(rules.file_key("chat:" + "x" * 500, 0, a)) < 64


def test_only_allowed_prefixes_are_fetched():
    assert rules.allowed("https://files.example/a.pdf", OPTS)
    assert not rules.allowed("https://files.example.evil.com/a.pdf", OPTS)
    assert not rules.allowed("http://files.example/a.pdf", OPTS)
    assert not rules.allowed("https://files.example/a.pdf", FilesOptions())  # default: never fetch


def test_a_path_that_climbs_out_of_the_prefix_is_never_fetched():
    options = FilesOptions(fetch_allowed_prefixes=["https://cdn.example/files/"])
    assert rules.allowed("https://cdn.example/files/a.pdf", options)
    for url in ["https://cdn.example/files/../admin/keys", "https://cdn.example/files/%2e%2e/admin",
                "https://cdn.example/files/./a.pdf", "https://cdn.example/files/a\\..\\b",
                "https://cdn.example/files/a.pdf\r\nHost: x", "https://user:pw@cdn.example/files/a.pdf"]:
        assert not rules.allowed(url, options), url
    with pytest.raises(ValidationError, match="whole origin"):
        FilesOptions(fetch_allowed_prefixes=["https://files.example"])


def test_operations_name_the_parent_carry_no_bytes_and_skip_unavailable_files():
    atts = [{"url": "https://cdn.other/x.png", "name": "x.png"},  # neither content nor an allowed URL
            {"url": "https://cdn.other/y.png", "name": "y.png"},  # inline content kept
            {"url": "https://files.example/z.pdf?sig=1"}]         # fetchable
    stored = {rules.file_key("chat:c", 1, atts[1])}
    ref = {"$ref": {"sobject": "Case", "field": "Syncd_Chat_Id__c", "value": "chat:c"}}
    ops = rules.operations(atts, conversation="chat:c", parent=ref, ordering_key="visitor:v", options=OPTS,
                           stored=stored)
    assert [o.fields["Title"] for o in ops] == ["y.png", "z.pdf"]
    assert all(o.op == "file" and o.sobject == "ContentVersion" and o.ordering_key == "visitor:v" for o in ops)
    assert ops[0].fields["FirstPublishLocationId"] == ref and ops[0].external_id_field == "Syncd_File_Key__c"
    assert "VersionData" not in ops[0].fields
    assert rules.operations(atts, conversation="chat:c", parent="500x", ordering_key="k",
                            options=FilesOptions(enabled=False), stored=stored) == []
    classic = rules.operations(atts, conversation="chat:c", parent="500x", ordering_key="k",
                               options=FilesOptions(target="attachment"), stored=stored)
    assert classic[0].sobject == "Attachment" and classic[0].fields["ParentId"] == "500x"


def test_the_body_has_the_key_and_the_bytes_in_base64():
    body = rules.body({"Title": "a", "PathOnClient": "a", "FirstPublishLocationId": "500x", "$file": {}},
                      "Syncd_File_Key__c", "f4:k", b"\x00\xffhi", "ContentVersion")
    assert body == {"Title": "a", "PathOnClient": "a", "FirstPublishLocationId": "500x",
                    "Syncd_File_Key__c": "f4:k", "VersionData": base64.b64encode(b"\x00\xffhi").decode()}
    assert "Syncd_File_Key__c" not in rules.body({"Name": "a", "ParentId": "500x"}, "K", "f4:k", b"x", "Attachment")


def test_inline_content_must_be_base64():
    base = {"chatId": "c", "endTime": "2026-03-02T10:00:00Z"}
    ChatEndedV1.model_validate({**base, "attachments": [{"url": "u", "content": "aGk="}]})
    with pytest.raises(ValidationError, match="not valid base64"):
        ChatEndedV1.model_validate({**base, "attachments": [{"url": "u", "content": "not base64!"}]})


def _serve(handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def test_fetch_caps_the_size_while_streaming_and_tells_permanent_from_transient():
    big = _serve(lambda request: httpx.Response(200, content=b"x" * 5000))
    with pytest.raises(FetchFailed) as info:
        asyncio.run(fetch("https://files.example/a", max_bytes=100, timeout=1, transport=big))
    assert info.value.code == "FILE_TOO_LARGE" and info.value.permanent
    ok = _serve(lambda request: httpx.Response(200, content=b"hello"))
    assert asyncio.run(fetch("https://files.example/a", max_bytes=100, timeout=1, transport=ok)) == b"hello"
    for status, permanent in ((404, True), (302, True), (503, False)):
        answer = _serve(lambda request, s=status: httpx.Response(s, headers={"location": "http://127.0.0.1/"}))
        with pytest.raises(FetchFailed) as info:
            asyncio.run(fetch("https://files.example/a", max_bytes=100, timeout=1, transport=answer))
        assert info.value.permanent is permanent, status


def test_the_fetch_timeout_bounds_the_whole_download():
    """A server that trickles a byte at a time never holds the outbox longer than fetch_timeout_seconds."""
    import asyncio
    import time

    import httpx
    import pytest

    from daemon.files.fetch import FetchFailed, fetch

    async def trickle(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(20):
            await asyncio.sleep(0.1)
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    started = time.monotonic()
    with pytest.raises(FetchFailed) as failed:
        asyncio.run(fetch("https://files.example/slow.pdf", max_bytes=1000, timeout=0.5,
                          transport=httpx.ASGITransport(app=trickle)))
    assert time.monotonic() - started < 1.5
    assert not failed.value.permanent and "timed out" in failed.value.message
