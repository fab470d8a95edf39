"""Request bodies of sObject writes that may carry blob data: JSON with base64, or multipart/form-data.

REST API Developer Guide, "Insert or Update Blob Data": the multipart form has a JSON part with the
record's non-binary fields (named ``entity_content`` for ContentVersion, ``entity_document`` for Document,
and so on: any ``entity_*`` name is taken here) and a binary part named after the blob field
(``VersionData``, ``Body``). A non-multipart body with blob data is limited to 50 MB (37.5 MB of file as
base64); a multipart file to 2 GB for ContentVersion and 500 MB for other objects. The bytes are stored
as base64 like any other value.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from .. import content, jsonbody
from ..errors import SalesforceError
from . import Call

_PARAM = re.compile(r';\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class Part:
    name: str
    content_type: str
    data: bytes


def bad_multipart(message: str) -> SalesforceError:
    return SalesforceError("INVALID_MULTIPART_REQUEST", message, 400)


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``multipart/form-data; boundary="x"`` -> (``multipart/form-data``, {"boundary": "x"})."""
    main = value.split(";", 1)[0].strip().lower()
    params = {}
    for key, raw in _PARAM.findall(value):
        raw = raw.strip()
        params[key.lower()] = raw[1:-1].replace('\\"', '"') if raw.startswith('"') and raw.endswith('"') else raw
    return main, params


def is_multipart(call: Call) -> bool:
    return call.body is None and header_params(call.headers.get("content-type", ""))[0].startswith("multipart/")


def parse(raw: bytes, content_type: str) -> list[Part]:
    """The parts of a multipart body; a body that is not one is Salesforce-style refused, never a crash."""
    _, params = header_params(content_type)
    boundary = params.get("boundary")
    if not boundary:
        raise bad_multipart("The multipart request has no boundary in its Content-Type header")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = raw.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise bad_multipart("The multipart request body is not terminated by its closing boundary")
    parts = []
    for chunk in chunks[1:-1]:
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = chunk.partition(b"\n\n")
        if not sep:
            raise bad_multipart("A part of the multipart request has no headers")
        data = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
        headers = {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        _, disposition = header_params(headers.get("content-disposition", ""))
        if "name" not in disposition:
            raise bad_multipart("A part of the multipart request has no name in its Content-Disposition header")
        parts.append(Part(disposition["name"], headers.get("content-type", ""), data))
    return parts


def _entity(parts: list[Part], type_name: str) -> Any:
    json_parts = [p for p in parts if p.name.lower().startswith("entity_")]
    if len(json_parts) != 1:
        raise bad_multipart(f"The multipart request needs exactly one JSON part with the {type_name} fields, "
                            "named entity_content (ContentVersion) or entity_<object> (e.g. entity_document)")
    return jsonbody.loads(json_parts[0].data)


def record_body(call: Call, sobject: str) -> Any:
    """The record body of a create or update: the JSON (size-checked when the object holds blobs), or the
    multipart form's JSON part with its binary part as the blob field's base64."""
    org = call.org
    obj = org.sobject(sobject)
    blobs = content.blob_fields(obj)
    limits = content.limits(org)
    if not is_multipart(call):
        if blobs and call.body is None and len(call.raw) > limits.json_request_bytes:
            raise content.request_too_large(limits.json_request_bytes)
        return call.json()
    if not blobs:
        raise bad_multipart(f"The {obj.name} object has no blob field: send its fields as application/json")
    parts = parse(call.raw, call.headers.get("content-type", ""))
    body = _entity(parts, obj.name)
    if not isinstance(body, dict):
        return body  # parse_body answers Salesforce's error for a body that is not an object
    limit = limits.content_version_bytes if obj.name == content.VERSION else limits.blob_bytes
    by_name = {f.lower(): f for f in blobs}
    for part in parts:
        field = by_name.get(part.name.lower())
        if field is None:
            continue
        if len(part.data) > limit:
            raise content.request_too_large(limit)
        body = {**body, field: base64.b64encode(part.data).decode("ascii")}
    return body
