"""``GET /sobjects/{sobject}/{id}/{blobField}``: a record's blob as raw bytes (VersionData, Attachment Body).

Registered before :mod:`fakeforce.rest.sobjects`, whose ``/sobjects/{sobject}/{field}/{value}`` would take
the path otherwise; anything that is not a record id and a base64 field goes on to the external-id read.
"""

from __future__ import annotations

import re

from .. import content
from ..errors import SalesforceError, not_found
from . import ROUTER, Answer, Call

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*charset=(?:{_TOKEN}|\"{_TOKEN}\"))?",
                         re.IGNORECASE)
"""RFC 7230 tokens (``tchar``): no space, no CR/LF, no separators."""

OCTET = "application/octetstream"
"""The content type an org answers for VersionData (Salesforce's own spelling)."""


def get_blob(call: Call, sobject: str, field: str, value: str) -> Answer:
    """``field`` is the record id and ``value`` the blob field here (the template is shared with the
    external-id routes, which get every other path)."""
    from . import sobjects  # imported late: this route must be registered before sobjects' own

    org = call.org
    obj = org.sobject(sobject)
    key, blob = field, obj.field(value)
    if blob is None or blob.type != "base64" or not (org.looks_like_id(key) and key[:3] == obj.key_prefix):
        return sobjects.get_by_external(call, sobject, field, value)
    if isinstance(call.headers, dict):
        # A composite subrequest: its answers are JSON, and a blob has none.
        raise SalesforceError("INVALID_API_INPUT", f"The {blob.name} of a record can't be read in a composite "
                              "request; read it with its own GET request", 400)
    with org.store.lock:
        record = org.store.get(obj.name, org.record_id(obj, key))
        if record is None or record.get("IsDeleted"):
            raise not_found()
        value = record.get(blob.name)
    if value is None:
        raise not_found()
    media = safe_media_type(record.get("ContentType")) if obj.name == content.ATTACHMENT else OCTET
    # nosniff: a stored text/html or a mislabelled file must not be run as a page by a browser.
    return Answer(200, content.decoded(value), headers={"X-Content-Type-Options": "nosniff"}, media_type=media)


def safe_media_type(value: object) -> str:
    """A stored ContentType fit for a response header: a plain ``type/subtype`` of RFC 7230 token
    characters, with at most a charset parameter. Anything else (CR/LF, other parameters, junk) is served
    as :data:`OCTET`, so a record's text can neither split the header nor pick how a browser runs it."""
    if isinstance(value, str) and _MEDIA_TYPE.fullmatch(value):
        return value
    return OCTET


def _upsert(call: Call, sobject: str, field: str, value: str) -> Answer:
    from . import sobjects

    return sobjects.upsert(call, sobject, field, value)


def _delete(call: Call, sobject: str, field: str, value: str) -> Answer:
    from . import sobjects

    return sobjects.delete_by_external(call, sobject, field, value)


ROUTER.add("/sobjects/{sobject}/{field}/{value}", GET=get_blob, PATCH=_upsert, DELETE=_delete)
