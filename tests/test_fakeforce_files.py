"""Salesforce Files and Attachments over HTTP: ContentVersion inserts (base64 JSON and multipart), the
ContentDocument and links an org makes, blob reads, size limits, ContentDocumentLink's query rule."""

import base64
import hashlib
import json

import pytest

from fakeforce.content import FileLimits
from fakeforce.server import FakeforceServer

PDF = b"%PDF-1.4 fake pdf bytes \x00\x01\x02\xff"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def api(fakeforce):
    with fakeforce.client() as client:
        yield client


@pytest.fixture
def case_id(api):
    return api.post("/sobjects/Case", json={"Subject": "Chat 1"}).json()["id"]


def error(response):
    body = response.json()
    assert isinstance(body, list) and body, body
    return body[0]


def query(api, soql):
    r = api.get("/query", params={"q": soql})
    assert r.status_code == 200, r.text
    return r.json()["records"]


def multipart(parts):
    """A multipart/form-data body as clients send it: (name, content type, bytes) per part."""
    boundary = "boundary_string_123"
    out = b""
    for name, ctype, data in parts:
        filename = '; filename="file.bin"' if ctype == "application/octet-stream" else ""
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{filename}\r\n'
                f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, {"Content-Type": f'multipart/form-data; boundary="{boundary}"'}


def test_content_version_json_makes_document_and_links(api, fakeforce, case_id):
    r = api.post("/sobjects/ContentVersion", json={"PathOnClient": "chat/transcript.PDF", "VersionData": b64(PDF),
                                                   "FirstPublishLocationId": case_id})
    assert r.status_code == 201, r.text
    version_id = r.json()["id"]
    assert version_id.startswith("068")
    v = api.get(f"/sobjects/ContentVersion/{version_id}").json()
    assert v["Title"] == "transcript" and v["VersionNumber"] == "1" and v["IsLatest"] is True
    assert v["ContentSize"] == len(PDF) and v["Checksum"] == hashlib.md5(PDF).hexdigest()
    assert v["FileExtension"] == "pdf" and v["FileType"] == "PDF" and v["PublishStatus"] == "P"
    assert v["VersionData"] == f"/services/data/v67.0/sobjects/ContentVersion/{version_id}/VersionData"
    doc_id = v["ContentDocumentId"]
    doc = api.get(f"/sobjects/ContentDocument/{doc_id}").json()
    assert doc["LatestPublishedVersionId"] == version_id and doc["Title"] == "transcript"
    assert doc["FileType"] == "PDF" and doc["ContentSize"] == len(PDF) and doc["FileExtension"] == "pdf"
    links = query(api, f"SELECT LinkedEntityId, ShareType, Visibility FROM ContentDocumentLink "
                       f"WHERE ContentDocumentId = '{doc_id}'")
    shares = {row["LinkedEntityId"]: (row["ShareType"], row["Visibility"]) for row in links}
    assert shares == {case_id: ("V", "AllUsers"), fakeforce.org.admin_user_id: ("I", "AllUsers")}
    by_case = query(api, f"SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = '{case_id}'")
    assert [row["ContentDocumentId"] for row in by_case] == [doc_id]


def test_version_data_reads_as_bytes_and_query_gives_the_url(api, case_id):
    version_id = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.bin", "VersionData": b64(PDF),
                                                            "FirstPublishLocationId": case_id}).json()["id"]
    r = api.get(f"/sobjects/ContentVersion/{version_id}/VersionData")
    assert r.status_code == 200 and r.content == PDF
    [row] = query(api, f"SELECT Id, VersionData FROM ContentVersion WHERE Id = '{version_id}'")
    assert row["VersionData"] == f"/services/data/v67.0/sobjects/ContentVersion/{version_id}/VersionData"
    assert api.get(f"/sobjects/ContentVersion/068000000000000AAA/VersionData").status_code == 404


def test_multipart_content_version(api, case_id):
    entity = json.dumps({"PathOnClient": "photo.png", "Title": "Screenshot", "FirstPublishLocationId": case_id})
    body, headers = multipart([("entity_content", "application/json", entity.encode()),
                               ("VersionData", "application/octet-stream", PDF)])
    r = api.post("/sobjects/ContentVersion", content=body, headers=headers)
    assert r.status_code == 201, r.text
    version_id = r.json()["id"]
    v = api.get(f"/sobjects/ContentVersion/{version_id}").json()
    assert v["Title"] == "Screenshot" and v["FileType"] == "PNG" and v["ContentSize"] == len(PDF)
    assert api.get(f"/sobjects/ContentVersion/{version_id}/VersionData").content == PDF


