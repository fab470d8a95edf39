"""fakeforce.soql.dates: literal intervals, date functions and comparisons, against instants worked out by hand.

UTC ends are written out literally: Los Angeles midnight is 08:00Z under PST and 07:00Z under PDT (2026: PDT from
Mar 8 to Nov 1; 2027: from Mar 14 to Nov 7), so a wrong DST guess in the module cannot hide behind the test."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from fakeforce.soql.dates import (DATE_FUNCTIONS, LITERALS, LITERALS_WITH_N, DateLiteralError,
                                  compare_date_literal, date_function, literal_range, local_days, matches)

LA = ZoneInfo("America/Los_Angeles")
UTC = ZoneInfo("UTC")
WED = datetime(2026, 11, 18, 15, 30, tzinfo=timezone.utc)  # Wednesday 07:30 PST in Los Angeles


def z(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=timezone.utc)


def test_name_sets() -> None:
    assert len(LITERALS) == 23 and len(LITERALS_WITH_N) == 21 and not LITERALS & LITERALS_WITH_N
    assert {"TODAY", "LAST_90_DAYS", "THIS_FISCAL_QUARTER", "NEXT_FISCAL_YEAR"} <= LITERALS
    assert {"LAST_N_DAYS", "N_WEEKS_AGO", "NEXT_N_FISCAL_QUARTERS", "N_FISCAL_YEARS_AGO"} <= LITERALS_WITH_N
    assert len(DATE_FUNCTIONS) == 13


@pytest.mark.parametrize("name, n, start, end", [
    ("YESTERDAY", None, z(2026, 11, 17, 8), z(2026, 11, 18, 8)),
    ("TODAY", None, z(2026, 11, 18, 8), z(2026, 11, 19, 8)),
    ("TOMORROW", None, z(2026, 11, 19, 8), z(2026, 11, 20, 8)),
    ("THIS_WEEK", None, z(2026, 11, 15, 8), z(2026, 11, 22, 8)),  # Sunday to Sunday
    ("LAST_WEEK", None, z(2026, 11, 8, 8), z(2026, 11, 15, 8)),
    ("NEXT_WEEK", None, z(2026, 11, 22, 8), z(2026, 11, 29, 8)),
    ("THIS_MONTH", None, z(2026, 11, 1, 7), z(2026, 12, 1, 8)),  # Nov 1 midnight is still PDT
    ("LAST_MONTH", None, z(2026, 10, 1, 7), z(2026, 11, 1, 7)),
    ("NEXT_MONTH", None, z(2026, 12, 1, 8), z(2027, 1, 1, 8)),
    ("LAST_90_DAYS", None, z(2026, 8, 20, 7), z(2026, 11, 19, 8)),  # 91 days, today included
    ("NEXT_90_DAYS", None, z(2026, 11, 19, 8), z(2027, 2, 17, 8)),  # starts tomorrow
    ("LAST_N_DAYS", 1, z(2026, 11, 17, 8), z(2026, 11, 19, 8)),  # yesterday and today
    ("LAST_N_DAYS", 0, z(2026, 11, 18, 8), z(2026, 11, 19, 8)),
    ("LAST_N_DAYS", 90, z(2026, 8, 20, 7), z(2026, 11, 19, 8)),
    ("NEXT_N_DAYS", 1, z(2026, 11, 19, 8), z(2026, 11, 20, 8)),  # = TOMORROW
    ("NEXT_N_DAYS", 2, z(2026, 11, 19, 8), z(2026, 11, 21, 8)),
    ("NEXT_N_DAYS", 0, z(2026, 11, 19, 8), z(2026, 11, 19, 8)),
    ("N_DAYS_AGO", 3, z(2026, 11, 15, 8), z(2026, 11, 16, 8)),
    ("N_DAYS_AGO", 18, z(2026, 10, 31, 7), z(2026, 11, 1, 7)),
    ("NEXT_N_WEEKS", 2, z(2026, 11, 22, 8), z(2026, 12, 6, 8)),
    ("LAST_N_WEEKS", 2, z(2026, 11, 1, 7), z(2026, 11, 15, 8)),
    ("LAST_N_WEEKS", 0, z(2026, 11, 15, 8), z(2026, 11, 15, 8)),
    ("N_WEEKS_AGO", 1, z(2026, 11, 8, 8), z(2026, 11, 15, 8)),
    ("N_WEEKS_AGO", 3, z(2026, 10, 25, 7), z(2026, 11, 1, 7)),
    ("NEXT_N_MONTHS", 2, z(2026, 12, 1, 8), z(2027, 2, 1, 8)),
    ("LAST_N_MONTHS", 3, z(2026, 8, 1, 7), z(2026, 11, 1, 7)),  # current month excluded
    ("N_MONTHS_AGO", 11, z(2025, 12, 1, 8), z(2026, 1, 1, 8)),
    ("THIS_QUARTER", None, z(2026, 10, 1, 7), z(2027, 1, 1, 8)),
    ("LAST_QUARTER", None, z(2026, 7, 1, 7), z(2026, 10, 1, 7)),
    ("NEXT_QUARTER", None, z(2027, 1, 1, 8), z(2027, 4, 1, 7)),
    ("NEXT_N_QUARTERS", 2, z(2027, 1, 1, 8), z(2027, 7, 1, 7)),
    ("LAST_N_QUARTERS", 2, z(2026, 4, 1, 7), z(2026, 10, 1, 7)),
    ("N_QUARTERS_AGO", 4, z(2025, 10, 1, 7), z(2026, 1, 1, 8)),
    ("THIS_YEAR", None, z(2026, 1, 1, 8), z(2027, 1, 1, 8)),
    ("LAST_YEAR", None, z(2025, 1, 1, 8), z(2026, 1, 1, 8)),
    ("NEXT_YEAR", None, z(2027, 1, 1, 8), z(2028, 1, 1, 8)),
    ("NEXT_N_YEARS", 3, z(2027, 1, 1, 8), z(2030, 1, 1, 8)),
    ("LAST_N_YEARS", 1, z(2025, 1, 1, 8), z(2026, 1, 1, 8)),  # = LAST_YEAR
    ("LAST_N_YEARS", 2, z(2024, 1, 1, 8), z(2026, 1, 1, 8)),
    ("N_YEARS_AGO", 2, z(2024, 1, 1, 8), z(2025, 1, 1, 8)),
    # the fiscal year starting in January is the calendar year
    ("THIS_FISCAL_QUARTER", None, z(2026, 10, 1, 7), z(2027, 1, 1, 8)),
    ("THIS_FISCAL_YEAR", None, z(2026, 1, 1, 8), z(2027, 1, 1, 8)),
    ("N_FISCAL_YEARS_AGO", 1, z(2025, 1, 1, 8), z(2026, 1, 1, 8)),
])
def test_every_literal_on_a_wednesday_in_los_angeles(name: str, n: int | None, start: datetime,
                                                     end: datetime) -> None:
    assert literal_range(name, n, WED, LA) == (start, end)


@pytest.mark.parametrize("name, n, start, end", [  # fiscal year from April: FY quarters start Apr, Jul, Oct, Jan
    ("THIS_FISCAL_QUARTER", None, z(2026, 10, 1, 7), z(2027, 1, 1, 8)),
    ("LAST_FISCAL_QUARTER", None, z(2026, 7, 1, 7), z(2026, 10, 1, 7)),
    ("NEXT_FISCAL_QUARTER", None, z(2027, 1, 1, 8), z(2027, 4, 1, 7)),
    ("NEXT_N_FISCAL_QUARTERS", 3, z(2027, 1, 1, 8), z(2027, 10, 1, 7)),
    ("LAST_N_FISCAL_QUARTERS", 2, z(2026, 4, 1, 7), z(2026, 10, 1, 7)),
    ("N_FISCAL_QUARTERS_AGO", 3, z(2026, 1, 1, 8), z(2026, 4, 1, 7)),
    ("THIS_FISCAL_YEAR", None, z(2026, 4, 1, 7), z(2027, 4, 1, 7)),
    ("LAST_FISCAL_YEAR", None, z(2025, 4, 1, 7), z(2026, 4, 1, 7)),
    ("NEXT_FISCAL_YEAR", None, z(2027, 4, 1, 7), z(2028, 4, 1, 7)),
    ("NEXT_N_FISCAL_YEARS", 2, z(2027, 4, 1, 7), z(2029, 4, 1, 7)),
    ("LAST_N_FISCAL_YEARS", 2, z(2024, 4, 1, 7), z(2026, 4, 1, 7)),
    ("N_FISCAL_YEARS_AGO", 1, z(2025, 4, 1, 7), z(2026, 4, 1, 7)),
    ("THIS_QUARTER", None, z(2026, 10, 1, 7), z(2027, 1, 1, 8)),  # calendar literals ignore the fiscal year
])
def test_fiscal_literals_with_an_april_fiscal_year(name: str, n: int | None, start: datetime, end: datetime) -> None:
    assert literal_range(name, n, WED, LA, fiscal_start_month=4) == (start, end)


def test_fiscal_year_starting_in_december_and_before_the_current_month() -> None:
    today = date(2026, 11, 18)
    assert local_days("THIS_FISCAL_YEAR", None, today, 12) == (date(2025, 12, 1), date(2026, 12, 1))
    assert local_days("THIS_FISCAL_QUARTER", None, today, 12) == (date(2026, 9, 1), date(2026, 12, 1))
    assert local_days("NEXT_FISCAL_QUARTER", None, today, 12) == (date(2026, 12, 1), date(2027, 3, 1))
    assert local_days("THIS_FISCAL_QUARTER", None, today, 11) == (date(2026, 11, 1), date(2027, 2, 1))


def test_week_start_follows_the_locale() -> None:
    assert literal_range("THIS_WEEK", None, WED, LA, week_start=0) == (z(2026, 11, 16, 8), z(2026, 11, 23, 8))
    assert literal_range("LAST_WEEK", None, WED, LA, week_start=0) == (z(2026, 11, 9, 8), z(2026, 11, 16, 8))
    sunday = datetime(2026, 11, 22, 20, tzinfo=timezone.utc)  # Sunday noon PST: its own week's first day
    assert literal_range("THIS_WEEK", None, sunday, LA) == (z(2026, 11, 22, 8), z(2026, 11, 29, 8))
    assert literal_range("THIS_WEEK", None, sunday, LA, week_start=0) == (z(2026, 11, 16, 8), z(2026, 11, 23, 8))


def test_names_are_case_insensitive_and_may_carry_their_n() -> None:
    assert literal_range("today", None, WED, LA) == literal_range("TODAY", None, WED, LA)
    assert literal_range("Last_N_Days:1", None, WED, LA) == (z(2026, 11, 17, 8), z(2026, 11, 19, 8))
    assert literal_range("n_fiscal_years_ago", 1, WED, LA) == literal_range("LAST_YEAR", None, WED, LA)


def test_year_boundary_is_local_midnight() -> None:
    before = datetime(2027, 1, 1, 7, 59, 59, tzinfo=timezone.utc)  # Dec 31 2026 23:59:59 PST
    after = datetime(2027, 1, 1, 8, tzinfo=timezone.utc)  # Jan 1 2027 00:00 PST
    assert literal_range("TODAY", None, before, LA) == (z(2026, 12, 31, 8), z(2027, 1, 1, 8))
    assert literal_range("THIS_YEAR", None, before, LA) == (z(2026, 1, 1, 8), z(2027, 1, 1, 8))
    assert literal_range("THIS_YEAR", None, after, LA) == (z(2027, 1, 1, 8), z(2028, 1, 1, 8))
    assert literal_range("YESTERDAY", None, after, LA) == (z(2026, 12, 31, 8), z(2027, 1, 1, 8))
    assert literal_range("LAST_MONTH", None, after, LA) == (z(2026, 12, 1, 8), z(2027, 1, 1, 8))
    assert literal_range("LAST_N_MONTHS", 2, after, LA) == (z(2026, 11, 1, 7), z(2027, 1, 1, 8))
    assert literal_range("THIS_WEEK", None, after, LA) == (z(2026, 12, 27, 8), z(2027, 1, 3, 8))  # Friday
    assert literal_range("TODAY", None, after, UTC) == (z(2027, 1, 1), z(2027, 1, 2))
    assert literal_range("TODAY", None, before, UTC) == (z(2027, 1, 1), z(2027, 1, 2))


def test_quarter_boundary() -> None:
    end_of_q1 = datetime(2026, 4, 1, 6, 59, tzinfo=timezone.utc)  # Mar 31 23:59 PDT
    start_of_q2 = datetime(2026, 4, 1, 7, tzinfo=timezone.utc)
    assert literal_range("THIS_QUARTER", None, end_of_q1, LA) == (z(2026, 1, 1, 8), z(2026, 4, 1, 7))
    assert literal_range("THIS_QUARTER", None, start_of_q2, LA) == (z(2026, 4, 1, 7), z(2026, 7, 1, 7))
    assert literal_range("LAST_QUARTER", None, start_of_q2, LA) == (z(2026, 1, 1, 8), z(2026, 4, 1, 7))
    assert literal_range("N_QUARTERS_AGO", 1, start_of_q2, LA) == (z(2026, 1, 1, 8), z(2026, 4, 1, 7))
    assert literal_range("THIS_FISCAL_YEAR", None, start_of_q2, LA, 4) == (z(2026, 4, 1, 7), z(2027, 4, 1, 7))
    assert literal_range("THIS_FISCAL_YEAR", None, end_of_q1, LA, 4) == (z(2025, 4, 1, 7), z(2026, 4, 1, 7))


def test_days_across_dst_changes_are_23_and_25_hours() -> None:
    spring = datetime(2026, 3, 8, 12, tzinfo=timezone.utc)  # Mar 8 05:00 PDT, clocks went forward at 02:00
    assert literal_range("TODAY", None, spring, LA) == (z(2026, 3, 8, 8), z(2026, 3, 9, 7))
    assert literal_range("YESTERDAY", None, spring, LA) == (z(2026, 3, 7, 8), z(2026, 3, 8, 8))
    assert literal_range("TOMORROW", None, spring, LA) == (z(2026, 3, 9, 7), z(2026, 3, 10, 7))
    assert literal_range("THIS_WEEK", None, spring, LA) == (z(2026, 3, 8, 8), z(2026, 3, 15, 7))
    fall = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)  # Nov 1 04:00 PST, clocks went back at 02:00
    start, end = literal_range("TODAY", None, fall, LA)
    assert (start, end) == (z(2026, 11, 1, 7), z(2026, 11, 2, 8)) and (end - start).total_seconds() == 25 * 3600


def test_midnight_skipped_by_dst_starts_the_day_at_the_transition() -> None:
    sao_paulo = ZoneInfo("America/Sao_Paulo")  # 2018-11-04: 00:00 -03 jumped to 01:00 -02
    now = datetime(2018, 11, 4, 12, tzinfo=timezone.utc)
    assert literal_range("TODAY", None, now, sao_paulo) == (z(2018, 11, 4, 3), z(2018, 11, 5, 2))


def test_far_east_zone_is_already_tomorrow() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")  # WED is Thursday 00:30 in Tokyo
    assert literal_range("TODAY", None, WED, tokyo) == (z(2026, 11, 18, 15), z(2026, 11, 19, 15))
    assert literal_range("THIS_WEEK", None, WED, tokyo) == (z(2026, 11, 14, 15), z(2026, 11, 21, 15))


def test_leap_day() -> None:
    feb29 = datetime(2028, 2, 29, 12, tzinfo=timezone.utc)
    assert literal_range("TODAY", None, feb29, UTC) == (z(2028, 2, 29), z(2028, 3, 1))
    assert literal_range("THIS_MONTH", None, feb29, UTC) == (z(2028, 2, 1), z(2028, 3, 1))
    assert literal_range("LAST_N_DAYS", 365, feb29, UTC) == (z(2027, 3, 1), z(2028, 3, 1))
    assert literal_range("N_DAYS_AGO", 366, feb29, UTC) == (z(2027, 2, 28), z(2027, 3, 1))
    assert literal_range("N_MONTHS_AGO", 12, feb29, UTC) == (z(2027, 2, 1), z(2027, 3, 1))
    assert literal_range("N_YEARS_AGO", 1, feb29, UTC) == (z(2027, 1, 1), z(2028, 1, 1))
    assert literal_range("THIS_FISCAL_YEAR", None, feb29, UTC, 3) == (z(2027, 3, 1), z(2028, 3, 1))
    assert literal_range("NEXT_WEEK", None, feb29, UTC) == (z(2028, 3, 5), z(2028, 3, 12))  # Feb 29 2028: Tuesday


def test_naive_now_is_utc() -> None:
    assert literal_range("TODAY", None, datetime(2026, 11, 18, 15, 30), LA) == (z(2026, 11, 18, 8), z(2026, 11, 19, 8))


@pytest.mark.parametrize("name, n, message", [
    ("LAST_FORTNIGHT", None, "unexpected token: 'LAST_FORTNIGHT'"),
    ("NEXT_N_DAYS", None, "unexpected token: 'NEXT_N_DAYS'"),
    ("next_n_days", None, "unexpected token: 'next_n_days'"),
    ("LAST_N_DAYS:", None, "unexpected token: 'LAST_N_DAYS'"),
    ("TODAY", 3, "Invalid date literal: TODAY:3"),
    ("LAST_N_DAYS", -1, "Invalid date literal: LAST_N_DAYS:-1"),
    ("LAST_N_DAYS:x", None, "Invalid date literal: LAST_N_DAYS:x"),
    ("LAST_N_DAYS:-1", None, "Invalid date literal: LAST_N_DAYS:-1"),
    ("LAST_N_DAYS", "5", "Invalid date literal: LAST_N_DAYS:5"),
    ("LAST_N_DAYS", True, "Invalid date literal: LAST_N_DAYS:True"),
    ("LAST_N_YEARS", 10_000, "Invalid date literal: LAST_N_YEARS:10000"),
    ("NEXT_N_DAYS", 10**9, "Invalid date literal: NEXT_N_DAYS:1000000000"),
])
def test_literal_errors(name: str, n: object, message: str) -> None:
    with pytest.raises(DateLiteralError) as caught:
        literal_range(name, n, WED, LA)  # type: ignore[arg-type]
    assert str(caught.value) == message and isinstance(caught.value, ValueError)


def test_bad_settings_are_plain_value_errors() -> None:
    with pytest.raises(ValueError):
        literal_range("TODAY", None, WED, LA, fiscal_start_month=13)
    with pytest.raises(ValueError):
        literal_range("TODAY", None, WED, LA, week_start=7)


# -- date functions ---------------------------------------------------------------------------------------------
TUESDAY_EVENING = datetime(2026, 11, 18, 3, 30, tzinfo=timezone.utc)  # Tue Nov 17 2026 19:30 PST


@pytest.mark.parametrize("name, expected", [
    ("CALENDAR_MONTH", 11), ("CALENDAR_QUARTER", 4), ("CALENDAR_YEAR", 2026), ("DAY_IN_MONTH", 17),
    ("DAY_IN_WEEK", 3), ("DAY_IN_YEAR", 321), ("DAY_ONLY", date(2026, 11, 17)), ("FISCAL_MONTH", 11),
    ("FISCAL_QUARTER", 4), ("FISCAL_YEAR", 2026), ("HOUR_IN_DAY", 19), ("WEEK_IN_MONTH", 3), ("WEEK_IN_YEAR", 46),
])
def test_every_date_function_in_the_org_time_zone(name: str, expected: int | date) -> None:
    assert date_function(name, TUESDAY_EVENING, LA) == expected
    assert date_function(name.lower(), TUESDAY_EVENING, LA) == expected


def test_date_functions_in_utc_see_the_next_day() -> None:
    assert date_function("DAY_ONLY", TUESDAY_EVENING, UTC) == date(2026, 11, 18)
    assert date_function("HOUR_IN_DAY", TUESDAY_EVENING, UTC) == 3
    assert date_function("DAY_IN_WEEK", TUESDAY_EVENING, UTC) == 4
    new_year = datetime(2027, 1, 1, 5, tzinfo=timezone.utc)  # Dec 31 2026 21:00 PST
    assert date_function("CALENDAR_YEAR", new_year, LA) == 2026
    assert date_function("CALENDAR_YEAR", new_year, UTC) == 2027


@pytest.mark.parametrize("name, value, expected", [  # the examples on the Date Functions page
    ("CALENDAR_MONTH", date(2009, 1, 5), 1), ("CALENDAR_MONTH", date(2009, 12, 5), 12),
    ("CALENDAR_QUARTER", date(2009, 1, 1), 1), ("CALENDAR_QUARTER", date(2009, 3, 31), 1),
    ("CALENDAR_QUARTER", date(2009, 4, 1), 2), ("CALENDAR_QUARTER", date(2009, 6, 30), 2),
    ("CALENDAR_QUARTER", date(2009, 7, 1), 3), ("CALENDAR_QUARTER", date(2009, 9, 30), 3),
    ("CALENDAR_QUARTER", date(2009, 10, 1), 4), ("CALENDAR_QUARTER", date(2009, 12, 31), 4),
    ("CALENDAR_YEAR", date(2009, 6, 1), 2009), ("DAY_IN_MONTH", date(2009, 2, 20), 20),
    ("DAY_IN_WEEK", date(2026, 11, 15), 1), ("DAY_IN_WEEK", date(2026, 11, 21), 7),  # Sunday, Saturday
    ("DAY_IN_YEAR", date(2009, 2, 1), 32), ("WEEK_IN_MONTH", date(2009, 4, 10), 2),
    ("WEEK_IN_MONTH", date(2009, 4, 7), 1), ("WEEK_IN_MONTH", date(2009, 4, 8), 2),
    ("WEEK_IN_MONTH", date(2009, 3, 31), 5), ("WEEK_IN_YEAR", date(2009, 1, 3), 1),
    ("WEEK_IN_YEAR", date(2009, 1, 7), 1), ("WEEK_IN_YEAR", date(2009, 1, 8), 2),
    ("WEEK_IN_YEAR", date(2028, 12, 31), 53), ("DAY_IN_YEAR", date(2028, 12, 31), 366),
    ("DAY_IN_YEAR", date(2028, 2, 29), 60), ("DAY_IN_MONTH", date(2028, 2, 29), 29),
])
def test_documented_examples_on_dates(name: str, value: date, expected: int) -> None:
    assert date_function(name, value, LA) == expected


def test_documented_datetime_examples() -> None:
    at = datetime(2009, 9, 22, 18, 23, 10, tzinfo=LA)
    assert date_function("HOUR_IN_DAY", at, LA) == 18
    assert date_function("DAY_ONLY", at, LA) == date(2009, 9, 22)


def test_fiscal_functions() -> None:
    # "If your fiscal year starts in March: 1 for March, 12 for February"
    assert date_function("FISCAL_MONTH", date(2009, 3, 10), LA, 3) == 1
    assert date_function("FISCAL_MONTH", date(2009, 2, 10), LA, 3) == 12
    # "If your fiscal year starts in July: 1 for July 15, 4 for June 6"
    assert date_function("FISCAL_QUARTER", date(2009, 7, 15), LA, 7) == 1
    assert date_function("FISCAL_QUARTER", date(2009, 6, 6), LA, 7) == 4
    # FY from July 2009 to June 2010 is FY2010 named by its ending month (default), FY2009 by its starting month
    for day, by_end, by_start in [(date(2009, 7, 1), 2010, 2009), (date(2010, 6, 30), 2010, 2009),
                                  (date(2009, 6, 30), 2009, 2008)]:
        assert date_function("FISCAL_YEAR", day, LA, 7) == by_end
        assert date_function("FISCAL_YEAR", day, LA, 7, fiscal_year_by_start=True) == by_start
    assert date_function("FISCAL_YEAR", date(2009, 12, 31), LA) == 2009
    assert date_function("FISCAL_YEAR", date(2009, 12, 31), LA, fiscal_year_by_start=True) == 2009
    assert date_function("FISCAL_MONTH", TUESDAY_EVENING, LA, 4) == 8
    assert date_function("FISCAL_QUARTER", TUESDAY_EVENING, LA, 4) == 3
    assert date_function("FISCAL_YEAR", TUESDAY_EVENING, LA, 4) == 2027


def test_date_function_errors() -> None:
    with pytest.raises(DateLiteralError, match="unexpected token: 'MINUTE_IN_HOUR'"):
        date_function("MINUTE_IN_HOUR", TUESDAY_EVENING, LA)
    for name in ("DAY_ONLY", "HOUR_IN_DAY"):
        with pytest.raises(DateLiteralError, match=f"{name}\\(\\) can only be used with dateTime fields"):
            date_function(name, date(2026, 11, 17), LA)
    with pytest.raises(TypeError):
        date_function("CALENDAR_YEAR", "2026-11-17", LA)  # type: ignore[arg-type]


# -- comparing values with a literal -----------------------------------------------------------------------------
TODAY_LA = literal_range("TODAY", None, WED, LA)  # [2026-11-18T08:00Z, 2026-11-19T08:00Z)


@pytest.mark.parametrize("value, expected", [  # expected results for = != < <= > >=
    (z(2026, 11, 18, 7, 59), (False, True, True, True, False, False)),  # Nov 17 23:59 PST
    (z(2026, 11, 18, 8), (True, False, False, True, False, True)),  # first instant of today
    (z(2026, 11, 19, 7, 59), (True, False, False, True, False, True)),
    (z(2026, 11, 19, 8), (False, True, False, False, True, True)),  # first instant of tomorrow
    (date(2026, 11, 17), (False, True, True, True, False, False)),
    (date(2026, 11, 18), (True, False, False, True, False, True)),
    (date(2026, 11, 19), (False, True, False, False, True, True)),
])
def test_matches(value: date | datetime, expected: tuple[bool, ...]) -> None:
    got = tuple(matches(value, op, TODAY_LA, LA) for op in ("=", "!=", "<", "<=", ">", ">="))
    assert got == expected
    assert matches(value, "<>", TODAY_LA, LA) == expected[1]


def test_matches_dates_against_multi_day_ranges_and_naive_datetimes() -> None:
    last_month = literal_range("LAST_MONTH", None, WED, LA)
    assert matches(date(2026, 10, 1), "=", last_month, LA) and matches(date(2026, 10, 31), "=", last_month, LA)
    assert not matches(date(2026, 11, 1), "=", last_month, LA) and matches(date(2026, 11, 1), ">", last_month, LA)
    assert matches(date(2026, 9, 30), "<", last_month, LA)
    assert matches(datetime(2026, 11, 18, 8), "=", TODAY_LA, LA)  # naive: UTC
    assert compare_date_literal is matches


def test_matches_rejects_unknown_operators() -> None:
    with pytest.raises(DateLiteralError, match="unexpected token: 'LIKE'"):
        matches(date(2026, 11, 18), "LIKE", TODAY_LA, LA)
