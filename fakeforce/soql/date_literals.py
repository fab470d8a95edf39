"""SOQL date literals and date functions, in the org's time zone.

A literal is a half-open interval of local days [start, end), returned in UTC. Per the SOQL reference:
LAST_N_DAYS:n covers today and the n days before it (LAST_90_DAYS is 91 days); NEXT_N_DAYS:n starts
tomorrow; LAST_N_WEEKS/MONTHS/QUARTERS/YEARS:n are the n whole periods before the current one and the
NEXT_N_* ones the n whole periods after it; N_*_AGO:n is the single period n back. Weeks start on
Sunday (the en_US locale) and the fiscal year in January unless told otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

LITERALS = frozenset({
    "YESTERDAY", "TODAY", "TOMORROW", "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK", "LAST_MONTH", "THIS_MONTH",
    "NEXT_MONTH", "LAST_90_DAYS", "NEXT_90_DAYS", "THIS_QUARTER", "LAST_QUARTER", "NEXT_QUARTER", "THIS_YEAR",
    "LAST_YEAR", "NEXT_YEAR", "THIS_FISCAL_QUARTER", "LAST_FISCAL_QUARTER", "NEXT_FISCAL_QUARTER",
    "THIS_FISCAL_YEAR", "LAST_FISCAL_YEAR", "NEXT_FISCAL_YEAR",
})
LITERALS_WITH_N = frozenset({
    "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "NEXT_N_WEEKS", "LAST_N_WEEKS", "N_WEEKS_AGO", "NEXT_N_MONTHS",
    "LAST_N_MONTHS", "N_MONTHS_AGO", "NEXT_N_QUARTERS", "LAST_N_QUARTERS", "N_QUARTERS_AGO", "NEXT_N_YEARS",
    "LAST_N_YEARS", "N_YEARS_AGO", "NEXT_N_FISCAL_QUARTERS", "LAST_N_FISCAL_QUARTERS", "N_FISCAL_QUARTERS_AGO",
    "NEXT_N_FISCAL_YEARS", "LAST_N_FISCAL_YEARS", "N_FISCAL_YEARS_AGO",
})
DATE_FUNCTIONS = frozenset({
    "CALENDAR_MONTH", "CALENDAR_QUARTER", "CALENDAR_YEAR", "DAY_IN_MONTH", "DAY_IN_WEEK", "DAY_IN_YEAR", "DAY_ONLY",
    "FISCAL_MONTH", "FISCAL_QUARTER", "FISCAL_YEAR", "HOUR_IN_DAY", "WEEK_IN_MONTH", "WEEK_IN_YEAR",
})


class DateLiteralError(ValueError):
    """An unknown date literal or function, or a bad ``:n``."""


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _period_start(today: date, unit: str, fiscal_start: int, week_start: int) -> date:
    if unit == "DAY":
        return today
    if unit == "WEEK":
        return today - timedelta(days=(today.weekday() - week_start) % 7)
    if unit == "MONTH":
        return today.replace(day=1)
    first = 1 if unit in ("QUARTER", "YEAR") else fiscal_start
    months_since = (today.month - first) % 12
    span = 3 if "QUARTER" in unit else 12
    return _add_months(today.replace(day=1), -(months_since % span))


def _shift(start: date, unit: str, count: int) -> date:
    if unit == "DAY":
        return start + timedelta(days=count)
    if unit == "WEEK":
        return start + timedelta(weeks=count)
    months = {"MONTH": 1, "QUARTER": 3, "FISCAL_QUARTER": 3, "YEAR": 12, "FISCAL_YEAR": 12}[unit]
    return _add_months(start, months * count)


def _unit(name: str) -> str:
    for unit in ("FISCAL_QUARTER", "FISCAL_YEAR", "QUARTER", "YEAR", "MONTH", "WEEK", "DAY"):
        if name.endswith(unit) or name.endswith(unit + "S") or f"_{unit}S_" in name or name.startswith(f"N_{unit}S"):
            return unit
    raise DateLiteralError(f"unexpected token: '{name}'")


def local_day_range(name: str, n: int | None, today: date, fiscal_start: int = 1,
                    week_start: int = 6) -> tuple[date, date]:
    """[first day, day after the last) of a literal, in local days."""
    name = name.upper()
    if n is None and name not in LITERALS:
        raise DateLiteralError(f"unexpected token: '{name}'")
    if n is not None and (name not in LITERALS_WITH_N or n < 0):
        raise DateLiteralError(f"Invalid date literal: {name}:{n}")
    fixed = {"YESTERDAY": (-1, 1), "TODAY": (0, 1), "TOMORROW": (1, 1)}
    if name in fixed:
        offset, days = fixed[name]
        return today + timedelta(days=offset), today + timedelta(days=offset + days)
    if name == "LAST_90_DAYS":
        name, n = "LAST_N_DAYS", 90
    if name == "NEXT_90_DAYS":
        name, n = "NEXT_N_DAYS", 90
    if name == "LAST_N_DAYS":
        return today - timedelta(days=n), today + timedelta(days=1)
    if name == "NEXT_N_DAYS":
        return today + timedelta(days=1), today + timedelta(days=1 + n)
    if name == "N_DAYS_AGO":
        return today - timedelta(days=n), today - timedelta(days=n - 1)
    unit = _unit(name)
    start = _period_start(today, unit, fiscal_start, week_start)
    if name.startswith("THIS_"):
        return start, _shift(start, unit, 1)
    if name.startswith("LAST_N_"):
        return _shift(start, unit, -n), start
    if name.startswith("NEXT_N_"):
        return _shift(start, unit, 1), _shift(start, unit, 1 + n)
    if name.startswith("LAST_"):
        return _shift(start, unit, -1), start
    if name.startswith("NEXT_"):
        return _shift(start, unit, 1), _shift(start, unit, 2)
    if name.startswith("N_"):
        return _shift(start, unit, -n), _shift(start, unit, 1 - n)
    raise DateLiteralError(f"unexpected token: '{name}'")


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def literal_range(name: str, n: int | None, now: datetime, tz: tzinfo, fiscal_start_month: int = 1,
                  week_start: int = 6) -> tuple[datetime, datetime]:
    """The UTC interval [start, end) a date literal covers at ``now`` in the time zone ``tz``."""
    today = now.astimezone(tz).date()
    first, after = local_day_range(name, n, today, fiscal_start_month, week_start)
    return _midnight(first, tz), _midnight(after, tz)


def date_function(name: str, value: datetime | date, tz: tzinfo, fiscal_start_month: int = 1) -> int | date:
    """CALENDAR_YEAR(...) and friends, on the value in the org's time zone."""
    name = name.upper()
    if name not in DATE_FUNCTIONS:
        raise DateLiteralError(f"unexpected token: '{name}'")
    hour = 0
    if isinstance(value, datetime):
        local = value.astimezone(tz)
        hour, value = local.hour, local.date()
    d: date = value
    fiscal_month = (d.month - fiscal_start_month) % 12 + 1
    fiscal_year = d.year + (1 if fiscal_start_month > 1 and d.month >= fiscal_start_month else 0)
    return {
        "CALENDAR_MONTH": lambda: d.month,
        "CALENDAR_QUARTER": lambda: (d.month - 1) // 3 + 1,
        "CALENDAR_YEAR": lambda: d.year,
        "DAY_IN_MONTH": lambda: d.day,
        "DAY_IN_WEEK": lambda: (d.weekday() + 1) % 7 + 1,  # 1 = Sunday
        "DAY_IN_YEAR": lambda: d.timetuple().tm_yday,
        "DAY_ONLY": lambda: d,
        "FISCAL_MONTH": lambda: fiscal_month,
        "FISCAL_QUARTER": lambda: (fiscal_month - 1) // 3 + 1,
        "FISCAL_YEAR": lambda: fiscal_year,
        "HOUR_IN_DAY": lambda: hour,
        "WEEK_IN_MONTH": lambda: (d.day - 1) // 7 + 1,
        "WEEK_IN_YEAR": lambda: (d.timetuple().tm_yday - 1) // 7 + 1,
    }[name]()
