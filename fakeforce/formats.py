"""Salesforce's wire formats for dates, datetimes and times, both ways."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone

_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?\Z"
)
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?Z?\Z")


def format_datetime(value: datetime) -> str:
    """``2011-07-07T00:37:00.000+0000``: UTC, milliseconds, offset without colon; sorts as text."""
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    match = _DATETIME_RE.match(text.strip())
    if not match:
        raise ValueError(text)
    year, month, day, hour, minute, second, frac, offset = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        from datetime import timedelta

        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=tz)


def parse_date(text: str) -> date:
    return date.fromisoformat(text.strip()[:10]) if re.match(r"^\d{4}-\d{2}-\d{2}\Z", text.strip()) else _bad(text)


def parse_time(text: str) -> time:
    match = _TIME_RE.match(text.strip())
    if not match:
        raise ValueError(text)
    hour, minute, second, frac = match.groups()
    return time(int(hour), int(minute), int(second or 0), int((frac or "0")[:6].ljust(6, "0")))


def format_time(value: time) -> str:
    return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _bad(text: str):
    raise ValueError(text)