def test_multipart_without_json_part_is_refused(api):
    body, headers = multipart([("VersionData", "application/octet-stream", PDF)])
    r = api.post("/sobjects/ContentVersion", content=body, headers=headers)
    assert r.status_code == 400 and error(r)["errorCode"] == "INVALID_MULTIPART_REQUEST"
    r = api.post("/sobjects/ContentVersion", content=b"garbage", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 400 and error(r)["errorCode"] == "INVALID_MULTIPART_REQUEST"


def test_first_publish_location_must_exist(api):
    r = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt", "VersionData": b64(b"x"),
                                                   "FirstPublishLocationId": "500000000000000AAA"})
    assert r.status_code == 400
    assert error(r)["errorCode"] == "INVALID_CROSS_REFERENCE_KEY" and error(r)["fields"] == ["FirstPublishLocationId"]
    assert query(api, "SELECT Id FROM ContentVersion") == [] and query(api, "SELECT Id FROM ContentDocument") == []


def test_required_fields_and_bad_base64(api):
    r = api.post("/sobjects/ContentVersion", json={"VersionData": b64(b"x")})
    assert r.status_code == 400 and error(r)["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert error(r)["fields"] == ["PathOnClient"]
    r = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt"})
    assert r.status_code == 400 and error(r)["fields"] == ["VersionData"]
    r = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt", "VersionData": "not base64!!"})
    assert r.status_code == 400 and error(r)["errorCode"] == "JSON_PARSER_ERROR"


def test_unfiltered_link_query_is_refused(api):
    r = api.get("/query", params={"q": "SELECT Id FROM ContentDocumentLink"})
    assert r.status_code == 400 and error(r)["errorCode"] == "MALFORMED_QUERY"
    assert "Implementation restriction: ContentDocumentLink requires a filter" in error(r)["message"]
    r = api.get("/query", params={"q": "SELECT Id FROM ContentDocumentLink WHERE ShareType = 'V'"})
    assert r.status_code == 400
    r = api.get("/query", params={"q": "SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId IN "
                                       "(SELECT Id FROM Case)"})
    assert r.status_code == 200


def test_link_insert_shares_existing_document(api, case_id):
    version_id = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt",
                                                            "VersionData": b64(b"hi")}).json()["id"]
    doc_id = api.get(f"/sobjects/ContentVersion/{version_id}").json()["ContentDocumentId"]
    account_id = api.post("/sobjects/Account", json={"Name": "Acme"}).json()["id"]
    r = api.post("/sobjects/ContentDocumentLink", json={"ContentDocumentId": doc_id, "LinkedEntityId": account_id})
    assert r.status_code == 400 and error(r)["fields"] == ["ShareType"]
    r = api.post("/sobjects/ContentDocumentLink", json={"ContentDocumentId": doc_id, "LinkedEntityId": account_id,
                                                        "ShareType": "V"})
    assert r.status_code == 201, r.text
    link = api.get(f"/sobjects/ContentDocumentLink/{r.json()['id']}").json()
    assert link["Visibility"] == "AllUsers"
    again = api.post("/sobjects/ContentDocumentLink", json={"ContentDocumentId": doc_id,
                                                            "LinkedEntityId": account_id, "ShareType": "V"})
    assert again.status_code == 400 and error(again)["errorCode"] == "DUPLICATE_VALUE"


def test_new_version_of_a_document(api):
    first = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt", "VersionData": b64(b"1")}).json()
    doc_id = api.get(f"/sobjects/ContentVersion/{first['id']}").json()["ContentDocumentId"]
    second = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.csv", "VersionData": b64(b"22"),
                                                        "ContentDocumentId": doc_id}).json()
    rows = query(api, f"SELECT Id, VersionNumber, IsLatest FROM ContentVersion WHERE ContentDocumentId = '{doc_id}' "
                      "ORDER BY VersionNumber")
    assert [(r["VersionNumber"], r["IsLatest"]) for r in rows] == [("1", False), ("2", True)]
    doc = api.get(f"/sobjects/ContentDocument/{doc_id}").json()
    assert doc["LatestPublishedVersionId"] == second["id"] and doc["FileType"] == "CSV" and doc["ContentSize"] == 2


def test_delete_document_removes_versions_and_links(api, case_id):
    version_id = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt", "VersionData": b64(b"x"),
                                                            "FirstPublishLocationId": case_id}).json()["id"]
    doc_id = api.get(f"/sobjects/ContentVersion/{version_id}").json()["ContentDocumentId"]
    assert api.delete(f"/sobjects/ContentDocument/{doc_id}").status_code == 204
    assert query(api, f"SELECT Id FROM ContentVersion WHERE ContentDocumentId = '{doc_id}'") == []
    assert query(api, f"SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId = '{case_id}'") == []
    assert api.get(f"/sobjects/ContentVersion/{version_id}/VersionData").status_code == 404


