"""Salesforce Files and classic Attachments: what an org derives when a file is stored.

Facts followed (REST API Developer Guide "Insert or Update Blob Data"; Object Reference ContentVersion,
ContentDocument, ContentDocumentLink, Attachment):

* Inserting a ContentVersion without ``ContentDocumentId`` makes a new ContentDocument (Title, owner,
  LatestPublishedVersionId, FileExtension, FileType, ContentSize); the version gets VersionNumber "1",
  IsLatest, ContentSize, an MD5 Checksum, FileExtension and FileType from PathOnClient's extension. With
  ``ContentDocumentId`` it is the document's next version.
* A document always has its owner's link (ShareType ``I``); ``FirstPublishLocationId`` (a live record)
  adds a link to that record (ShareType ``V``, Visibility ``AllUsers`` in an org without communities).
* A ContentDocumentLink may be inserted to share an existing document: ShareType is required, one link
  per (document, entity); queries on it need a filter on Id, ContentDocumentId or LinkedEntityId.
* Attachments need ParentId and Body; BodyLength is derived; a Body over 25 MB is refused with
  MAXIMUM_SIZE_OF_ATTACHMENT.
* Bytes live in the record store as base64, like any other value; reads of a blob field answer its
  relative URL (``/services/data/vXX.X/sobjects/ContentVersion/{id}/VersionData``), the bytes come from that
  URL.

Called by the org around its writes (inside their transaction), like :mod:`fakeforce.activities`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import records
from .errors import SalesforceError

if TYPE_CHECKING:
    from .org import Org
    from .schema import SObject

VERSION, DOCUMENT, LINK, ATTACHMENT = "ContentVersion", "ContentDocument", "ContentDocumentLink", "Attachment"
LINK_FILTER_FIELDS = ("Id", "ContentDocumentId", "LinkedEntityId")
MB = 1024 * 1024


@dataclass
class FileLimits:
    """Size limits in bytes, as documented; an org may be given smaller ones (tests, scenarios)."""

    json_request_bytes: int = 50 * MB
    """A non-multipart request with blob data: 50 MB of text, i.e. 37.5 MB of file as base64."""
    content_version_bytes: int = 2048 * MB
    """One ContentVersion file sent as multipart (sObject Basic Information / Rows)."""
    blob_bytes: int = 500 * MB
    """One file of any other object sent as multipart; also all files of one sObject Collections request."""
    attachment_bytes: int = 25 * MB
    """An Attachment's Body (the create call's limit)."""


def limits(org: "Org") -> FileLimits:
    """The org's file limits (a ``FileLimits`` set on ``org.file_limits``, else the documented ones)."""
    found = getattr(org, "file_limits", None)
    return found if isinstance(found, FileLimits) else FileLimits()


def request_too_large(limit: int) -> SalesforceError:
    """What an org answers for a request over its size limit (seen from real orgs: JSON_PARSER_ERROR, 400)."""
    return SalesforceError("JSON_PARSER_ERROR", f"Maximum size of request reached. Maximum size of request is "
                                                f"{limit} bytes.", 400)


def blob_fields(obj: "SObject") -> list[str]:
    return [f.name for f in obj.fields if f.type == "base64"]


def blob_url(version: str, type_name: str, record_id: str, field: str) -> str:
    return f"/services/data/v{version}/sobjects/{type_name}/{record_id}/{field}"


def decoded(value: str | None) -> bytes:
    """The bytes of a stored base64 value (values.coerce has checked it)."""
    return base64.b64decode(value) if value else b""


# -- file types -----------------------------------------------------------------------------------
_FILE_TYPES = {
    "pdf": "PDF", "png": "PNG", "jpg": "JPG", "jpeg": "JPEG", "gif": "GIF", "bmp": "BMP", "tif": "TIFF",
    "tiff": "TIFF", "txt": "TEXT", "csv": "CSV", "rtf": "RTF", "xml": "XML", "json": "JSON", "htm": "HTML",
    "html": "HTML", "zip": "ZIP", "doc": "WORD", "docx": "WORD_X", "xls": "EXCEL", "xlsx": "EXCEL_X",
    "ppt": "POWER_POINT", "pptx": "POWER_POINT_X", "mp3": "MP3", "mp4": "MP4", "mov": "MOV", "wav": "WAV",
    "svg": "SVG", "eml": "EML", "msg": "MSG", "odt": "ODT", "ods": "ODS", "js": "JAVASCRIPT", "css": "CSS",
}


