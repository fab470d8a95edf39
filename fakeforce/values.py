"""Check and convert one field value from a request into its stored form, with Salesforce's error for each misfit."""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

from . import formats
from .errors import SalesforceError
from .ids import to18
from .schema import Field

_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+\Z")  # \Z: $ allows a trailing newline
_JSON_KIND = {bool: "VALUE_TRUE", int: "VALUE_NUMBER_INT", float: "VALUE_NUMBER_FLOAT", str: "VALUE_STRING",
              list: "START_ARRAY", dict: "START_OBJECT"}
_JAVA_TYPE = {"boolean": "boolean", "int": "int", "long": "long", "double": "double", "currency": "double",
              "percent": "double", "date": "date", "datetime": "datetime", "time": "time", "base64": "base64"}


def parser_error(field: Field, value: Any) -> SalesforceError:
    """What Salesforce's JSON deserializer says when a value cannot become the field's type."""
    kind = _JSON_KIND.get(type(value), "VALUE_STRING")
    if value is False:
        kind = "VALUE_FALSE"
    shown = value if not isinstance(value, (dict, list)) else ""
    return SalesforceError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {_JAVA_TYPE.get(field.type, 'string')} from {kind} value {shown} "
        f"or request may be missing a required field",
    )


def _text(field: Field, value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise parser_error(field, value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _number(field: Field, value: Any) -> int | float:
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise parser_error(field, value)
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            raise parser_error(field, value) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise parser_error(field, value)
    if field.type in ("int", "long"):
        if isinstance(value, float):
            if not value.is_integer():
                raise parser_error(field, value)
            value = int(value)
        limit = 2**31 if field.type == "int" else 2**63
        if not -limit <= value < limit:
            raise parser_error(field, value)
        return value
    precision, scale = field.describe.get("precision") or 18, field.describe.get("scale") or 0
    value = round(float(value), scale)
    if abs(value) >= 10 ** (precision - scale):
        raise SalesforceError("NUMBER_OUTSIDE_VALID_RANGE",
                              f"{field.label}: value outside of valid range on numeric field: {value}", 400,
                              [field.name])
    return value


def coerce(field: Field, value: Any) -> Any:
    """The stored form of ``value`` for ``field`` (``None`` stays ``None``; required-ness is checked elsewhere)."""
    if value is None:
        return None
    ftype = field.type
    if ftype == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise parser_error(field, value)
    if ftype in ("int", "long", "double", "currency", "percent"):
        return _number(field, value)
    if ftype == "date":
        try:
            return formats.parse_date(_text(field, value)).isoformat()
        except ValueError:
            raise parser_error(field, value) from None
    if ftype == "datetime":
        try:
            return formats.format_datetime(formats.parse_datetime(_text(field, value)))
        except ValueError:
            raise parser_error(field, value) from None
    if ftype == "time":
        try:
            return formats.format_time(formats.parse_time(_text(field, value)))
        except ValueError:
            raise parser_error(field, value) from None
    if ftype == "base64":
        text = _text(field, value)
        try:
            base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise parser_error(field, value) from None
        return text
    if ftype in ("reference", "id"):
        text = _text(field, value)
        if text == "":
            return None
        try:
            return to18(text)
        except ValueError:
            raise SalesforceError("MALFORMED_ID", f"{field.label}: id value of incorrect type: {text}", 400,
                                  [field.name]) from None
    text = _text(field, value)
    if text == "" and ftype not in ("textarea",):
        return None  # Salesforce stores empty strings as null
    length = field.describe.get("length") or 0
    if length and len(text) > length:
        raise SalesforceError("STRING_TOO_LONG", f"{field.label}: data value too large: {text} (max length={length})",
                              400, [field.name])
    if ftype == "email" and not _EMAIL_RE.match(text):
        raise SalesforceError("INVALID_EMAIL_ADDRESS", f"{field.label}: invalid email address: {text}", 400,
                              [field.name])
    if ftype == "picklist" and field.describe.get("restrictedPicklist") and text not in field.picklist_values:
        raise SalesforceError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                              f"{field.label}: bad value for restricted picklist field: {text}", 400, [field.name])
    if ftype == "multipicklist":
        parts = [p.strip() for p in text.split(";") if p.strip()]
        if field.describe.get("restrictedPicklist"):
            for part in parts:
                if part not in field.picklist_values:
                    raise SalesforceError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                          f"{field.label}: bad value for restricted picklist field: {part}", 400,
                                          [field.name])
        return ";".join(dict.fromkeys(parts)) or None
    return text
