"""SOQL date literals (TODAY, LAST_N_DAYS:n, THIS_FISCAL_QUARTER, ...) and date functions (CALENDAR_YEAR(), ...).

Why this exists: a fake org must answer ``WHERE CloseDate = LAST_N_DAYS:30`` or ``GROUP BY FISCAL_QUARTER(...)``
the way a real one does, and Salesforce evaluates both in the org's time zone, not in UTC. So a literal here is a
half-open run of whole local days [start, end), each day starting at local midnight, returned as aware UTC datetimes
(a day across a DST change is 23 or 25 hours long). Semantics follow the SOQL and SOSL Reference pages "Date Formats
and Date Literals" and "Date Functions"; where the pages disagree between releases the choice is commented at the
table below. Pure: standard library only, no I/O, no clock - the caller passes ``now``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo

__all__ = ["DateLiteralError", "LITERALS", "LITERALS_WITH_N", "DATE_FUNCTIONS", "literal_range", "local_days",
           "date_function", "matches", "compare_date_literal"]


class DateLiteralError(ValueError):
    """An unknown date literal or date function, or a bad ``:n``; the message is in Salesforce's words."""


# A literal is (unit, start offset, end offset) counted in whole periods from the start of the current period;
# offsets are functions of n. THIS = [0, 1), LAST = [-1, 0), NEXT = [1, 2). Per the reference:
#  * LAST_N_DAYS:n "starts with the current day and continues for the past n days. This includes the current day ...
#    LAST_N_DAYS:1 includes yesterday and today"; LAST_90_DAYS "includes 91 days in total". The newest page says it
#    "continues up to the current second"; we end at the end of today (as TODAY does), which only differs for
#    datetimes later today, and keeps every literal a run of whole days.
#  * NEXT_N_DAYS:n "starts 00:00:00 of the next day ... does not include the current day. NEXT_N_DAYS:1 is
#    equivalent to TOMORROW"; NEXT_90_DAYS "starts 00:00:00 of the next day". The newest page reuses report-filter
#    wording ("on the day that the report is run ... The range includes today. In standard filters, n can be 7,
#    30 ..."); that describes report filters, not SOQL, so SOQL keeps the long-documented tomorrow start.
#  * N_DAYS_AGO:n is the single day n days back ("doesn't include today"); N_<unit>S_AGO:n the single period n back.
#  * LAST_N_<unit>S:n are the n whole periods before the current one, up to the end of the previous period ("doesn't
#    include the current quarter"); NEXT_N_<unit>S:n the n whole periods after it. The newest page words
#    LAST_N_YEARS:n as "starts ... January 1, n+1 years ago" yet ends it with last year; we read that as counting
#    this year's January 1 as the first one back, i.e. n whole years (LAST_N_YEARS:1 = LAST_YEAR), as older pages say.
#  * n = 0 is allowed: LAST_N_DAYS:0 and N_DAYS_AGO:0 are today; NEXT_N_*:0 and LAST_N_<unit>S:0 are empty.
_Span = tuple[str, Callable[[int], int], Callable[[int], int]]
_UNITS = {"DAYS": "DAY", "WEEKS": "WEEK", "MONTHS": "MONTH", "QUARTERS": "QUARTER", "YEARS": "YEAR",
          "FISCAL_QUARTERS": "FISCAL_QUARTER", "FISCAL_YEARS": "FISCAL_YEAR"}
_THIS, _LAST, _NEXT = (lambda n: 0, lambda n: 1), (lambda n: -1, lambda n: 0), (lambda n: 1, lambda n: 2)
_NO_N: dict[str, _Span] = {"YESTERDAY": ("DAY", *_LAST), "TODAY": ("DAY", *_THIS), "TOMORROW": ("DAY", *_NEXT),
                           "LAST_90_DAYS": ("DAY", lambda n: -90, lambda n: 1),
                           "NEXT_90_DAYS": ("DAY", lambda n: 1, lambda n: 91)}
_WITH_N: dict[str, _Span] = {}
for _plural, _unit in _UNITS.items():
    if _unit != "DAY":
        _NO_N.update({f"THIS_{_unit}": (_unit, *_THIS), f"LAST_{_unit}": (_unit, *_LAST),
                      f"NEXT_{_unit}": (_unit, *_NEXT)})
    _WITH_N[f"LAST_N_{_plural}"] = (_unit, lambda n: -n, (lambda n: 1) if _unit == "DAY" else (lambda n: 0))
    _WITH_N[f"NEXT_N_{_plural}"] = (_unit, lambda n: 1, lambda n: 1 + n)
    _WITH_N[f"N_{_plural}_AGO"] = (_unit, lambda n: -n, lambda n: 1 - n)
del _plural, _unit

