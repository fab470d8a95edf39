"""``/sobjects/{Type}/describe/layouts`` and ``/describe/layouts/{recordTypeId}``: the object's page layouts
(a schema file's, else a default one in describe order), built in :mod:`fakeforce.schema.layouts`."""

from __future__ import annotations

from ..errors import SalesforceError, not_found
from ..schema import layouts
from . import ROUTER, Answer, Call


def _answer(call: Call, sobject: str) -> dict:
    obj = call.org.sobject(sobject)  # NOT_FOUND for an object the org does not have
    if not obj.flag("layoutable"):  # as an org answers for an object without page layouts
        raise SalesforceError("INVALID_ARGUMENT_TYPE", "Cannot get layout for non-layoutable entity", 400)
    return layouts.describe_layouts(obj, call.org.schema.layouts.get(obj.name.lower()), call.version)


def describe_layouts(call: Call, sobject: str) -> Answer:
    return Answer(200, _answer(call, sobject))


def describe_layout(call: Call, sobject: str, record_type_id: str) -> Answer:
    layout = layouts.for_record_type(_answer(call, sobject), record_type_id)
    if layout is None:
        raise not_found()
    return Answer(200, layout)


ROUTER.add("/sobjects/{sobject}/describe/layouts", GET=describe_layouts)
ROUTER.add("/sobjects/{sobject}/describe/layouts/{record_type_id}", GET=describe_layout)