def test_attachment_json_and_multipart(api, case_id):
    r = api.post("/sobjects/Attachment", json={"Name": "a.txt", "Body": b64(b"hello")})
    assert r.status_code == 400 and error(r)["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert "ParentId" in error(r)["fields"]
    r = api.post("/sobjects/Attachment", json={"Name": "a.txt", "Body": b64(b"hello"), "ParentId": case_id,
                                               "ContentType": "text/plain"})
    assert r.status_code == 201, r.text
    att_id = r.json()["id"]
    att = api.get(f"/sobjects/Attachment/{att_id}").json()
    assert att["BodyLength"] == 5 and att["Body"] == f"/services/data/v67.0/sobjects/Attachment/{att_id}/Body"
    blob = api.get(f"/sobjects/Attachment/{att_id}/Body")
    assert blob.content == b"hello" and blob.headers["content-type"].startswith("text/plain")
    [row] = query(api, f"SELECT Body, BodyLength FROM Attachment WHERE ParentId = '{case_id}'")
    assert row["Body"].endswith(f"/Attachment/{att_id}/Body")
    entity = json.dumps({"Name": "b.pdf", "ParentId": case_id}).encode()
    body, headers = multipart([("entity_attachment", "application/json", entity),
                               ("Body", "application/octet-stream", PDF)])
    r = api.post("/sobjects/Attachment", content=body, headers=headers)
    assert r.status_code == 201, r.text
    assert api.get(f"/sobjects/Attachment/{r.json()['id']}/Body").content == PDF


@pytest.fixture
def small_limits(fakeforce):
    fakeforce.org.file_limits = FileLimits(json_request_bytes=2000, content_version_bytes=3000, blob_bytes=3000,
                                           attachment_bytes=100)
    yield fakeforce.org.file_limits
    del fakeforce.org.file_limits


def test_size_limits(api, case_id, small_limits):
    r = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.bin", "VersionData": b64(b"x" * 1600)})
    assert r.status_code == 400 and error(r)["errorCode"] == "JSON_PARSER_ERROR"
    assert error(r)["message"] == "Maximum size of request reached. Maximum size of request is 2000 bytes."
    entity = json.dumps({"PathOnClient": "a.bin"}).encode()
    body, headers = multipart([("entity_content", "application/json", entity),
                               ("VersionData", "application/octet-stream", b"x" * 2500)])
    assert api.post("/sobjects/ContentVersion", content=body, headers=headers).status_code == 201  # multipart: more
    body, headers = multipart([("entity_content", "application/json", entity),
                               ("VersionData", "application/octet-stream", b"x" * 3001)])
    assert api.post("/sobjects/ContentVersion", content=body, headers=headers).status_code == 400
    r = api.post("/sobjects/Attachment", json={"Name": "a", "ParentId": case_id, "Body": b64(b"y" * 101)})
    assert r.status_code == 400 and error(r)["errorCode"] == "MAXIMUM_SIZE_OF_ATTACHMENT"
    assert error(r)["fields"] == ["BodyLength"]


def test_collections_and_composite_accept_base64(api, case_id):
    r = api.post("/composite/sobjects", json={"allOrNone": True, "records": [
        {"attributes": {"type": "ContentVersion"}, "PathOnClient": "c.txt", "VersionData": b64(b"c"),
         "FirstPublishLocationId": case_id}]})
    assert r.status_code == 200 and r.json()[0]["success"] is True, r.text
    r = api.post("/composite", json={"compositeRequest": [
        {"method": "POST", "url": "/services/data/v67.0/sobjects/ContentVersion", "referenceId": "v",
         "body": {"PathOnClient": "d.txt", "VersionData": b64(b"d"), "FirstPublishLocationId": case_id}},
        {"method": "GET", "url": "/services/data/v67.0/sobjects/ContentVersion/@{v.id}?fields=ContentDocumentId",
         "referenceId": "read"}]})
    entries = r.json()["compositeResponse"]
    assert entries[0]["httpStatusCode"] == 201 and entries[1]["body"]["ContentDocumentId"].startswith("069")
    links = query(api, f"SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId = '{case_id}'")
    assert len(links) == 2


@pytest.fixture(scope="module")
def ext_files_server(tmp_path_factory):
    schema = tmp_path_factory.mktemp("files") / "files.json"
    schema.write_text(json.dumps({"name": "ContentVersion", "fields": [
        {"name": "Syncd_Key__c", "type": "string", "length": 255, "externalId": True, "unique": True}]}))
    with FakeforceServer(schema_files=[schema]) as server:
        yield server


def test_custom_external_id_on_content_version(ext_files_server):
    from fakeforce.pytest_plugin import FakeforceHandle

    handle = FakeforceHandle(ext_files_server)
    with handle.client() as api:
        case = api.post("/sobjects/Case", json={"Subject": "c"}).json()["id"]
        r = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt", "VersionData": b64(b"a"),
                                                       "FirstPublishLocationId": case, "Syncd_Key__c": "att-1"})
        assert r.status_code == 201, r.text
        [row] = query(api, "SELECT Id, ContentDocumentId FROM ContentVersion WHERE Syncd_Key__c = 'att-1'")
        assert row["Id"] == r.json()["id"] and row["ContentDocumentId"].startswith("069")
        again = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt", "VersionData": b64(b"a"),
                                                           "Syncd_Key__c": "att-1"})
        assert again.status_code == 400 and error(again)["errorCode"] == "DUPLICATE_VALUE"


