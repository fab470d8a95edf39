"""Bulk API 1.0 documents on the wire: jobInfo, batchInfo, batchInfoList, result-list and error, as XML or
JSON; and the jobInfo a client sends. Pure functions: text in, data out and back."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from .model import NAMESPACE, Bulk1Error

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>'
XSI = "http://www.w3.org/2001/XMLSchema-instance"
JSON_MEDIA = "application/json"
XML_MEDIA = "application/xml"
CSV_MEDIA = "text/csv"


def xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.1f}"
    return escape(str(value))


def xml_fields(doc: dict[str, Any]) -> str:
    return "".join(f"<{k}>{xml_value(v)}</{k}>" for k, v in doc.items() if v is not None)


def xml_doc(root: str, doc: dict[str, Any]) -> str:
    return f'{XML_DECL}<{root} xmlns="{NAMESPACE}">{xml_fields(doc)}</{root}>'


def xml_batch_list(infos: list[dict[str, Any]]) -> str:
    inner = "".join(f"<batchInfo>{xml_fields(i)}</batchInfo>" for i in infos)
    return f'{XML_DECL}<batchInfoList xmlns="{NAMESPACE}">{inner}</batchInfoList>'


def xml_result_list(ids: list[str]) -> str:
    inner = "".join(f"<result>{escape(i)}</result>" for i in ids)
    return f'{XML_DECL}<result-list xmlns="{NAMESPACE}">{inner}</result-list>'


def render(kind: str, body: Any, as_json: bool) -> tuple[str, str]:
    """(text, media type) of a ``jobInfo``/``batchInfo`` dict, a ``batchInfoList`` or ``result-list`` list,
    or an ``error``; JSON documents are the bare object (a batch list is ``{"batchInfo": [...]}``)."""
    if as_json:
        if kind == "batchInfoList":
            body = {"batchInfo": body}
        return json.dumps(body, separators=(",", ":")), JSON_MEDIA
    if kind == "batchInfoList":
        return xml_batch_list(body), XML_MEDIA
    if kind == "result-list":
        return xml_result_list(body), XML_MEDIA
    return xml_doc(kind, body), XML_MEDIA


def error_doc(error: Bulk1Error) -> dict[str, str]:
    return {"exceptionCode": error.code, "exceptionMessage": error.message}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml(raw: bytes) -> Any:
    """An Element of untrusted XML (entity tricks refused by defusedxml)."""
    try:
        return ElementTree.fromstring(raw)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise Bulk1Error("InvalidXML", f"Unable to parse XML: {exc}") from None


def parse_job_request(raw: bytes, as_json: bool) -> dict[str, Any]:
    """The fields of a jobInfo the client sent (create or state change), as a flat dict of values."""
    if not raw.strip():
        raise Bulk1Error("InvalidJob" if not as_json else "ClientInputError", "The request body is empty")
    if as_json:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Bulk1Error("ClientInputError", f"Unable to parse JSON: {exc}") from None
        if not isinstance(body, dict):
            raise Bulk1Error("ClientInputError", "The jobInfo must be a JSON object")
        return body
    root = parse_xml(raw)
    if local(root.tag) != "jobInfo":
        raise Bulk1Error("InvalidXML", f"Expected a jobInfo element, found {local(root.tag)}")
    return {local(child.tag): (child.text or "").strip() for child in root}