def file_extension(path: str | None) -> str | None:
    """``report.PDF`` -> ``pdf``; none without a dot."""
    name = (path or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") and not name.endswith(".") else None


def file_type(extension: str | None) -> str:
    return _FILE_TYPES.get(extension or "", "UNKNOWN")


def title_of(path: str | None) -> str | None:
    """The file name without its folder and extension, as an org titles a version without Title."""
    name = (path or "").replace("\\", "/").rsplit("/", 1)[-1]
    return (name.rsplit(".", 1)[0] if file_extension(name) else name) or None


# -- hooks ------------------------------------------------------------------------------------------
def before_build(obj: "SObject", values: dict[str, Any]) -> None:
    """Before required fields are checked: a version without Title takes its file's name."""
    if obj.name == VERSION:
        if not values.get("PathOnClient") and not values.get("ContentUrl"):
            raise SalesforceError("REQUIRED_FIELD_MISSING", "Required fields are missing: [PathOnClient]", 400,
                                  ["PathOnClient"])
        if not values.get("Title"):
            values["Title"] = title_of(values.get("PathOnClient")) or values.get("ContentUrl")


def before_insert(org: "Org", obj: "SObject", record: dict, user_id: str | None) -> None:
    """Derived fields of a new version, attachment or link; refusals before anything is stored."""
    if obj.name == VERSION:
        _version_fields(org, record)
    elif obj.name == ATTACHMENT:
        _attachment_size(org, record)
    elif obj.name == LINK:
        _check_link(org, record)


def before_update(org: "Org", obj: "SObject", record: dict) -> None:
    if obj.name == ATTACHMENT:
        _attachment_size(org, record)


def _attachment_size(org: "Org", record: dict) -> None:
    """BodyLength from the Body; over the limit: MAXIMUM_SIZE_OF_ATTACHMENT (as an org's Apex DML reports it)."""
    size = len(decoded(record.get("Body")))
    if size > limits(org).attachment_bytes:
        raise SalesforceError("MAXIMUM_SIZE_OF_ATTACHMENT", "attachment data exceeded maximum size", 400,
                              ["BodyLength"])
    record["BodyLength"] = size


def after_insert(org: "Org", obj: "SObject", record: dict, user_id: str | None) -> None:
    if obj.name != VERSION:
        return
    ctx = org._context(user_id)
    document_id = record["ContentDocumentId"]
    if org.store.get(DOCUMENT, document_id) is None:
        _insert_document(org, record, ctx)
        _link(org, document_id, record["OwnerId"], "I", ctx)
    else:
        _new_latest(org, record, ctx)
    location = record.get("FirstPublishLocationId")
    if location and location != record["OwnerId"]:
        _link(org, document_id, location, "V", ctx)


def _version_fields(org: "Org", record: dict) -> None:
    if record.get("VersionData") is None and not record.get("ContentUrl"):
        raise SalesforceError("REQUIRED_FIELD_MISSING", "Required fields are missing: [VersionData]", 400,
                              ["VersionData"])
    if record.get("VersionData") is not None and record.get("ContentUrl"):
        raise SalesforceError("FIELD_INTEGRITY_EXCEPTION", "Content URL and Version Data can't both be set", 400,
                              ["ContentUrl", "VersionData"])
    if record.get("ContentUrl"):  # a link, not a file: no bytes, FileType LINK
        record.update({"FileType": "LINK", "IsLatest": True})
    else:
        data = decoded(record["VersionData"])
        extension = file_extension(record["PathOnClient"])
        record.update({"ContentSize": len(data), "Checksum": hashlib.md5(data).hexdigest(),  # noqa: S324 (SF's)
                       "FileExtension": extension, "FileType": file_type(extension), "IsLatest": True})
    record.setdefault("Origin", "C")
    record.setdefault("ContentLocation", "S")
    record.setdefault("ContentModifiedDate", record.get("CreatedDate"))
    document_id = record.get("ContentDocumentId")
    if document_id:
        if record.get("FirstPublishLocationId"):
            raise SalesforceError("FIELD_INTEGRITY_EXCEPTION", "You can't set FirstPublishLocationId on a new "
                                  "version of an existing document.", 400, ["FirstPublishLocationId"])
        versions = live_versions(org, document_id)
        record["VersionNumber"] = str(max((int(v.get("VersionNumber") or 0) for v in versions), default=0) + 1)
        record["PublishStatus"] = (org.store.get(DOCUMENT, document_id) or {}).get("PublishStatus", "P")
    else:
        record["ContentDocumentId"] = org.new_id(org.sobject(DOCUMENT))
        record["VersionNumber"] = "1"
        record["PublishStatus"] = "P" if record.get("FirstPublishLocationId") else "R"
    for key in [k for k, v in record.items() if v is None]:
        del record[key]


def live_versions(org: "Org", document_id: str) -> list[dict]:
    store = org.store
    if store.indexed(VERSION, "ContentDocumentId"):
        rows = [store.get(VERSION, i) for i in store.lookup_index(VERSION, "ContentDocumentId", document_id)]
    else:
        rows = [r for r in store.records(VERSION) if r.get("ContentDocumentId") == document_id]
    return [r for r in rows if r is not None and not r.get("IsDeleted")]


def _document_fields(version: dict) -> dict[str, Any]:
    return {"Title": version.get("Title"), "LatestPublishedVersionId": version["Id"],
            "FileExtension": version.get("FileExtension"), "FileType": version.get("FileType"),
            "ContentSize": version.get("ContentSize"), "Description": version.get("Description"),
            "ContentModifiedDate": version.get("ContentModifiedDate")}


def _insert_document(org: "Org", version: dict, ctx: records.WriteContext) -> None:
    obj = org.sobject(DOCUMENT)
    values = {k: v for k, v in _document_fields(version).items() if v is not None}
    document = records.build_new(obj, values, version["ContentDocumentId"], ctx, {})
    document.update({"OwnerId": version["OwnerId"], "PublishStatus": version["PublishStatus"]})
    org.store.insert(DOCUMENT, document["Id"], document)


def _new_latest(org: "Org", version: dict, ctx: records.WriteContext) -> None:
    """A later version: the earlier ones are no longer latest; the document describes the new one."""
    for row in live_versions(org, version["ContentDocumentId"]):
        if row["Id"] != version["Id"] and row.get("IsLatest"):
            org.store.replace(VERSION, row["Id"], {**row, "IsLatest": False})
    document = org.store.get(DOCUMENT, version["ContentDocumentId"])
    changed = {**document, **{k: v for k, v in _document_fields(version).items() if v is not None},
               "LastModifiedDate": ctx.now, "SystemModstamp": ctx.now, "LastModifiedById": ctx.user_id}
    org.store.replace(DOCUMENT, document["Id"], changed)


def _link(org: "Org", document_id: str, entity_id: str, share_type: str, ctx: records.WriteContext) -> None:
    obj = org.sobject(LINK)
    values = {"ContentDocumentId": document_id, "LinkedEntityId": entity_id, "ShareType": share_type,
              "Visibility": "AllUsers"}
    link = records.build_new(obj, values, org.new_id(obj), ctx, {})
    org.store.insert(LINK, link["Id"], link)


def _check_link(org: "Org", record: dict) -> None:
    if not record.get("ShareType"):
        raise SalesforceError("REQUIRED_FIELD_MISSING", "Required fields are missing: [ShareType]", 400,
                              ["ShareType"])
    record.setdefault("Visibility", "AllUsers")
    for row in links_of(org, record["ContentDocumentId"]):
        if row["LinkedEntityId"] == record["LinkedEntityId"]:
            raise SalesforceError("DUPLICATE_VALUE", f"duplicate value found: <unknown> duplicates value on "
                                  f"record with id: {row['Id']}", 400)


def links_of(org: "Org", document_id: str) -> list[dict]:
    store = org.store
    if store.indexed(LINK, "ContentDocumentId"):
        rows = [store.get(LINK, i) for i in store.lookup_index(LINK, "ContentDocumentId", document_id)]
    else:
        rows = [r for r in store.records(LINK) if r.get("ContentDocumentId") == document_id]
    return [r for r in rows if r is not None and not r.get("IsDeleted")]


# -- reads ------------------------------------------------------------------------------------------
def check_query(query: Any) -> None:
    """ContentDocumentLink refuses a query without a top-level ``=``, ``IN (...)`` or ``IN (SELECT ...)`` on
    Id, ContentDocumentId or LinkedEntityId (``query``: the parsed :class:`fakeforce.soql.ast.Query`)."""
    if query.sobject.lower() != LINK.lower():
        return
    from .soql import ast

    where = query.where
    items = where.items if isinstance(where, ast.And) else (where,) if where is not None else ()
    wanted = {n.lower() for n in LINK_FILTER_FIELDS}
    for item in items:
        left = getattr(item, "left", None)
        parts = [p.lower() for p in left.parts] if isinstance(left, ast.Path) else []
        if len(parts) == 2 and query.alias and parts[0] == query.alias.lower():
            parts = parts[1:]
        named = len(parts) == 1 and parts[0] in wanted
        if named and ((isinstance(item, ast.Compare) and item.op == "=")
                      or (isinstance(item, (ast.InList, ast.InQuery)) and not item.negated)):
            return
    raise SalesforceError("MALFORMED_QUERY", "Implementation restriction: ContentDocumentLink requires a filter by "
                          "a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple "
                          "Id's using the IN operator.", 400)


def blob_urls(rendered: Any, blob_names: dict[str, set[str]]) -> None:
    """Replace base64 values in rendered records (and their parents and children) by their URLs, in place.

    ``blob_names``: object name -> its base64 field names. The record's ``attributes.url`` gives the base.
    """
    stack = [rendered]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        attributes = item.get("attributes")
        names = blob_names.get(attributes.get("type", "")) if isinstance(attributes, dict) else None
        for key, value in item.items():
            if names and key in names and isinstance(value, str) and attributes.get("url") \
                    and not value.startswith("/services/"):
                item[key] = f"{attributes['url']}/{key}"
            elif isinstance(value, (dict, list)) and key != "attributes":
                stack.append(value)


def query_blob_urls(org: "Org", soql: str, rows: list[dict]) -> None:
    """A query's blob fields as their URLs, as an org answers them (only walked when a blob field could be
    selected: the text names one, or uses FIELDS())."""
    names = org.__dict__.get("_blob_names")
    if names is None:
        names = {obj.name: set(blob_fields(obj)) for obj in org.schema}
        names = {k: v for k, v in names.items() if v}
        org.__dict__["_blob_names"] = names
    lowered = soql.lower()
    if rows and ("fields(" in lowered or any(f.lower() in lowered for fs in names.values() for f in fs)):
        blob_urls(rows, names)