def test_simple_salesforce_uploads_a_file(fakeforce_tls):
    """simple-salesforce (https only) inserts a ContentVersion with FirstPublishLocationId and finds its link."""
    import requests
    from simple_salesforce import Salesforce

    session = requests.Session()
    session.verify, session.trust_env = fakeforce_tls.ca_bundle, False
    with session:
        sf = Salesforce(instance_url=fakeforce_tls.url, session_id=fakeforce_tls.token(), session=session,
                        version="62.0")
        case_id = sf.Case.create({"Subject": "Chat"})["id"]
        created = sf.ContentVersion.create({"Title": "Note", "PathOnClient": "note.txt", "VersionData": b64(b"note"),
                                            "FirstPublishLocationId": case_id})
        rows = sf.query(f"SELECT ContentDocumentId, FileType FROM ContentVersion WHERE Id = '{created['id']}'")
        assert rows["records"][0]["FileType"] == "TEXT"
        links = sf.query(f"SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = '{case_id}'")
        assert links["totalSize"] == 1


def test_deleting_the_record_deletes_its_links_and_attachments(api, case_id):
    api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt", "VersionData": b64(b"x"),
                                               "FirstPublishLocationId": case_id})
    att = api.post("/sobjects/Attachment", json={"Name": "a", "ParentId": case_id, "Body": b64(b"y")}).json()["id"]
    assert api.delete(f"/sobjects/Case/{case_id}").status_code == 204
    assert query(api, f"SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId = '{case_id}'") == []
    assert api.get(f"/sobjects/Attachment/{att}").status_code == 404


def test_blob_read_in_composite_is_refused_not_a_crash(api, case_id):
    version_id = api.post("/sobjects/ContentVersion", json={"PathOnClient": "a.txt",
                                                            "VersionData": b64(b"x")}).json()["id"]
    r = api.post("/composite", json={"compositeRequest": [
        {"method": "GET", "url": f"/services/data/v67.0/sobjects/ContentVersion/{version_id}/VersionData",
         "referenceId": "blob"}]})
    assert r.status_code == 200
    assert r.json()["compositeResponse"][0]["httpStatusCode"] == 400


def test_link_version_has_no_bytes(api):
    r = api.post("/sobjects/ContentVersion", json={"ContentUrl": "https://example.com/doc", "Title": "Doc"})
    assert r.status_code == 201, r.text
    v = api.get(f"/sobjects/ContentVersion/{r.json()['id']}").json()
    assert v["FileType"] == "LINK" and v["VersionData"] is None and v["ContentDocumentId"].startswith("069")
    both = api.post("/sobjects/ContentVersion", json={"ContentUrl": "https://e.com", "PathOnClient": "a.txt",
                                                      "VersionData": b64(b"x")})
    assert both.status_code == 400 and error(both)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


@pytest.mark.parametrize("stored, served", [
    ("text/plain; charset=utf-8", "text/plain; charset=utf-8"),
    ("text/html\r\nX-Evil: 1", "application/octetstream"),
    ("text/html; boundary=x", "application/octetstream"),
    ("not a type", "application/octetstream"),
])
def test_an_attachment_content_type_is_served_only_when_plain(api, case_id, stored, served):
    """A stored ContentType must not split the response header; every blob is served nosniff."""
    r = api.post("/sobjects/Attachment", json={"Name": "a.html", "ParentId": case_id, "ContentType": stored,
                                               "Body": b64(b"<script>alert(1)</script>")})
    assert r.status_code == 201, r.text
    blob = api.get(f"/sobjects/Attachment/{r.json()['id']}/Body")
    assert blob.status_code == 200 and "x-evil" not in blob.headers
    assert blob.headers["content-type"] == served
    assert blob.headers["x-content-type-options"] == "nosniff"