LITERALS: frozenset[str] = frozenset(_NO_N)
"""Literals written without ``:n`` (TODAY, THIS_FISCAL_YEAR, ...); disjoint from ``LITERALS_WITH_N``."""
LITERALS_WITH_N: frozenset[str] = frozenset(_WITH_N)
"""Literals that need ``:n`` (LAST_N_DAYS, N_FISCAL_YEARS_AGO, ...), named without the ``:n``."""
DATE_FUNCTIONS: frozenset[str] = frozenset({
    "CALENDAR_MONTH", "CALENDAR_QUARTER", "CALENDAR_YEAR", "DAY_IN_MONTH", "DAY_IN_WEEK", "DAY_IN_YEAR", "DAY_ONLY",
    "FISCAL_MONTH", "FISCAL_QUARTER", "FISCAL_YEAR", "HOUR_IN_DAY", "WEEK_IN_MONTH", "WEEK_IN_YEAR",
})
_DATETIME_ONLY = frozenset({"DAY_ONLY", "HOUR_IN_DAY"})  # "You can only use DAY_ONLY() with dateTime fields."


def _check_settings(fiscal_start_month: int, week_start: int) -> None:
    if not 1 <= fiscal_start_month <= 12:
        raise ValueError(f"fiscal_start_month must be 1..12, not {fiscal_start_month!r}")
    if not 0 <= week_start <= 6:
        raise ValueError(f"week_start must be a weekday number 0..6, not {week_start!r}")


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _period_start(today: date, unit: str, fiscal_start_month: int, week_start: int) -> date:
    """First local day of the day/week/month/quarter/year (calendar or standard fiscal) holding ``today``."""
    if unit == "DAY":
        return today
    if unit == "WEEK":
        return today - timedelta(days=(today.weekday() - week_start) % 7)
    anchor = fiscal_start_month if unit.startswith("FISCAL_") else 1
    span = {"MONTH": 1, "QUARTER": 3, "YEAR": 12, "FISCAL_QUARTER": 3, "FISCAL_YEAR": 12}[unit]
    return _add_months(today.replace(day=1), -((today.month - anchor) % span))


def _shift(start: date, unit: str, periods: int) -> date:
    if unit in ("DAY", "WEEK"):
        return start + timedelta(days=periods * (7 if unit == "WEEK" else 1))
    return _add_months(start, periods * {"MONTH": 1, "QUARTER": 3, "YEAR": 12, "FISCAL_QUARTER": 3,
                                         "FISCAL_YEAR": 12}[unit])


def _resolve(name: str, n: object) -> tuple[str, int, _Span]:
    """(canonical name, n or 0, table entry), or Salesforce's complaint. ``"LAST_N_DAYS:5"`` is accepted too."""
    raw = str(name)
    if n is None and ":" in raw:
        raw, _, n = raw.partition(":")
        n = n.strip()
        n = int(n) if n.isdigit() else (n or None)
    key = raw.strip().upper()
    if key in _NO_N:
        if n is not None:  # our choice of wording: the token is a valid name with a suffix it cannot take
            raise DateLiteralError(f"Invalid date literal: {key}:{n}")
        return key, 0, _NO_N[key]
    if key in _WITH_N:
        if n is None:  # a bare LAST_N_DAYS is not a literal at all: Salesforce rejects the token
            raise DateLiteralError(f"unexpected token: '{raw.strip()}'")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise DateLiteralError(f"Invalid date literal: {key}:{n}")
        return key, n, _WITH_N[key]
    raise DateLiteralError(f"unexpected token: '{raw.strip()}'")


def local_days(name: str, n: int | None, today: date, fiscal_start_month: int = 1,
               week_start: int = 6) -> tuple[date, date]:
    """[first local day, day after the last) a literal covers when the local date is ``today``."""
    _check_settings(fiscal_start_month, week_start)
    key, count, (unit, start_at, end_at) = _resolve(name, n)
    start = _period_start(today, unit, fiscal_start_month, week_start)
    try:
        return _shift(start, unit, start_at(count)), _shift(start, unit, end_at(count))
    except (OverflowError, ValueError):  # past year 1 or 9999
        raise DateLiteralError(f"Invalid date literal: {key}:{count}") from None


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value  # naive means UTC


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # fold=0 maps a midnight skipped by DST (clocks 00:00 -> 01:00) to the transition instant, i.e. the day's first
    # instant, and an ambiguous midnight to its first occurrence.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def literal_range(name: str, n: int | None, now: datetime, tz: tzinfo, fiscal_start_month: int = 1,
                  week_start: int = 6) -> tuple[datetime, datetime]:
    """The half-open UTC interval [start, end) the literal ``name`` (with ``:n`` as ``n``) covers at ``now``.

    Days begin at midnight in ``tz``; ``week_start`` is the weekday (0 = Monday ... 6 = Sunday, the en_US default)
    weeks start on; fiscal periods are a standard fiscal year starting on the 1st of ``fiscal_start_month``."""
    today = _as_utc(now).astimezone(tz).date()
    first, after = local_days(name, n, today, fiscal_start_month, week_start)
    try:
        return _local_midnight(first, tz), _local_midnight(after, tz)
    except (OverflowError, ValueError):
        key, count, _ = _resolve(name, n)
        raise DateLiteralError(f"Invalid date literal: {key}:{count}") from None


def date_function(name: str, value: datetime | date, tz: tzinfo, fiscal_start_month: int = 1, week_start: int = 6,
                  *, fiscal_year_by_start: bool = False) -> int | date:
    """CALENDAR_YEAR(value) and friends. Datetimes are first converted to ``tz`` (naive ones are taken as UTC);
    plain dates are used as they are.

    Per the Date Functions page: DAY_IN_WEEK is 1 for Sunday to 7 for Saturday whatever the locale; WEEK_IN_MONTH's
    first week is days 1-7 of the month and WEEK_IN_YEAR's January 1-7, so ``week_start`` changes nothing here (it
    is accepted for symmetry with ``literal_range``). FISCAL_* use a standard fiscal year starting in
    ``fiscal_start_month``; Setup names the fiscal year after the calendar year of its ending month (our default)
    or of its starting month (``fiscal_year_by_start=True``). DAY_ONLY and HOUR_IN_DAY take dateTime values only."""
    _check_settings(fiscal_start_month, week_start)
    key = str(name).strip().upper()
    if key not in DATE_FUNCTIONS:
        raise DateLiteralError(f"unexpected token: '{str(name).strip()}'")
    hour: int | None = None
    if isinstance(value, datetime):
        local = _as_utc(value).astimezone(tz)
        hour, day = local.hour, local.date()
    elif isinstance(value, date):
        if key in _DATETIME_ONLY:
            raise DateLiteralError(f"{key}() can only be used with dateTime fields")
        day = value
    else:
        raise TypeError(f"{key}() needs a date or datetime, not {type(value).__name__}")
    fiscal_month = (day.month - fiscal_start_month) % 12 + 1
    fiscal_year_start = day.year - (1 if day.month < fiscal_start_month else 0)
    day_of_year = day.timetuple().tm_yday
    if key == "CALENDAR_MONTH":
        return day.month
    if key == "CALENDAR_QUARTER":
        return (day.month - 1) // 3 + 1
    if key == "CALENDAR_YEAR":
        return day.year
    if key == "DAY_IN_MONTH":
        return day.day
    if key == "DAY_IN_WEEK":
        return (day.weekday() + 1) % 7 + 1  # Python's Monday = 0 -> 2; Sunday = 6 -> 1
    if key == "DAY_IN_YEAR":
        return day_of_year
    if key == "DAY_ONLY":
        return day
    if key == "FISCAL_MONTH":
        return fiscal_month
    if key == "FISCAL_QUARTER":
        return (fiscal_month - 1) // 3 + 1
    if key == "FISCAL_YEAR":
        return fiscal_year_start if fiscal_year_by_start or fiscal_start_month == 1 else fiscal_year_start + 1
    if key == "HOUR_IN_DAY":
        return hour  # type: ignore[return-value]  # set: dates were refused above
    if key == "WEEK_IN_MONTH":
        return (day.day - 1) // 7 + 1
    return (day_of_year - 1) // 7 + 1  # WEEK_IN_YEAR


_OPS = {
    "=": lambda v, lo, hi: lo <= v < hi,
    "!=": lambda v, lo, hi: not lo <= v < hi,
    "<>": lambda v, lo, hi: not lo <= v < hi,
    "<": lambda v, lo, hi: v < lo,
    "<=": lambda v, lo, hi: v < hi,
    ">": lambda v, lo, hi: v >= hi,
    ">=": lambda v, lo, hi: v >= lo,
}


def matches(value: date | datetime, op: str, rng: tuple[datetime, datetime], tz: tzinfo) -> bool:
    """Whether ``value <op> literal`` holds for a literal covering ``rng`` (from ``literal_range``).

    ``=`` means inside [start, end), ``!=`` (or ``<>``) outside, ``<`` before start, ``<=`` before end, ``>`` at or
    after end, ``>=`` at or after start. A datetime is compared as an instant (naive = UTC); a date is compared with
    the local dates of the range's ends in ``tz``, so a date field ``= TODAY`` is true on today's date in ``tz``.
    Null handling is the caller's: ``None`` is not a value here."""
    compare = _OPS.get(op.strip())
    if compare is None:
        raise DateLiteralError(f"unexpected token: '{op}'")
    start, end = rng
    if isinstance(value, datetime):
        return compare(_as_utc(value), start, end)
    if isinstance(value, date):
        return compare(value, start.astimezone(tz).date(), end.astimezone(tz).date())
    raise TypeError(f"a date literal compares with a date or datetime, not {type(value).__name__}")


compare_date_literal = matches  # the name the design notes use


def date_function_getter(name: str, inner: Callable, local: bool = False) -> Callable:
    """A date function's getter: datetimes read in UTC, or in the user's zone under convertTimezone()."""
    def get(r, ctx):
        v = inner(r, ctx)
        if v is None:
            return None
        from .. import formats

        value = formats.parse_datetime(v) if "T" in v else date.fromisoformat(v)
        result = date_function(name, value, ctx.tz if local else timezone.utc)
        return result.isoformat() if hasattr(result, "isoformat") else result

    return get
